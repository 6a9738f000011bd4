//! The authorization matrix (R1, R2, R14, R15, R26, R30, R31): every route of
//! the API, as each kind of caller, with the exact status expected. A route
//! without a row fails the test, so no route is ever added unchecked.

use crate::common::{route_of, s, Harness, SUPPORT_AGENT};
use roster_api::routes::{Route, ROUTES};
use roster_api::Op;
use roster_domain::model::MemberStatus;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Director,
    /// A custom role with users.manage (and users.view, calendar.view).
    Manager,
    Clinician,
    FrontDesk,
    /// billing_manager with `access_billing: false`.
    BillingOff,
    Deactivated,
    /// An active member of another practice only.
    Outsider,
    Anonymous,
    /// The support agent (not a member) under an active grant on the
    /// practice (R30): reads inside it, writes nothing (R31).
    Support,
}

const WHO: [Who; 9] = [
    Who::Director,
    Who::Manager,
    Who::Clinician,
    Who::FrontDesk,
    Who::BillingOff,
    Who::Deactivated,
    Who::Outsider,
    Who::Anonymous,
    Who::Support,
];

/// Expected status per caller, in the order of `WHO`:
/// director, manager, clinician, front desk, billing off, deactivated, outsider, anonymous, support.
/// Every 403 of the support column must be `support_read_only` (R31).
#[rustfmt::skip]
const MATRIX: &[(Op, [u16; 9])] = &[
    // auth (personal or public)
    (Op::Signup,               [201, 201, 201, 201, 201, 201, 201, 201, 201]),
    (Op::Login,                [200, 200, 200, 200, 200, 200, 200, 200, 200]),
    (Op::Logout,               [204, 204, 204, 204, 204, 204, 204, 401, 204]),
    (Op::VerifyEmail,          [410, 410, 410, 410, 410, 410, 410, 410, 410]),
    (Op::ResendVerification,   [409, 409, 409, 409, 409, 409, 409, 401, 409]),
    (Op::GetMe,                [200, 200, 200, 200, 200, 200, 200, 401, 200]),
    (Op::PatchMe,              [200, 200, 200, 200, 200, 200, 200, 401, 200]),
    (Op::ChangePassword,       [422, 422, 422, 422, 422, 422, 422, 401, 422]),
    (Op::CreatePractice,       [201, 201, 201, 201, 201, 201, 201, 401, 201]),
    (Op::ListPermissions,      [200, 200, 200, 200, 200, 200, 200, 401, 200]),
    // R24..R28: sign-in by second factor, password reset, TOTP enrollment
    (Op::LoginMfa,             [401, 401, 401, 401, 401, 401, 401, 401, 401]),
    (Op::RequestPasswordReset, [202, 202, 202, 202, 202, 202, 202, 202, 202]),
    (Op::ConfirmPasswordReset, [410, 410, 410, 410, 410, 410, 410, 410, 410]),
    (Op::EnrollTotp,           [200, 200, 200, 200, 200, 200, 200, 401, 200]),
    (Op::ConfirmTotp,          [422, 422, 422, 422, 422, 422, 422, 401, 422]),
    (Op::DisableTotp,          [204, 204, 204, 204, 204, 204, 204, 401, 204]),
    // invited side
    (Op::PreviewInvitation,    [200, 200, 200, 200, 200, 200, 200, 200, 200]),
    (Op::AcceptByToken,        [403, 403, 403, 403, 403, 403, 403, 401, 403]),
    (Op::RegisterByToken,      [409, 409, 409, 409, 409, 409, 409, 409, 409]),
    (Op::DeclineByToken,       [204, 204, 204, 204, 204, 204, 204, 204, 204]),
    (Op::MyInvitations,        [200, 200, 200, 200, 200, 200, 200, 401, 200]),
    (Op::AcceptMine,           [404, 404, 404, 404, 404, 404, 404, 401, 404]),
    (Op::DeclineMine,          [404, 404, 404, 404, 404, 404, 404, 401, 404]),
    // inside the practice: R2 gives the deactivated and the outsider 404;
    // R30, R31 let the agent read and nothing else
    (Op::GetPractice,          [200, 200, 200, 200, 200, 404, 404, 401, 200]),
    (Op::PatchPractice,        [200, 403, 403, 403, 403, 404, 404, 401, 403]),
    // R43: every member reads the settings, the agent too; practice.settings changes them
    (Op::GetSettings,          [200, 200, 200, 200, 200, 404, 404, 401, 200]),
    (Op::UpdateSettings,       [200, 403, 403, 403, 403, 404, 404, 401, 403]),
    (Op::ListLocations,        [200, 200, 200, 200, 200, 404, 404, 401, 200]),
    (Op::CreateLocation,       [201, 403, 403, 403, 403, 404, 404, 401, 403]),
    (Op::PatchLocation,        [200, 403, 403, 403, 403, 404, 404, 401, 403]),
    (Op::ListRoles,            [200, 200, 200, 200, 200, 404, 404, 401, 200]),
    (Op::CreateRole,           [201, 403, 403, 403, 403, 404, 404, 401, 403]),
    (Op::UpdateRole,           [200, 403, 403, 403, 403, 404, 404, 401, 403]),
    (Op::DeleteRole,           [204, 403, 403, 403, 403, 404, 404, 401, 403]),
    (Op::ResetRole,            [200, 403, 403, 403, 403, 404, 404, 401, 403]),
    (Op::ListMembers,          [200, 200, 403, 403, 403, 404, 404, 401, 200]),
    (Op::GetMember,            [200, 200, 403, 403, 403, 404, 404, 401, 200]),
    (Op::ListInvitations,      [200, 200, 403, 403, 403, 404, 404, 401, 200]),
    (Op::Invite,               [201, 201, 403, 403, 403, 404, 404, 401, 403]),
    // R52: the same gate as one invitation; each row's own outcome is in the 200
    (Op::BulkInvite,           [200, 200, 403, 403, 403, 404, 404, 401, 403]),
    // R36: a resend issues the front-desk access anew, which the manager lacks.
    (Op::ResendInvitation,     [200, 403, 403, 403, 403, 404, 404, 401, 403]),
    (Op::RevokeInvitation,     [204, 204, 403, 403, 403, 404, 404, 401, 403]),
    // R15: the only director cannot leave; everyone else may
    (Op::Leave,                [409, 204, 204, 204, 204, 404, 404, 401, 403]),
    (Op::UpdateAccess,         [200, 200, 403, 403, 403, 404, 404, 401, 403]),
    (Op::UpdateDetails,        [200, 200, 403, 403, 403, 404, 404, 401, 403]),
    (Op::Deactivate,           [200, 200, 403, 403, 403, 404, 404, 401, 403]),
    // R36: the manager lacks the front-desk keys the snapshot would restore.
    (Op::Reactivate,           [200, 403, 403, 403, 403, 404, 404, 401, 403]),
    (Op::BulkReactivate,       [200, 200, 403, 403, 403, 404, 404, 401, 403]),
    (Op::AuditLog,             [200, 403, 403, 403, 403, 404, 404, 401, 200]),
    // R51: the export is the log's, so is its gate
    (Op::AuditExport,          [200, 403, 403, 403, 403, 404, 404, 401, 200]),
    // R26: users.manage unlocks and sets a temporary password (the target
    // belongs to this practice only and is no director)
    (Op::Unlock,               [200, 200, 403, 403, 403, 404, 404, 401, 403]),
    // a temporary password hands over the account: not one holding keys the setter lacks
    (Op::SetTemporaryPassword, [204, 403, 403, 403, 403, 404, 404, 401, 403]),
    // R30: support_access.manage (directors only here); the agent may read the grant
    (Op::GrantSupport,         [200, 403, 403, 403, 403, 404, 404, 401, 403]),
    (Op::GetSupport,           [200, 403, 403, 403, 403, 404, 404, 401, 200]),
    (Op::RevokeSupport,        [204, 403, 403, 403, 403, 404, 404, 401, 403]),
    // R48: every member reads the policy that holds them, the agent too;
    // practice.settings changes it
    (Op::GetSecurityPolicy,    [200, 200, 200, 200, 200, 404, 404, 401, 200]),
    (Op::PutSecurityPolicy,    [200, 403, 403, 403, 403, 404, 404, 401, 403]),
    // R49: one's own sessions, whoever one is; another's id is 404
    (Op::ListSessions,         [200, 200, 200, 200, 200, 200, 200, 401, 200]),
    (Op::EndSession,           [404, 404, 404, 404, 404, 404, 404, 401, 404]),
    (Op::EndOtherSessions,     [204, 204, 204, 204, 204, 204, 204, 401, 204]),
    // R50: a director holds everything (409 director_holds_all); nobody
    // else here holds emergency_access.use. Ending an unknown one is 404.
    (Op::OpenEmergency,        [409, 403, 403, 403, 403, 404, 404, 401, 403]),
    (Op::CloseEmergency,       [404, 404, 404, 404, 404, 404, 404, 401, 403]),
    // R50: a director lists every use, anyone else (the agent too) their
    // own; only a director reviews, and an unknown one is 404.
    (Op::ListEmergency,        [200, 200, 200, 200, 200, 404, 404, 401, 200]),
    (Op::ReviewEmergency,      [404, 403, 403, 403, 403, 404, 404, 401, 403]),
];

