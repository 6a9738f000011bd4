//! The gates a signed-in request passes before its use case runs, as plain
//! decisions: R13 (a temporary password is changed first), R28 (a required
//! second factor is enrolled next) and R31 (a support agent reads, never
//! writes, and every read is audited). The HTTP layer asks; nothing here
//! reads or writes anything.

use super::context::{Caller, MemberCtx};
use super::second_factor::must_enroll;
use crate::error::DomainError;

/// What a route still lets through while its session is held at a gate.
/// Each gate holds open only what leads out of it (and who am I, and
/// logging out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhileHeld {
    /// Shut at both gates: every route but the few below.
    Shut,
    /// Open at the password gate only (R13): changing the password.
    PasswordChange,
    /// Open at the enrollment gate only (R28): enrolling, confirming or
    /// turning off the second factor.
    Enrollment,
    /// Open at both gates: `GET /me` and logging out.
    Both,
}

impl WhileHeld {
    fn at_password_gate(self) -> bool {
        matches!(self, WhileHeld::PasswordChange | WhileHeld::Both)
    }

    fn at_enrollment_gate(self) -> bool {
        matches!(self, WhileHeld::Enrollment | WhileHeld::Both)
    }
}

/// R13 then R28: may this caller use a route that is `open` as given? The
/// password gate comes first; a session held there is not judged by the
/// enrollment gate at all (it cannot enroll before changing the password,
/// and changing it is allowed even where a factor is required).
/// `required_here`: the practice the route names requires the caller to
/// hold a second factor (`session::Authenticated::factor_required_here`).
pub fn admit(caller: &Caller, required_here: bool, open: WhileHeld) -> Result<(), DomainError> {
    if caller.user.must_change_password {
        return match open.at_password_gate() {
            true => Ok(()),
            false => Err(DomainError::PasswordChangeRequired),
        };
    }
    if must_enroll(caller, required_here) && !open.at_enrollment_gate() {
        return Err(DomainError::MfaRequired);
    }
    Ok(())
}

/// Whether a route only reads (a `GET`) or may change something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Read,
    Write,
}

/// What must happen after the use case answers, before the answer leaves.
#[must_use = "a support agent's read is audited before its answer leaves (R31)"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Afterwards {
    /// Nothing: the caller is a member.
    Nothing,
    /// Record the read in the practice's audit log (`support::record_read`);
    /// if that fails, the answer does not leave.
    RecordSupportRead,
    /// Record a member's read made under emergency access (R50:
    /// `emergency::record_read`); if that fails, the answer does not leave.
    RecordEmergencyRead,
}

