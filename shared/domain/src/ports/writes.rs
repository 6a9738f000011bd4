//! What a transaction holds: records, their keys, and writes that each
//! carry their own condition.

use crate::error::DomainError;
use crate::ids::{EmergencyAccessId, EventId, InvitationId, LocationId, PracticeId, UserId};
use crate::model::*;
use std::collections::BTreeMap;

/// Everything Roster stores, one variant per kind of item.
// Records live only in a transaction of at most 100 writes; boxing the large
// variants would cost clarity and save nothing that matters.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    User(User),
    EmailClaim(EmailClaim),
    Session(Session),
    Token(EmailToken),
    Practice(Practice),
    Location(Location),
    Membership(Membership),
    Audit(AuditEvent),
    Outbox(OutboxItem),
    Invitation(Invitation),
    Slot(EmailSlot),
    InvitationToken(InvitationToken),
    Role(Role),
    RoleName(RoleName),
    Challenge(MfaChallenge),
    SupportGrant(SupportGrant),
    SentMails(SentMails),
    PracticeSettings(PracticeSettings),
    OnboardingMail(OnboardingMail),
    BulkAnswer(BulkAnswer),
    EmergencyAccess(EmergencyAccess),
    EmergencyPointer(EmergencyPointer),
}

/// The identity of a stored item, for deletes and conditions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    User(UserId),
    EmailClaim(String),
    Session {
        user_id: UserId,
        token_hash: String,
    },
    Token(String),
    Practice(PracticeId),
    Location(PracticeId, LocationId),
    Membership(PracticeId, UserId),
    Outbox(EventId),
    Invitation(PracticeId, InvitationId),
    Slot(PracticeId, String),
    InvitationToken(String),
    Role(PracticeId, String),
    RoleName(PracticeId, String),
    Challenge(String),
    SupportGrant(PracticeId),
    PracticeSettings(PracticeId),
    OnboardingMail(PracticeId, UserId, OnboardingStep),
    /// A user's streak of failed sign-ins (R25), counted by
    /// `Store::count_attempt`.
    LoginFailures(UserId),
    /// R52: (practice, caller, hash of the Idempotency-Key, part).
    BulkAnswer(PracticeId, UserId, String, u32),
    EmergencyAccess(PracticeId, EmergencyAccessId),
    /// A member's open emergency access (R50).
    EmergencyPointer(PracticeId, UserId),
}

pub use crate::model::CounterDelta;

/// One write of a transaction. Each variant carries its own condition, so an
/// invariant is checked by the store inside the transaction that changes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// Fails if an item with the same key exists.
    Create(Record),
    /// Unconditional.
    Put(Record),
    /// Fails unless the stored item exists with `version == expected` (R18).
    Replace { record: Record, expected_version: u64 },
    /// A `Replace` of a membership that also writes its copy of the user
    /// (the search text, the lock and their `user_version`, which `Replace`
    /// leaves to `MirrorUser`): for one change of both a user and their
    /// membership, since a transaction may write an item only once. Fails
    /// as `Replace` does.
    ReplaceMirrored { membership: Membership, expected_version: u64 },
    /// Unconditional.
    Delete(Key),
    /// Fails if the item is absent (single-use tokens).
    DeleteExisting(Key),
    /// Fails if the practice is missing or a floor would be broken.
    AdjustCounters { practice_id: PracticeId, delta: CounterDelta },
    /// Takes the (practice, email) slot. Fails unless the slot is free, held
    /// by an invitation that expired by `now`, or held by `holder`.
    PutSlot { slot: EmailSlot, holder: Option<InvitationId>, now: Time },
    /// Frees the slot. Fails unless `invitation` holds it.
    ReleaseSlot { practice_id: PracticeId, email_norm: String, invitation: InvitationId },
    /// Changes a custom role's holder count (R23). Fails if the role is gone,
    /// so nothing can take a role that a concurrent delete removed.
    AdjustRoleHolders { practice_id: PracticeId, role_id: String, delta: i64 },
    /// Deletes a custom role. Fails unless it exists at `expected_version`
    /// with no holders (R23); the version keeps a concurrent rename from
    /// leaving the name claims behind wrong.
    DeleteRole { practice_id: PracticeId, role_id: String, expected_version: u64 },
    /// Copies what the members list filters on from the user to one of their
    /// memberships: the lock (R25) and, unless `None`, the search text
    /// (R22), as of the user's `user_version`. Fails if the membership is
    /// gone and, with `only_if_newer`, if it holds a copy as new already: a
    /// copy made after the change (R37) never overwrites a later change's.
    MirrorUser {
        practice_id: PracticeId,
        user_id: UserId,
        search: Option<String>,
        locked: bool,
        user_version: u64,
        only_if_newer: bool,
    },
    /// Locks the user (R25) and moves their version and session epoch on, so
    /// the lock ends every session and pending challenge (R29). Fails if
    /// already locked, so of racing fifth failures exactly one locks.
    LockUser { user_id: UserId },
    /// Fails unless the item at `key` has counted at least `at_least`
    /// attempts: a streak broken by a success meanwhile locks nothing.
    CheckFailures { key: Key, at_least: u32 },
    /// Fails if the user is locked, so no sign-in completes once a lock has
    /// committed (R25). With a TOTP step, also records it as used and fails
    /// unless it is later than the last one used: a code works once (R28).
    ConfirmSignIn { user_id: UserId, totp_step: Option<u64> },
    /// Deletes a versioned item. Fails unless it exists at `expected_version`,
    /// so a sweep never ends a grant renewed since it was read.
    DeleteVersioned { key: Key, expected_version: u64 },
    /// Fails unless the membership exists, active, at `version`: the acting
    /// member still holds the access they were authorized with.
    CheckMember { practice_id: PracticeId, user_id: UserId, version: u64 },
    /// Fails unless the location exists and is active: what an invitation
    /// read of its primary location still holds when it commits.
    CheckLocation { practice_id: PracticeId, location_id: LocationId },
    /// Sets the practice's adjusted built-in roles (R23). Fails unless the
    /// practice exists with its sets at `expected_version` (0: never set).
    SetBuiltInRoles { practice_id: PracticeId, sets: BTreeMap<String, RoleSet>, expected_version: u64 },
    /// Sets the practice's security policy (R48). Fails unless the practice
    /// exists with its policy at `expected_version` (0: never saved).
    SetSecurityPolicy { practice_id: PracticeId, policy: SecurityPolicy, expected_version: u64 },
    /// Fails if the practice's settings turned onboarding mails off (R44);
    /// a practice that never saved settings has them on.
    CheckOnboardingMails { practice_id: PracticeId },
    /// Records one step of an outbox item's delivery, `item` as it is
    /// after it: an attempt counted before it is made, or its outcome.
    /// Fails unless the stored item is still undelivered at `attempts`
    /// attempts, as the delivery found it: a step someone else took first
    /// (a retried batch, the sweep) is never undone or repeated.
    RecordOutcome { item: OutboxItem, attempts: u32 },
}