/// The practice, its people and invitations every cell acts on; the IAM
/// test (iam.rs) drives the same cells on a recording harness.
pub(crate) struct Fixture {
    pub(crate) h: Harness,
    pid: String,
    lid: String,
    /// The manager's custom role.
    manager_role: String,
    /// A staff member (front desk) every member route acts on.
    target: String,
    director: String,
    users: Vec<(Who, String, String)>,
    /// An invitation to an address with no account: preview and accept.
    open_token: String,
    /// An invitation to an address that has an account: register says 409.
    taken_token: String,
    n: AtomicUsize,
}

impl Fixture {
    pub(crate) async fn new(h: Harness) -> Self {
        let (_, director) = h.signup("director@clinic.example").await;
        // R40, R41: enrolling a second factor and inviting (rows below) need
        // a verified email; every member and the outsider verify theirs.
        h.verify("director@clinic.example").await;
        let pid = h.practice(&director, "Harbour Clinic").await;
        let lid = h.first_location(&director, &pid).await;
        let role = h.create_role(&director, &pid, "Manager", &["users.manage", "users.view", "calendar.view"]).await;
        let manager_role = s(&role.body["id"]);
        let mut users = Vec::new();
        for (who, email, role_id, status) in [
            (Who::Manager, "manager@clinic.example", manager_role.as_str(), MemberStatus::Active),
            (Who::Clinician, "clinician@clinic.example", "clinician", MemberStatus::Active),
            (Who::FrontDesk, "desk@clinic.example", "front_desk", MemberStatus::Active),
            (Who::BillingOff, "billing@clinic.example", "billing_manager", MemberStatus::Active),
            (Who::Deactivated, "gone@clinic.example", "front_desk", MemberStatus::Deactivated),
        ] {
            let (uid, token) = h.member(&pid, email, role_id, status).await;
            h.verify(email).await;
            users.push((who, email.to_string(), token));
            if who == Who::BillingOff {
                let r = h
                    .call(
                        "PATCH",
                        &format!("/practices/{pid}/members/{uid}"),
                        Some(&director),
                        Some(json!({"access_billing": false})),
                    )
                    .await;
                assert_eq!(r.status, 200, "{}", r.body);
            }
        }
        let (_, outsider) = h.signup("outsider@elsewhere.example").await;
        h.verify("outsider@elsewhere.example").await;
        h.practice(&outsider, "Elsewhere").await;
        users.push((Who::Outsider, "outsider@elsewhere.example".into(), outsider));
        users.push((Who::Director, "director@clinic.example".into(), director.clone()));
        // R30: the agent is an ordinary signed-up (and verified) user, let in by the grant.
        let (_, agent) = h.signup(SUPPORT_AGENT).await;
        h.verify(SUPPORT_AGENT).await;
        users.push((Who::Support, SUPPORT_AGENT.into(), agent));
        let grant = h.call("PUT", &format!("/practices/{pid}/support-access"), Some(&director), None).await;
        assert_eq!(grant.status, 200, "{}", grant.body);
        let (target, _) = h.member(&pid, "target@clinic.example", "front_desk", MemberStatus::Active).await;
        assert_eq!(h.invite(&director, &pid, "nobody-yet@mail.example").await.status, 201);
        let open_token = h.last_invite_token();
        assert_eq!(h.invite(&director, &pid, "outsider@elsewhere.example").await.status, 201);
        let taken_token = h.last_invite_token();
        Self { h, pid, lid, manager_role, target, director, users, open_token, taken_token, n: AtomicUsize::new(0) }
    }

