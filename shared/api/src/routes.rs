//! The one route table. The cargo-lambda router (Cargo.toml), the SAM template
//! and the OpenAPI document are checked against it by `tests/it/contract.rs`.

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
}

impl Function {
    pub const ALL: [Function; 8] = [
        Function::Auth,
        Function::Accept,
        Function::Directory,
        Function::Invite,
        Function::Revoke,
        Function::UpdateAccess,
        Function::Deactivate,
        Function::Sweep,
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
    GetMe,
    PatchMe,
    ChangePassword,
    CreatePractice,
    GetPractice,
    PatchPractice,
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
    RegisterByToken,
    MyInvitations,
    AcceptMine,
    DeclineMine,
    CreateRole,
    UpdateRole,
    DeleteRole,
    Leave,
    UpdateAccess,
    UpdateDetails,
    Deactivate,
    Reactivate,
    BulkReactivate,
    AuditLog,
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// API Gateway form: `{name}` marks a path parameter.
    pub path: &'static str,
    pub function: Function,
    pub op: Op,
    /// Whether the route needs a session.
    pub auth: bool,
}

const fn r(method: &'static str, path: &'static str, function: Function, op: Op, auth: bool) -> Route {
    Route { method, path, function, op, auth }
}

use Function::*;

pub static ROUTES: &[Route] = &[
    r("POST", "/auth/signup", Auth, Op::Signup, false),
    r("POST", "/auth/login", Auth, Op::Login, false),
    r("POST", "/auth/logout", Auth, Op::Logout, true),
    r("POST", "/auth/verify-email", Auth, Op::VerifyEmail, false),
    r("GET", "/me", Auth, Op::GetMe, true),
    r("PATCH", "/me", Auth, Op::PatchMe, true),
    r("POST", "/me/password", Auth, Op::ChangePassword, true),
    r("POST", "/auth/login/mfa", Auth, Op::LoginMfa, false),
    r("POST", "/auth/password-reset", Auth, Op::RequestPasswordReset, false),
    r("POST", "/auth/password-reset/confirm", Auth, Op::ConfirmPasswordReset, false),
    r("POST", "/me/mfa/totp", Auth, Op::EnrollTotp, true),
    r("POST", "/me/mfa/totp/confirm", Auth, Op::ConfirmTotp, true),
    r("DELETE", "/me/mfa/totp", Auth, Op::DisableTotp, true),
    r("POST", "/practices", Directory, Op::CreatePractice, true),
    r("GET", "/practices/{pid}", Directory, Op::GetPractice, true),
    r("PATCH", "/practices/{pid}", Directory, Op::PatchPractice, true),
    r("GET", "/permissions", Directory, Op::ListPermissions, true),
    r("GET", "/practices/{pid}/locations", Directory, Op::ListLocations, true),
    r("POST", "/practices/{pid}/locations", Directory, Op::CreateLocation, true),
    r("PATCH", "/practices/{pid}/locations/{lid}", Directory, Op::PatchLocation, true),
    r("GET", "/practices/{pid}/roles", Directory, Op::ListRoles, true),
    r("POST", "/practices/{pid}/roles", Directory, Op::CreateRole, true),
    r("PATCH", "/practices/{pid}/roles/{rid}", Directory, Op::UpdateRole, true),
    r("DELETE", "/practices/{pid}/roles/{rid}", Directory, Op::DeleteRole, true),
    r("GET", "/practices/{pid}/members", Directory, Op::ListMembers, true),
    r("GET", "/practices/{pid}/members/{uid}", Directory, Op::GetMember, true),
    r("GET", "/practices/{pid}/invitations", Directory, Op::ListInvitations, true),
    r("POST", "/practices/{pid}/leave", Directory, Op::Leave, true),
    r("GET", "/practices/{pid}/audit", Directory, Op::AuditLog, true),
    r("PATCH", "/practices/{pid}/members/{uid}", UpdateAccess, Op::UpdateAccess, true),
    r("PATCH", "/practices/{pid}/members/{uid}/details", UpdateAccess, Op::UpdateDetails, true),
    r("POST", "/practices/{pid}/members/{uid}/deactivate", Deactivate, Op::Deactivate, true),
    r("POST", "/practices/{pid}/members/{uid}/reactivate", Deactivate, Op::Reactivate, true),
    r("POST", "/practices/{pid}/members/reactivate", Deactivate, Op::BulkReactivate, true),
    r("POST", "/practices/{pid}/members/{uid}/unlock", Deactivate, Op::Unlock, true),
    r("POST", "/practices/{pid}/members/{uid}/temporary-password", Deactivate, Op::SetTemporaryPassword, true),
    r("PUT", "/practices/{pid}/support-access", UpdateAccess, Op::GrantSupport, true),
    r("GET", "/practices/{pid}/support-access", UpdateAccess, Op::GetSupport, true),
    r("DELETE", "/practices/{pid}/support-access", Revoke, Op::RevokeSupport, true),
    r("POST", "/practices/{pid}/invitations", Invite, Op::Invite, true),
    r("POST", "/practices/{pid}/invitations/{iid}/resend", Invite, Op::ResendInvitation, true),
    r("DELETE", "/practices/{pid}/invitations/{iid}", Revoke, Op::RevokeInvitation, true),
    r("GET", "/invitations/{token}", Accept, Op::PreviewInvitation, false),
    r("POST", "/invitations/{token}/accept", Accept, Op::AcceptByToken, true),
    r("POST", "/invitations/{token}/register", Accept, Op::RegisterByToken, false),
    r("GET", "/me/invitations", Accept, Op::MyInvitations, true),
    r("POST", "/me/invitations/{invitation_id}/accept", Accept, Op::AcceptMine, true),
    r("POST", "/me/invitations/{invitation_id}/decline", Accept, Op::DeclineMine, true),
];

/// Path parameters, in order of appearance.
pub type Params = Vec<(&'static str, String)>;

/// Match a method and a concrete path against the table. Trailing slashes are
/// ignored; segments are compared exactly.
pub fn match_route(method: &str, path: &str) -> Option<(&'static Route, Params)> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    ROUTES.iter().filter(|r| r.method.eq_ignore_ascii_case(method)).find_map(|r| {
        let pat: Vec<&'static str> = r.path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
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
        Some((r, params))
    })
}

/// Whether `function` serves this path under some other method (405, not 404).
pub fn path_exists(function: Function, path: &str) -> bool {
    ["GET", "POST", "PATCH", "PUT", "DELETE"]
        .iter()
        .any(|m| match_route(m, path).is_some_and(|(r, _)| r.function == function))
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
        assert!(path_exists(Function::Auth, "/me"));
        assert!(!path_exists(Function::Directory, "/me"));
    }

    #[test]
    fn method_and_path_pairs_are_unique() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(!(a.method == b.method && a.path == b.path), "{} {}", a.method, a.path);
            }
        }
    }
}
