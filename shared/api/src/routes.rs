//! The one route table. The cargo-lambda router (Cargo.toml), the SAM template
//! and the OpenAPI document are checked against it by `tests/it/contract.rs`.
//!
//! Each route is written with the constructor of its kind, and each
//! constructor takes only a handler that asks for that kind's caller:
//! `public` a handler that gets no caller, `personal` one that gets the
//! signed-in `Caller` (past the gates), `practice` one that gets the
//! `MemberCtx` of the practice in the path. A handler in the wrong kind of
//! route does not compile (a mismatched function pointer type), and a path
//! that disagrees with its kind (a practice route not under
//! `/practices/{pid}`, or `{pid}` anywhere else) fails the constant
//! evaluation of `ROUTES`, which stops the build as well.

use crate::handlers::{account, audit_export, directory, emergency, invitations, members};
use crate::request::Req;
use lambda_http::{Body, Response};
use roster_domain::ports::App;
use roster_domain::service::context::{Caller, MemberCtx};
use roster_domain::service::gate::{Effect, WhileHeld};
use roster_domain::DomainError;
use std::future::Future;
use std::pin::Pin;

/// A Lambda function (one binary under `functions/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    Auth,
    Accept,
    Directory,
    Invite,
    Revoke,
    UpdateAccess,
    Deactivate,
    Sweep,
    /// SES bounce and complaint events (issue 14); no route.
    MailEvents,
    /// The outbox, from the table's change stream (issue 15); no route.
    Delivery,
}

impl Function {
    pub const ALL: [Function; 10] = [
        Function::Auth,
        Function::Accept,
        Function::Directory,
        Function::Invite,
        Function::Revoke,
        Function::UpdateAccess,
        Function::Deactivate,
        Function::Sweep,
        Function::MailEvents,
        Function::Delivery,
    ];

    /// The binary and package name.
    pub fn name(self) -> &'static str {
        match self {
            Function::Auth => "auth",
            Function::Accept => "accept",
            Function::Directory => "directory",
            Function::Invite => "invite",
            Function::Revoke => "revoke",
            Function::UpdateAccess => "update-access",
            Function::Deactivate => "deactivate",
            Function::Sweep => "sweep",
            Function::MailEvents => "mail-events",
            Function::Delivery => "delivery",
        }
    }
}

/// Every operation the HTTP API offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Signup,
    Login,
    Logout,
    VerifyEmail,
    ResendVerification,
    GetMe,
    PatchMe,
    ChangePassword,
    CreatePractice,
    GetPractice,
    PatchPractice,
    GetSettings,
    UpdateSettings,
    ListPermissions,
    ListLocations,
    CreateLocation,
    PatchLocation,
    ListRoles,
    ListMembers,
    GetMember,
    ListInvitations,
    Invite,
    ResendInvitation,
    RevokeInvitation,
    PreviewInvitation,
    AcceptByToken,
    DeclineByToken,
    RegisterByToken,
    MyInvitations,
    AcceptMine,
    DeclineMine,
    CreateRole,
    UpdateRole,
    DeleteRole,
    ResetRole,
    Leave,
    UpdateAccess,
    UpdateDetails,
    Deactivate,
    Reactivate,
    BulkReactivate,
    AuditLog,
    AuditExport,
    LoginMfa,
    RequestPasswordReset,
    ConfirmPasswordReset,
    EnrollTotp,
    ConfirmTotp,
    DisableTotp,
    Unlock,
    SetTemporaryPassword,
    GrantSupport,
    GetSupport,
    RevokeSupport,
    GetSecurityPolicy,
    PutSecurityPolicy,
    ListSessions,
    EndSession,
    EndOtherSessions,
    BulkInvite,
    OpenEmergency,
    CloseEmergency,
    ListEmergency,
    ReviewEmergency,
}

/// What a handler answers; an error is rendered by `problem.rs`.
pub type Answer = Result<Response<Body>, DomainError>;

/// A handler's answer, still to come.
pub type Pending<'a> = Pin<Box<dyn Future<Output = Answer> + Send + 'a>>;