    fn token(&self, who: Who) -> Option<String> {
        self.users.iter().find(|(w, _, _)| *w == who).map(|(_, _, t)| t.clone())
    }

    fn email(&self, who: Who) -> String {
        self.users.iter().find(|(w, _, _)| *w == who).map(|(_, e, _)| e.clone()).unwrap_or_default()
    }

    fn unique(&self, what: &str) -> String {
        format!("{what}-{}", self.n.fetch_add(1, Ordering::Relaxed))
    }

    async fn as_director(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let r = self.h.call(method, path, Some(&self.director), body).await;
        assert!(r.status < 300, "setup {method} {path}: {} {}", r.status, r.body);
        r.body
    }

    /// A fresh pending invitation's id.
    async fn invitation(&self) -> String {
        let email = format!("{}@mail.example", self.unique("invitee"));
        let r = self.h.invite(&self.director, &self.pid, &email).await;
        assert_eq!(r.status, 201, "{}", r.body);
        s(&r.body["id"])
    }

    async fn set_target(&self, active: bool) {
        let (pid, uid) = (&self.pid, &self.target);
        let action = if active { "reactivate" } else { "deactivate" };
        self.as_director("POST", &format!("/practices/{pid}/members/{uid}/{action}"), None).await;
    }

    /// The path (parameters filled in), body and session for one cell,
    /// after bringing the state to what the cell needs.
    async fn cell(&self, route: &Route, who: Who) -> (String, Option<Value>, Option<String>) {
        let pid = self.pid.clone();
        let mut token = self.token(who);
        let mut params: Vec<(&str, String)> =
            vec![("pid", pid.clone()), ("lid", self.lid.clone()), ("uid", self.target.clone())];
        let body = match route.op {
            Op::Signup => Some(json!({"email": format!("{}@mail.example", self.unique("signup")),
                "password": "correct horse battery", "first_name": "A", "last_name": "B"})),
            Op::Login => Some(json!({"email": self.email(if who == Who::Anonymous { Who::Director } else { who }),
                "password": "correct horse battery"})),
            Op::Logout => {
                // Its own session, so the caller's main one lives on.
                if who != Who::Anonymous {
                    token = Some(self.h.login(&self.email(who)).await);
                }
                None
            }
            Op::VerifyEmail => Some(json!({"token": "not-a-token"})),
            Op::PatchMe => Some(json!({"title": "Dr"})),
            Op::ChangePassword => {
                Some(json!({"current_password": "wrong password!", "new_password": "another long one"}))
            }
            Op::CreatePractice => Some(json!({"name": "Side practice", "location": {"name": "Room"}})),
            Op::PreviewInvitation | Op::AcceptByToken => {
                params.push(("token", self.open_token.clone()));
                None
            }
            Op::DeclineByToken => {
                // A fresh link each time: declining spends it.
                self.invitation().await;
                params.push(("token", self.h.last_invite_token()));
                None
            }
            Op::RegisterByToken => {
                params.push(("token", self.taken_token.clone()));
                Some(
                    json!({"first_name": "A", "last_name": "B", "password": "correct horse battery", "accept_terms": true}),
                )
            }
            Op::AcceptMine | Op::DeclineMine => {
                params.push(("invitation_id", uuid::Uuid::now_v7().to_string()));
                None
            }
            Op::PatchPractice => Some(json!({"name": "Harbour Clinic"})),
            // Onboarding off is a change from the defaults: the director's cell writes.
            Op::UpdateSettings => Some(json!({"default_roles": {"practitioner": "clinician", "staff": "front_desk"},
                "onboarding_mails": false})),
            Op::CreateLocation => Some(json!({"name": self.unique("Room")})),
            Op::PatchLocation => Some(json!({"name": "Main St"})),
            Op::CreateRole => Some(json!({"name": self.unique("Role"), "permissions": []})),
            Op::UpdateRole => {
                params.push(("rid", self.manager_role.clone()));
                Some(json!({"permissions": ["users.manage", "users.view", "calendar.view"]}))
            }
            Op::ResetRole => {
                params.push(("rid", "front_desk".to_string()));
                None
            }
            Op::DeleteRole => {
                let role = self
                    .as_director(
                        "POST",
                        &format!("/practices/{pid}/roles"),
                        Some(json!({"name": self.unique("Doomed"), "permissions": []})),
                    )
                    .await;
                params.push(("rid", s(&role["id"])));
                None
            }
            Op::Invite => Some(json!({"email": format!("{}@mail.example", self.unique("new")), "kind": "staff",
                "role_id": self.manager_role, "primary_location_id": self.lid})),
            Op::BulkInvite => Some(json!({"rows": [{"email": format!("{}@mail.example", self.unique("new")),
                "kind": "staff", "role_id": self.manager_role, "primary_location_id": self.lid}]})),
            Op::ResendInvitation | Op::RevokeInvitation => {
                params.push(("iid", self.invitation().await));
                None
            }
            Op::UpdateAccess => Some(json!({"access_billing": false})),
            Op::OpenEmergency => Some(json!({"reason": "Patient collapsed in the waiting room"})),
            Op::CloseEmergency => {
                params.push(("id", uuid::Uuid::now_v7().to_string()));
                None
            }
            Op::ReviewEmergency => {
                params.push(("id", uuid::Uuid::now_v7().to_string()));
                Some(json!({"note": "Justified: the patient was in our care"}))
            }
            Op::UpdateDetails => Some(json!({"title": "Dr"})),
            Op::Deactivate => {
                self.set_target(true).await;
                None
            }
            Op::Reactivate => {
                self.set_target(false).await;
                None
            }
            Op::BulkReactivate => {
                self.set_target(false).await;
                Some(json!({"user_ids": [self.target]}))
            }
            Op::LoginMfa => Some(json!({"mfa_token": "not-a-token", "code": "123456"})),
            Op::RequestPasswordReset => Some(json!({"email": if who == Who::Anonymous {
                "nobody@nowhere.example".to_string()
            } else {
                self.email(who)
            }})),
            Op::ConfirmPasswordReset => Some(json!({"token": "not-a-token", "new_password": "another long one"})),
            // A wrong code: whether or not enrollment was started, 422.
            Op::ConfirmTotp => Some(json!({"code": "000000"})),
            // Never confirmed, so not enabled: 204 whatever the code.
            Op::DisableTotp => Some(json!({"code": "000000"})),
            Op::Unlock => {
                // Unlocking an active, unlocked member changes nothing (200).
                self.set_target(true).await;
                None
            }
            Op::SetTemporaryPassword => {
                self.set_target(true).await;
                Some(json!({"temporary_password": "a temporary secret"}))
            }
            // A change from the defaults that holds nobody back in later cells.
            Op::PutSecurityPolicy => Some(json!({"session_idle_minutes": 1440})),
            Op::EndSession => {
                params.push(("session_id", uuid::Uuid::now_v7().to_string()));
                None
            }
            Op::GetMe
            | Op::GetSecurityPolicy
            | Op::ListSessions
            | Op::EndOtherSessions
            | Op::ResendVerification
            | Op::ListPermissions
            | Op::MyInvitations
            | Op::GetPractice
            | Op::GetSettings
            | Op::ListLocations
            | Op::ListRoles
            | Op::ListMembers
            | Op::GetMember
            | Op::ListInvitations
            | Op::AuditLog
            | Op::AuditExport
            | Op::Leave
            | Op::EnrollTotp
            | Op::GrantSupport
            | Op::GetSupport
            | Op::RevokeSupport
            | Op::ListEmergency => None,
        };
        let mut path = route.path.to_string();
        for (name, value) in params {
            path = path.replace(&format!("{{{name}}}"), &value);
        }
        (path, body, token)
    }