impl Write {
    /// What a failure of this write's own condition means, when the use
    /// case attached no error of its own (`Tx::guarded`). Every kind says:
    /// a new kind of write does not compile until it does.
    pub fn conflict_error(&self) -> DomainError {
        match self {
            // An item with the key exists already.
            Write::Create(_) => DomainError::Conflict("already_exists"),
            // Unconditional, so never the write that failed; they share the
            // answer of an unguarded `Create`.
            Write::Put(_) | Write::Delete(_) => DomainError::Conflict("already_exists"),
            Write::Replace { .. } | Write::ReplaceMirrored { .. } => DomainError::PreconditionFailed,
            Write::DeleteExisting(_) => DomainError::NotFound,
            Write::AdjustCounters { .. } => DomainError::Conflict("counter_floor"),
            Write::PutSlot { .. } => DomainError::InvitationPending,
            Write::ReleaseSlot { .. } => DomainError::InvitationNotPending,
            Write::AdjustRoleHolders { .. } => DomainError::RoleRequired,
            Write::DeleteRole { .. } => DomainError::RoleInUse,
            Write::MirrorUser { .. } => DomainError::NotFound,
            Write::LockUser { .. } => DomainError::AccountLocked,
            Write::CheckFailures { .. } => DomainError::InvalidCredentials,
            Write::ConfirmSignIn { .. } => DomainError::AccountLocked,
            Write::DeleteVersioned { .. } => DomainError::PreconditionFailed,
            Write::CheckMember { .. } => DomainError::Forbidden,
            Write::CheckLocation { .. } => DomainError::field("primary_location_id", "is not an active location"),
            Write::SetBuiltInRoles { .. } | Write::SetSecurityPolicy { .. } => DomainError::PreconditionFailed,
            Write::CheckOnboardingMails { .. } => DomainError::Conflict("onboarding_off"),
            // Never answered to a request: the delivery takes it as done.
            Write::RecordOutcome { .. } => DomainError::PreconditionFailed,
        }
    }
}

/// The most writes one transaction may hold (DynamoDB's limit). A change
/// whose copies or mails would not fit leaves them to a `Task` (R37).
pub const MAX_WRITES: usize = 100;

/// Writes a change causes beyond its own items (copies onto every
/// membership, audits in every practice): in the change's transaction when
/// they fit, else left to `task` after it (R37).
#[derive(Debug)]
pub struct FanOut {
    pub writes: Vec<Write>,
    pub task: Task,
}