/// A route anyone may call: the handler gets no caller.
pub type PublicHandler = for<'a> fn(&'a App, &'a Req) -> Pending<'a>;

/// A route for a signed-in user, outside any practice: the handler gets the
/// caller past the gates (R13, R28).
pub type PersonalHandler = for<'a> fn(&'a App, &'a Req, &'a Caller) -> Pending<'a>;

/// A route inside the practice `{pid}`: the handler gets an active member's
/// context, or a support agent's under an active grant (R2, R30), past the
/// gates (R13, R28, R31).
pub type PracticeHandler = for<'a> fn(&'a App, &'a Req, &'a MemberCtx) -> Pending<'a>;

/// A route's handler, by the caller it needs.
#[derive(Clone, Copy)]
pub enum Handler {
    Public(PublicHandler),
    /// With what the route still lets through at the gates (R13, R28).
    Personal(WhileHeld, PersonalHandler),
    /// Every practice route is shut to a session held at a gate.
    Practice(PracticeHandler),
}

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Handler::Public(_) => f.write_str("Public"),
            Handler::Personal(open, _) => write!(f, "Personal({open:?})"),
            Handler::Practice(_) => f.write_str("Practice"),
        }
    }
}

/// One route. Only the constructors below make one, so `auth` and the
/// handler always agree.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    /// API Gateway form: `{name}` marks a path parameter.
    pub path: &'static str,
    pub function: Function,
    pub op: Op,
    /// Whether the route needs a session: every route but a public one.
    pub auth: bool,
    handler: Handler,
}

impl Route {
    pub fn handler(&self) -> Handler {
        self.handler
    }

    /// A `GET` reads; anything else may write (R31).
    pub fn effect(&self) -> Effect {
        if self.method.eq_ignore_ascii_case("GET") {
            Effect::Read
        } else {
            Effect::Write
        }
    }

    /// A personal route that stays open at a gate: only `GET /me` and logout
    /// (both gates), changing the password (R13) and the second factor's
    /// enrollment (R28).
    // Called only in the initialiser of `ROUTES`, so the panic is a
    // compile-time error that stops the build, never a run-time one.
    #[allow(clippy::panic)]
    const fn open_while_held(self, open: WhileHeld) -> Route {
        match self.handler {
            Handler::Personal(_, h) => Route { handler: Handler::Personal(open, h), ..self },
            Handler::Public(_) | Handler::Practice(_) => panic!("only a personal route can stay open at a gate"),
        }
    }
}

/// The path prefix of every route inside a practice.
pub const PRACTICE_PREFIX: &str = "/practices/{pid}";