    /// Undo what a cell changed that later cells rely on.
    async fn after(&self, route: &Route, who: Who, status: u16) {
        if route.op == Op::Leave && status == 204 {
            let uid = self.h.call("GET", "/me", self.token(who).as_deref(), None).await.body["user"]["id"].clone();
            let pid = &self.pid;
            self.as_director("POST", &format!("/practices/{pid}/members/{}/reactivate", s(&uid)), None).await;
        }
        // The agent's grant must outlive the director's revoke (R30).
        if route.op == Op::RevokeSupport && status == 204 {
            self.as_director("PUT", &format!("/practices/{}/support-access", self.pid), None).await;
        }
    }
}

// R1, R2, R14, R15, R26, R30, R31 (and R6, R10, R13, R24..R28 for the other routes).
#[tokio::test]
async fn every_route_as_every_caller() {
    let missing: Vec<String> = ROUTES
        .iter()
        .filter(|r| !MATRIX.iter().any(|(op, _)| *op == r.op))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(missing.is_empty(), "routes without a row in the authorization matrix: {missing:?}");
    let stray: Vec<String> =
        MATRIX.iter().filter(|(op, _)| !ROUTES.iter().any(|r| r.op == *op)).map(|(op, _)| format!("{op:?}")).collect();
    assert!(stray.is_empty(), "matrix rows for no route: {stray:?}");

    let fx = Fixture::new(Harness::new().await).await;
    let wrong = every_cell(&fx).await;
    assert!(wrong.is_empty(), "{} cells differ:\n{}", wrong.len(), wrong.join("\n"));
}