/// R31 for a caller inside a practice: a member passes as they are (their
/// permissions decide the rest); a support agent may only read, and each
/// read is audited.
pub fn support(ctx: &MemberCtx, effect: Effect) -> Result<Afterwards, DomainError> {
    match (ctx.is_support(), effect) {
        (false, Effect::Read) if ctx.emergency_id().is_some() => Ok(Afterwards::RecordEmergencyRead),
        (false, _) => Ok(Afterwards::Nothing),
        (true, Effect::Read) => Ok(Afterwards::RecordSupportRead),
        (true, Effect::Write) => Err(DomainError::SupportReadOnly),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{LocationId, PracticeId};
    use crate::model::{Access, Kind, Membership, Practice, User};
    use crate::service::second_factor::must_enroll;
    use crate::service::session::new_session;

    const ALL: [WhileHeld; 4] = [WhileHeld::Shut, WhileHeld::PasswordChange, WhileHeld::Enrollment, WhileHeld::Both];

    fn caller(must_change_password: bool, mfa_enabled: bool, enroll_only: bool) -> Caller {
        let now = chrono::Utc::now();
        let user = User {
            must_change_password,
            mfa_enabled,
            ..User::new("a@b.co".into(), "a@b.co".into(), "A".into(), "B".into(), String::new(), now)
        };
        let (mut session, _) = new_session(&user, now, None);
        session.enroll_only = enroll_only;
        Caller { user, session }
    }

    fn membership(user: &User, mfa_required: bool) -> Membership {
        let now = chrono::Utc::now();
        let access = Access { mfa_required, ..Access::new(Kind::Staff, "front_desk", LocationId::new()) };
        Membership::new(PracticeId::new(), user, access, now)
    }

    fn ctx(caller: Caller, member: bool) -> MemberCtx {
        let membership = member.then(|| membership(&caller.user, false));
        let practice = Practice {
            id: PracticeId::new(),
            name: "Harbour Clinic".into(),
            seats: Default::default(),
            directors: 1,
            active_locations: 1,
            module_seats: Default::default(),
            built_in_roles: Default::default(),
            built_in_roles_version: 0,
            security_policy: Default::default(),
            security_policy_version: 0,
            created_at: chrono::Utc::now(),
            version: 1,
        };
        let (permissions, held) = (Vec::new(), Vec::new());
        MemberCtx { caller, practice, membership, permissions, held, emergency: None, emergency_open: false }
    }

    /// A verdict in short: `ok`, or the refusal's API.md code.
    fn short<T>(r: Result<T, DomainError>) -> &'static str {
        match r {
            Ok(_) => "ok",
            Err(DomainError::PasswordChangeRequired) => "password_change_required",
            Err(DomainError::MfaRequired) => "mfa_required",
            Err(DomainError::SupportReadOnly) => "support_read_only",
            Err(_) => "other",
        }
    }

    /// The verdict for a route open as each of `ALL`, in order.
    fn verdicts(caller: &Caller, required_here: bool) -> Vec<&'static str> {
        ALL.iter().map(|open| short(admit(caller, required_here, *open))).collect()
    }

    const OPEN: [&str; 4] = ["ok"; 4];

    #[test]
    fn a_caller_at_no_gate_goes_anywhere() {
        let plain = caller(false, false, false);
        assert_eq!(verdicts(&plain, false), OPEN);
        assert_eq!(verdicts(&plain, false), OPEN);
        let enrolled = caller(false, true, true);
        assert_eq!(verdicts(&enrolled, false), OPEN);
        assert_eq!(verdicts(&enrolled, true), OPEN);
    }

    // R13: only GET /me, the password change and logout.
    #[test]
    fn the_password_gate_lets_through_only_the_change_and_both() {
        let c = caller(true, false, false);
        let want = ["password_change_required", "ok", "password_change_required", "ok"];
        assert_eq!(verdicts(&c, false), want);
        assert_eq!(verdicts(&c, false), want);
    }

    // R13 before R28: a session held at both gates is judged by the first.
    #[test]
    fn the_password_gate_comes_before_the_enrollment_gate() {
        let c = caller(true, false, true);
        let want = ["password_change_required", "ok", "password_change_required", "ok"];
        assert_eq!(verdicts(&c, false), want);
        assert_eq!(verdicts(&c, true), want);
    }

    // R28: only GET /me, enrolling, confirming and turning off the factor, and logout.
    #[test]
    fn the_enrollment_gate_lets_through_only_enrollment_and_both() {
        let want = ["mfa_required", "mfa_required", "ok", "ok"];
        // A session issued for enrollment only.
        assert_eq!(verdicts(&caller(false, false, true), false), want);
        // A practice that requires a factor, for the routes that name it.
        let c = caller(false, false, false);
        assert_eq!(verdicts(&c, true), want);
        assert_eq!(verdicts(&c, false), OPEN);
        // Enrolled already: no gate.
        let c = caller(false, true, false);
        assert_eq!(verdicts(&c, true), OPEN);
    }

    // R31: an agent reads, audited, and never writes; a member is not audited.
    #[test]
    fn a_support_agent_reads_audited_and_never_writes() {
        let member = ctx(caller(false, false, false), true);
        assert!(matches!(support(&member, Effect::Read), Ok(Afterwards::Nothing)));
        assert!(matches!(support(&member, Effect::Write), Ok(Afterwards::Nothing)));
        let agent = ctx(caller(false, false, false), false);
        assert!(matches!(support(&agent, Effect::Read), Ok(Afterwards::RecordSupportRead)));
        assert_eq!(short(support(&agent, Effect::Write)), "support_read_only");
    }

    // R28: a session may only enroll while its user has no second factor and
    // either the session was issued for enrollment or the practice requires one.
    #[test]
    fn who_must_enroll_first() {
        let plain = caller(false, false, false);
        assert!(!must_enroll(&plain, false));
        assert!(!must_enroll(&plain, false));
        assert!(must_enroll(&plain, true));
        let issued = caller(false, false, true);
        assert!(must_enroll(&issued, false));
        assert!(must_enroll(&issued, false));
        let enrolled = caller(false, true, true);
        assert!(!must_enroll(&enrolled, false));
        assert!(!must_enroll(&enrolled, true));
    }
}