const fn bytes_at(s: &[u8], at: usize, p: &[u8]) -> bool {
    if at + p.len() > s.len() {
        return false;
    }
    let mut i = 0;
    while i < p.len() {
        if s[at + i] != p[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether a path names a practice (`{pid}`) anywhere.
pub const fn names_a_practice(path: &str) -> bool {
    let s = path.as_bytes();
    let mut at = 0;
    while at < s.len() {
        if bytes_at(s, at, b"{pid}") {
            return true;
        }
        at += 1;
    }
    false
}

/// Whether a path is `/practices/{pid}` or under it.
pub const fn in_a_practice(path: &str) -> bool {
    let (s, p) = (path.as_bytes(), PRACTICE_PREFIX.as_bytes());
    bytes_at(s, 0, p) && (s.len() == p.len() || s[p.len()] == b'/')
}

const fn public(method: &'static str, path: &'static str, function: Function, op: Op, h: PublicHandler) -> Route {
    assert!(!names_a_practice(path), "a public route names no practice");
    Route { method, path, function, op, auth: false, handler: Handler::Public(h) }
}

/// Shut at both gates unless opened with `open_while_held`.
const fn personal(method: &'static str, path: &'static str, function: Function, op: Op, h: PersonalHandler) -> Route {
    assert!(!names_a_practice(path), "a personal route names no practice; one under /practices/{{pid}} is `practice`");
    Route { method, path, function, op, auth: true, handler: Handler::Personal(WhileHeld::Shut, h) }
}

const fn practice(method: &'static str, path: &'static str, function: Function, op: Op, h: PracticeHandler) -> Route {
    assert!(in_a_practice(path), "a practice route is under /practices/{{pid}}");
    Route { method, path, function, op, auth: true, handler: Handler::Practice(h) }
}

const GET: &str = "GET";
const POST: &str = "POST";
const PUT: &str = "PUT";
const PATCH: &str = "PATCH";
const DELETE: &str = "DELETE";

use Function::*;
use WhileHeld::{Both, Enrollment, PasswordChange};

/// Every route, written once. Only compile-time code reads it directly: each
/// function's share is copied out of it by `served.rs`, so a binary links
/// only its own handlers.
#[rustfmt::skip]
pub(crate) const TABLE: &[Route] = &[
    public(POST, "/auth/signup", Auth, Op::Signup, account::signup),
    public(POST, "/auth/login", Auth, Op::Login, account::login),
    personal(POST, "/auth/logout", Auth, Op::Logout, account::logout).open_while_held(Both),
    public(POST, "/auth/verify-email", Auth, Op::VerifyEmail, account::verify_email),
    personal(POST, "/auth/verify-email/resend", Auth, Op::ResendVerification, account::resend_verification).open_while_held(Enrollment),
    personal(GET, "/me", Auth, Op::GetMe, account::get_me).open_while_held(Both),
    personal(PATCH, "/me", Auth, Op::PatchMe, account::patch_me),
    personal(POST, "/me/password", Auth, Op::ChangePassword, account::change_password).open_while_held(PasswordChange),
    public(POST, "/auth/login/mfa", Auth, Op::LoginMfa, account::login_mfa),
    public(POST, "/auth/password-reset", Auth, Op::RequestPasswordReset, account::request_password_reset),
    public(POST, "/auth/password-reset/confirm", Auth, Op::ConfirmPasswordReset, account::confirm_password_reset),
    personal(POST, "/me/mfa/totp", Auth, Op::EnrollTotp, account::enroll_totp).open_while_held(Enrollment),
    personal(POST, "/me/mfa/totp/confirm", Auth, Op::ConfirmTotp, account::confirm_totp).open_while_held(Enrollment),
    personal(DELETE, "/me/mfa/totp", Auth, Op::DisableTotp, account::disable_totp).open_while_held(Enrollment),
    personal(POST, "/practices", Directory, Op::CreatePractice, directory::create_practice),
    practice(GET, "/practices/{pid}", Directory, Op::GetPractice, directory::get_practice),
    practice(PATCH, "/practices/{pid}", Directory, Op::PatchPractice, directory::patch_practice),
    practice(GET, "/practices/{pid}/settings", Directory, Op::GetSettings, directory::get_settings),
    practice(PUT, "/practices/{pid}/settings", Directory, Op::UpdateSettings, directory::put_settings),
    personal(GET, "/permissions", Directory, Op::ListPermissions, directory::list_permissions),
    practice(GET, "/practices/{pid}/locations", Directory, Op::ListLocations, directory::list_locations),
    practice(POST, "/practices/{pid}/locations", Directory, Op::CreateLocation, directory::create_location),
    practice(PATCH, "/practices/{pid}/locations/{lid}", Directory, Op::PatchLocation, directory::patch_location),
    practice(GET, "/practices/{pid}/roles", Directory, Op::ListRoles, directory::list_roles),
    practice(POST, "/practices/{pid}/roles", Directory, Op::CreateRole, directory::create_role),
    practice(PATCH, "/practices/{pid}/roles/{rid}", Directory, Op::UpdateRole, directory::update_role),
    practice(DELETE, "/practices/{pid}/roles/{rid}", Directory, Op::DeleteRole, directory::delete_role),
    practice(POST, "/practices/{pid}/roles/{rid}/reset", Directory, Op::ResetRole, directory::reset_role),
    practice(GET, "/practices/{pid}/members", Directory, Op::ListMembers, directory::list_members),
    practice(GET, "/practices/{pid}/members/{uid}", Directory, Op::GetMember, directory::get_member),
    practice(GET, "/practices/{pid}/invitations", Directory, Op::ListInvitations, invitations::list),
    practice(POST, "/practices/{pid}/leave", Directory, Op::Leave, members::leave),
    practice(GET, "/practices/{pid}/audit", Directory, Op::AuditLog, directory::audit_log),
    practice(GET, "/practices/{pid}/audit/export", Directory, Op::AuditExport, audit_export::export),
    practice(PATCH, "/practices/{pid}/members/{uid}", UpdateAccess, Op::UpdateAccess, members::update_access),
    practice(PATCH, "/practices/{pid}/members/{uid}/details", UpdateAccess, Op::UpdateDetails, members::update_details),
    practice(POST, "/practices/{pid}/members/{uid}/deactivate", Deactivate, Op::Deactivate, members::deactivate),
    practice(POST, "/practices/{pid}/members/{uid}/reactivate", Deactivate, Op::Reactivate, members::reactivate),
    practice(POST, "/practices/{pid}/members/reactivate", Deactivate, Op::BulkReactivate, members::bulk_reactivate),
    practice(POST, "/practices/{pid}/members/{uid}/unlock", Deactivate, Op::Unlock, members::unlock),
    practice(POST, "/practices/{pid}/members/{uid}/temporary-password", Deactivate, Op::SetTemporaryPassword,
        members::set_temporary_password),
    practice(PUT, "/practices/{pid}/support-access", UpdateAccess, Op::GrantSupport, members::grant_support),
    practice(GET, "/practices/{pid}/support-access", UpdateAccess, Op::GetSupport, members::get_support),
    practice(DELETE, "/practices/{pid}/support-access", Revoke, Op::RevokeSupport, members::revoke_support),
    practice(POST, "/practices/{pid}/invitations", Invite, Op::Invite, invitations::invite),
    practice(POST, "/practices/{pid}/invitations/{iid}/resend", Invite, Op::ResendInvitation, invitations::resend),
    practice(POST, "/practices/{pid}/invitations/bulk", Invite, Op::BulkInvite, invitations::bulk),
    practice(DELETE, "/practices/{pid}/invitations/{iid}", Revoke, Op::RevokeInvitation, invitations::revoke),
    public(GET, "/invitations/{token}", Accept, Op::PreviewInvitation, invitations::preview),
    personal(POST, "/invitations/{token}/accept", Accept, Op::AcceptByToken, invitations::accept_by_token),
    public(POST, "/invitations/{token}/register", Accept, Op::RegisterByToken, invitations::register_by_token),
    public(POST, "/invitations/{token}/decline", Accept, Op::DeclineByToken, invitations::decline_by_token),
    personal(GET, "/me/invitations", Accept, Op::MyInvitations, invitations::my_invitations),
    personal(POST, "/me/invitations/{invitation_id}/accept", Accept, Op::AcceptMine, invitations::accept_mine),
    personal(POST, "/me/invitations/{invitation_id}/decline", Accept, Op::DeclineMine, invitations::decline_mine),
    practice(GET, "/practices/{pid}/security-policy", Directory, Op::GetSecurityPolicy, directory::get_security_policy),
    practice(PUT, "/practices/{pid}/security-policy", Directory, Op::PutSecurityPolicy, directory::put_security_policy),
    personal(GET, "/me/sessions", Auth, Op::ListSessions, account::list_sessions),
    personal(DELETE, "/me/sessions/{session_id}", Auth, Op::EndSession, account::end_session),
    personal(DELETE, "/me/sessions", Auth, Op::EndOtherSessions, account::end_other_sessions),
    practice(POST, "/practices/{pid}/emergency-access", UpdateAccess, Op::OpenEmergency, emergency::open),
    practice(DELETE, "/practices/{pid}/emergency-access/{id}", Revoke, Op::CloseEmergency, emergency::close),
    practice(GET, "/practices/{pid}/emergency-access", Directory, Op::ListEmergency, emergency::list),
    practice(POST, "/practices/{pid}/emergency-access/{id}/review", UpdateAccess, Op::ReviewEmergency,
        emergency::review),
];

/// Path parameters, in order of appearance.
pub type Params = Vec<(&'static str, String)>;

/// The whole table, for what looks at every route (the contract tests, the
/// bench). A function binary does not touch it: it would link every handler.
pub static ROUTES: &[Route] = TABLE;

/// Match a method and a concrete path against the whole table.
pub fn match_route(method: &str, path: &str) -> Option<(&'static Route, Params)> {
    find(ROUTES, method, path, |r| (r.method, r.path))
}

/// The first of `items` whose method and path template (`key`) match a
/// method and a concrete path, with the path's parameters. Trailing slashes
/// are ignored; segments are compared exactly.
pub(crate) fn find<T>(
    items: &'static [T],
    method: &str,
    path: &str,
    key: impl Fn(&T) -> (&'static str, &'static str),
) -> Option<(&'static T, Params)> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    items.iter().filter(|i| key(i).0.eq_ignore_ascii_case(method)).find_map(|i| {
        let pat: Vec<&'static str> = key(i).1.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
        if pat.len() != segs.len() {
            return None;
        }
        let mut params = Vec::new();
        for (p, s) in pat.iter().zip(&segs) {
            if let Some(name) = p.strip_prefix('{').and_then(|x| x.strip_suffix('}')) {
                params.push((name, (*s).to_string()));
            } else if p != s {
                return None;
            }
        }
        Some((i, params))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_literal_and_parameter_segments() {
        let (r, p) = match_route("GET", "/practices/abc/members/def").expect("route");
        assert_eq!(r.op, Op::GetMember);
        assert_eq!(p, vec![("pid", "abc".to_string()), ("uid", "def".to_string())]);
        assert_eq!(match_route("get", "/me/").map(|x| x.0.op), Some(Op::GetMe));
        assert!(match_route("DELETE", "/me").is_none());
        assert!(match_route("GET", "/practices/a/b/c/d").is_none());
    }

    #[test]
    fn method_and_path_pairs_are_unique() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(!(a.method == b.method && a.path == b.path), "{} {}", a.method, a.path);
            }
        }
    }

    #[test]
    fn practice_routes_and_only_they_name_a_practice() {
        for r in ROUTES {
            let is_practice = matches!(r.handler(), Handler::Practice(_));
            assert_eq!(is_practice, r.path.starts_with("/practices/{pid}"), "{} {}", r.method, r.path);
            assert_eq!(is_practice, r.path.contains("{pid}"), "{} {}", r.method, r.path);
            assert_eq!(r.auth, !matches!(r.handler(), Handler::Public(_)), "{} {}", r.method, r.path);
        }
        assert!(in_a_practice("/practices/{pid}") && in_a_practice("/practices/{pid}/roles"));
        assert!(!in_a_practice("/practices/{pidx}") && !in_a_practice("/practices") && !in_a_practice("/me"));
        assert!(names_a_practice("/x/{pid}/y") && !names_a_practice("/x/{uid}"));
    }

    // R13, R28: what stays open at each gate is exactly what API.md lists.
    #[test]
    fn only_the_ways_out_stay_open_at_the_gates() {
        let open: Vec<(Op, WhileHeld)> = ROUTES
            .iter()
            .filter_map(|r| match r.handler() {
                Handler::Personal(open, _) if open != WhileHeld::Shut => Some((r.op, open)),
                _ => None,
            })
            .collect();
        assert_eq!(
            open,
            vec![
                (Op::Logout, WhileHeld::Both),
                // Enrolling needs a verified email (R40), so a new link leads out too.
                (Op::ResendVerification, WhileHeld::Enrollment),
                (Op::GetMe, WhileHeld::Both),
                (Op::ChangePassword, WhileHeld::PasswordChange),
                (Op::EnrollTotp, WhileHeld::Enrollment),
                (Op::ConfirmTotp, WhileHeld::Enrollment),
                (Op::DisableTotp, WhileHeld::Enrollment),
            ]
        );
    }

    #[test]
    fn only_a_get_reads() {
        let reads: Vec<&str> = ROUTES.iter().filter(|r| r.effect() == Effect::Read).map(|r| r.method).collect();
        assert!(reads.iter().all(|m| *m == "GET"));
        assert_eq!(reads.len(), ROUTES.iter().filter(|r| r.method == "GET").count());
    }
}