/// Every route as every caller, in the table's order: the cells whose
/// answer differs from the matrix, described.
pub(crate) async fn every_cell(fx: &Fixture) -> Vec<String> {
    let mut wrong = Vec::new();
    for route in ROUTES {
        let Some((_, expected)) = MATRIX.iter().find(|(op, _)| *op == route.op) else { continue };
        for (who, want) in WHO.iter().zip(expected) {
            let (path, body, token) = fx.cell(route, *who).await;
            // The harness routes by the table; the filled-in path must come
            // back to this very route.
            assert_eq!(route_of(route.method, &path).map(|(_, p)| p), Some(route.path), "{path}");
            let r = fx.h.call(route.method, &path, token.as_deref(), body).await;
            if r.status != *want {
                wrong.push(format!(
                    "{} {} as {who:?}: want {want}, got {} {}",
                    route.method, route.path, r.status, r.body
                ));
            } else if *who == Who::Support
                && r.status == 403
                && route.path.starts_with("/practices/{pid}")
                && r.body["code"] != "support_read_only"
            {
                // R31: the agent is refused as read-only, not as a member without permission.
                wrong.push(format!(
                    "{} {} as {who:?}: want code support_read_only, got {}",
                    route.method, route.path, r.body
                ));
            }
            fx.after(route, *who, r.status).await;
        }
    }
    wrong
}