/// One transaction: writes with the domain error to raise when the write's
/// condition fails.
#[derive(Debug, Default)]
pub struct Tx {
    pub writes: Vec<(Write, Option<DomainError>)>,
}

impl Tx {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn push(&mut self, w: Write) -> &mut Self {
        self.writes.push((w, None));
        self
    }
    pub fn guarded(&mut self, w: Write, on_conflict: DomainError) -> &mut Self {
        self.writes.push((w, Some(on_conflict)));
        self
    }
    pub fn len(&self) -> usize {
        self.writes.len()
    }
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }
    /// What it means that the condition of the write at `index` failed: the
    /// error the use case attached to it, else the write's own
    /// (`Write::conflict_error`). `None` if there is no such write. The store
    /// reports only which write failed; this is where the domain decides.
    pub fn into_conflict(mut self, index: usize) -> Option<DomainError> {
        if index >= self.writes.len() {
            return None;
        }
        let (write, on_conflict) = self.writes.swap_remove(index);
        Some(on_conflict.unwrap_or_else(|| write.conflict_error()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(user_id: UserId) -> Tx {
        let mut tx = Tx::new();
        tx.push(Write::Delete(Key::User(user_id)))
            .guarded(Write::LockUser { user_id }, DomainError::Conflict("mine"))
            .push(Write::LockUser { user_id });
        tx
    }

    #[test]
    fn a_failed_condition_means_the_attached_error_else_the_writes_own() {
        let u = UserId::new();
        assert!(matches!(tx(u).into_conflict(1), Some(DomainError::Conflict("mine"))));
        assert!(matches!(tx(u).into_conflict(2), Some(DomainError::AccountLocked)));
        assert!(matches!(tx(u).into_conflict(0), Some(DomainError::Conflict("already_exists"))));
        assert!(tx(u).into_conflict(3).is_none());
    }

    fn membership() -> Membership {
        let now = chrono::Utc::now();
        let user = User::new("a@b.example".into(), "a@b.example".into(), "A".into(), "B".into(), "!".into(), now);
        Membership::new(PracticeId::new(), &user, Access::new(Kind::Staff, "front_desk", LocationId::new()), now)
    }

    #[test]
    fn unguarded_writes_keep_their_meaning() {
        let (practice_id, user_id) = (PracticeId::new(), UserId::new());
        let slot = EmailSlot::member(practice_id, "a@b", user_id);
        let cases: Vec<(Write, &str)> = vec![
            (Write::Create(Record::Slot(slot.clone())), "Conflict(\"already_exists\")"),
            (Write::Replace { record: Record::Slot(slot.clone()), expected_version: 1 }, "PreconditionFailed"),
            (Write::ReplaceMirrored { membership: membership(), expected_version: 1 }, "PreconditionFailed"),
            (Write::PutSlot { slot, holder: None, now: chrono::Utc::now() }, "InvitationPending"),
            (Write::LockUser { user_id }, "AccountLocked"),
            (Write::DeleteExisting(Key::Token("t".into())), "NotFound"),
            (Write::AdjustCounters { practice_id, delta: CounterDelta::default() }, "Conflict(\"counter_floor\")"),
            (
                Write::ReleaseSlot { practice_id, email_norm: "a@b".into(), invitation: InvitationId::new() },
                "InvitationNotPending",
            ),
            (Write::AdjustRoleHolders { practice_id, role_id: "r".into(), delta: 1 }, "RoleRequired"),
            (Write::DeleteRole { practice_id, role_id: "r".into(), expected_version: 1 }, "RoleInUse"),
            (
                Write::MirrorUser {
                    practice_id,
                    user_id,
                    search: None,
                    locked: false,
                    user_version: 1,
                    only_if_newer: false,
                },
                "NotFound",
            ),
            (Write::CheckFailures { key: Key::LoginFailures(user_id), at_least: 4 }, "InvalidCredentials"),
            (Write::ConfirmSignIn { user_id, totp_step: None }, "AccountLocked"),
            (Write::DeleteVersioned { key: Key::SupportGrant(practice_id), expected_version: 1 }, "PreconditionFailed"),
            (Write::CheckMember { practice_id, user_id, version: 1 }, "Forbidden"),
            (
                Write::CheckLocation { practice_id, location_id: LocationId::new() },
                "Validation([FieldError { field: \"primary_location_id\", message: \"is not an active location\" }])",
            ),
            (Write::SetBuiltInRoles { practice_id, sets: BTreeMap::new(), expected_version: 0 }, "PreconditionFailed"),
            (Write::CheckOnboardingMails { practice_id }, "Conflict(\"onboarding_off\")"),
        ];
        for (write, meaning) in cases {
            assert_eq!(format!("{:?}", write.conflict_error()), meaning, "{write:?}");
        }
    }
}
