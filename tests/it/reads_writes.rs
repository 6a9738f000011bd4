//! Issue 15 item 4 for the write routes of invitations and the directory:
//! after the session's BatchGetItem, one read and one transaction, pinned
//! call by call through the real handlers (as `reads.rs` does for reads).
//! Where a route needs a second read, `docs/design.md` ("Reads per route")
//! says why.

use crate::common::{s, Harness, Reply, DIRECTOR, PASSWORD};
use crate::reads::traced_call as traced;
use serde_json::json;

/// The route answered `status` after exactly `expected`.
fn pin(r: &Reply, ops: &[String], status: u16, expected: &[&str], what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.body);
    assert_eq!(ops, expected, "{what}");
}

/// A practice with a custom role; returns (director's session, practice, role).
async fn practice_with_role(h: &Harness) -> (String, String, String) {
    let (_, director, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let role = h.create_role(&director, &pid, "Office manager", &["users.view"]).await;
    assert_eq!(role.status, 201, "{}", role.body);
    (director, pid, s(&role.body["id"]))
}

/// Invites `email` with `role_id`; returns the invitation's id.
async fn invite_as(h: &Harness, director: &str, pid: &str, email: &str, role_id: &str) -> String {
    let loc = h.first_location(director, pid).await;
    let body = json!({"email": email, "kind": "staff", "role_id": role_id, "primary_location_id": loc});
    let r = h.call("POST", &format!("/practices/{pid}/invitations"), Some(director), Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    s(&r.body["id"])
}

/// A verified account for `email`; returns its session.
async fn verified(h: &Harness, email: &str) -> String {
    let (_, token) = h.signup(email).await;
    h.verify(email).await;
    token
}

// Resend: the invitation (the path names nothing else), then one batch of
// what it names: its address's claim and bounce mark, its custom role.
#[tokio::test]
async fn resend_reads_the_invitation_then_one_batch() {
    let h = Harness::recording().await;
    let (director, pid, role) = practice_with_role(&h).await;
    for (email, role_id) in [("a@mail.example", "front_desk"), ("b@mail.example", role.as_str())] {
        let iid = invite_as(&h, &director, &pid, email, role_id).await;
        let path = format!("/practices/{pid}/invitations/{iid}/resend");
        let (r, ops) = traced(&h, "POST", &path, Some(&director), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["resend_count"], 1, "{}", r.body);
        assert_eq!(ops, ["BatchGetItem", "GetItem", "BatchGetItem", "TransactWriteItems"], "{email}");
        assert_eq!(h.mails_to(email, "invitation_new_user").len(), 2, "the mail again");
    }
}

// Accepting a link: the token item (the link names only a secret), then the
// invitation and its practice in one batch. A custom role is one GetItem
// more: the token item does not name it.
#[tokio::test]
async fn accepting_a_link_reads_the_token_then_one_batch() {
    let h = Harness::recording().await;
    let (director, pid, role) = practice_with_role(&h).await;
    for (email, role_id, reads) in [
        ("a@mail.example", "front_desk", vec!["GetItem", "BatchGetItem"]),
        ("b@mail.example", role.as_str(), vec!["GetItem", "BatchGetItem", "GetItem"]),
    ] {
        let token = verified(&h, email).await;
        invite_as(&h, &director, &pid, email, role_id).await;
        let link = h.invite_token_for(email);
        let (r, ops) = traced(&h, "POST", &format!("/invitations/{link}/accept"), Some(&token), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["role_id"], role_id);
        assert!(r.body["permissions"].as_array().is_some_and(|p| !p.is_empty()), "{}", r.body);
        let expected: Vec<&str> = ["BatchGetItem"].into_iter().chain(reads).chain(["TransactWriteItems"]).collect();
        assert_eq!(ops, expected, "{email}");
    }
}

// Registering from a link: the token item, then one batch; the member's
// permissions come from that batch, not from reads after the commit.
#[tokio::test]
async fn registering_reads_the_token_then_one_batch() {
    let h = Harness::recording().await;
    let (director, pid, _) = practice_with_role(&h).await;
    invite_as(&h, &director, &pid, "new@mail.example", "front_desk").await;
    let link = h.invite_token_for("new@mail.example");
    let body = json!({"first_name": "Nia", "last_name": "Ode", "password": PASSWORD, "accept_terms": true});
    let (r, ops) = traced(&h, "POST", &format!("/invitations/{link}/register"), None, Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["member"]["role_id"], "front_desk");
    assert!(r.body["member"]["permissions"].as_array().is_some_and(|p| !p.is_empty()), "{}", r.body);
    assert_eq!(ops, ["GetItem", "BatchGetItem", "TransactWriteItems"]);
}

// Accepting from one's own list: the list (its index names the practice),
// then the invitation read consistently, its practice and the custom role
// the list names, in one batch.
#[tokio::test]
async fn accepting_from_my_list_is_the_list_then_one_batch() {
    let h = Harness::recording().await;
    let (director, pid, role) = practice_with_role(&h).await;
    let token = verified(&h, "a@mail.example").await;
    let iid = invite_as(&h, &director, &pid, "a@mail.example", &role).await;
    let (r, ops) = traced(&h, "POST", &format!("/me/invitations/{iid}/accept"), Some(&token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["permissions"], json!(["users.view"]));
    assert_eq!(ops, ["BatchGetItem", "Query", "BatchGetItem", "TransactWriteItems"]);
}

// PUT settings: the settings and the custom roles it names in one batch,
// not the practice's whole role list; a role that is not there is the
// same 422 as before, from the same batch.
#[tokio::test]
async fn saving_settings_reads_one_batch() {
    let h = Harness::recording().await;
    let (director, pid, role) = practice_with_role(&h).await;
    let path = format!("/practices/{pid}/settings");
    let body = |staff: &str| json!({"default_roles": {"practitioner": role, "staff": staff}, "onboarding_mails": true});
    let (r, ops) = traced(&h, "PUT", &path, Some(&director), Some(body(&role))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["default_roles"]["staff"], role.as_str());
    assert_eq!(ops, ["BatchGetItem", "BatchGetItem", "TransactWriteItems"]);

    let gone = uuid::Uuid::new_v4().to_string();
    let (r, ops) = traced(&h, "PUT", &path, Some(&director), Some(body(&gone))).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.field(), "default_roles.staff");
    assert_eq!(ops, ["BatchGetItem", "BatchGetItem"]);
}

// The other writes of invitations and the directory already made one read
// (or none) and one transaction: pinned so that none grows.
#[tokio::test]
async fn the_other_writes_read_once_at_most() {
    let h = Harness::recording().await;
    let (d, pid, role) = practice_with_role(&h).await;
    let one_read = ["BatchGetItem", "GetItem", "TransactWriteItems"];
    let no_read = ["BatchGetItem", "TransactWriteItems"];
    let practice = json!({"name": "Two", "location": {"name": "A"}});
    let (r, ops) = traced(&h, "POST", "/practices", Some(&d), Some(practice)).await;
    pin(&r, &ops, 201, &no_read, "create practice");
    let (r, ops) = traced(&h, "PATCH", &format!("/practices/{pid}"), Some(&d), Some(json!({"name": "Renamed"}))).await;
    pin(&r, &ops, 200, &no_read, "rename practice");
    let locations = format!("/practices/{pid}/locations");
    let (r, ops) = traced(&h, "POST", &locations, Some(&d), Some(json!({"name": "Annex"}))).await;
    pin(&r, &ops, 201, &no_read, "create location");
    let lid = s(&r.body["id"]);
    let (r, ops) = traced(&h, "PATCH", &format!("{locations}/{lid}"), Some(&d), Some(json!({"name": "North"}))).await;
    pin(&r, &ops, 200, &one_read, "rename location");
    let roles = format!("/practices/{pid}/roles");
    let (r, ops) = traced(&h, "PATCH", &format!("{roles}/{role}"), Some(&d), Some(json!({"name": "Manager"}))).await;
    pin(&r, &ops, 200, &one_read, "rename custom role");
    let desk = json!({"permissions": ["users.view"]});
    let (r, ops) = traced(&h, "PATCH", &format!("{roles}/front_desk"), Some(&d), Some(desk)).await;
    pin(&r, &ops, 200, &no_read, "adjust built-in");
    let (r, ops) = traced(&h, "POST", &format!("{roles}/front_desk/reset"), Some(&d), None).await;
    pin(&r, &ops, 200, &no_read, "reset built-in");
    let (r, ops) = traced(&h, "DELETE", &format!("{roles}/{role}"), Some(&d), None).await;
    pin(&r, &ops, 204, &one_read, "delete role");

    let iid = invite_as(&h, &d, &pid, "a@mail.example", "front_desk").await;
    let (r, ops) = traced(&h, "DELETE", &format!("/practices/{pid}/invitations/{iid}"), Some(&d), None).await;
    pin(&r, &ops, 204, &one_read, "revoke");
    invite_as(&h, &d, &pid, "b@mail.example", "front_desk").await;
    let link = h.invite_token_for("b@mail.example");
    let (r, ops) = traced(&h, "POST", &format!("/invitations/{link}/decline"), None, None).await;
    pin(&r, &ops, 204, &["GetItem", "GetItem", "TransactWriteItems"], "decline link");
    let token = verified(&h, "c@mail.example").await;
    let iid = invite_as(&h, &d, &pid, "c@mail.example", "front_desk").await;
    let (r, ops) = traced(&h, "POST", &format!("/me/invitations/{iid}/decline"), Some(&token), None).await;
    let mine = ["BatchGetItem", "Query", "GetItem", "TransactWriteItems"];
    pin(&r, &ops, 204, &mine, "decline mine");
}

// Asking for a mail to oneself (R41, issue 14): the record of such mails
// and the address's bounce mark in one batch, so a mark is lifted only
// where there is one, instead of a delete tried on every request.
#[tokio::test]
async fn asking_for_mail_reads_one_batch() {
    let h = Harness::recording().await;
    let email = "x@mail.example";
    let (_, token) = h.signup(email).await;
    let (r, ops) = traced(&h, "POST", "/auth/verify-email/resend", Some(&token), None).await;
    pin(&r, &ops, 204, &["BatchGetItem", "BatchGetItem", "TransactWriteItems"], "verification again");
    assert_eq!(h.mails_to(email, "verify_email").len(), 2, "the mail again");

    // The claim names the user, whose record and mark are then one batch.
    let (r, ops) = traced(&h, "POST", "/auth/password-reset", None, Some(json!({"email": email}))).await;
    pin(&r, &ops, 202, &["GetItem", "BatchGetItem", "TransactWriteItems"], "password reset");
    assert_eq!(h.mails_to(email, "password_reset").len(), 1, "the reset mail");
}

// The other account writes, as they are: where Argon2, the sign-in streak
// (R24, R25) or the memberships a change is mirrored onto make them read
// more, "Reads per route" says why. Pinned so that none grows.
#[tokio::test]
async fn the_account_writes_as_they_are() {
    use crate::common::link_token;
    use crate::security::{enroll, fresh_code, mfa_token};
    let h = Harness::recording().await;
    let email = "x@mail.example";
    let body = json!({"email": email, "password": PASSWORD, "first_name": "Ana", "last_name": "Silva"});
    let (r, ops) = traced(&h, "POST", "/auth/signup", None, Some(body)).await;
    pin(&r, &ops, 201, &["TransactWriteItems"], "signup");
    let token = s(&r.body["session"]["token"]);
    let mail = h.mails_to(email, "verify_email").pop().expect("verification mail");
    let body = json!({"token": link_token(&mail, "/verify-email/")});
    let (r, ops) = traced(&h, "POST", "/auth/verify-email", None, Some(body)).await;
    pin(&r, &ops, 204, &["GetItem", "GetItem", "TransactWriteItems"], "verify");
    let login = json!({"email": email, "password": PASSWORD});
    let (r, ops) = traced(&h, "POST", "/auth/login", None, Some(login)).await;
    pin(&r, &ops, 200, &["GetItem", "GetItem", "UpdateItem", "Query", "TransactWriteItems"], "login");
    let wrong = json!({"email": "nobody@mail.example", "password": "not the password"});
    let (r, ops) = traced(&h, "POST", "/auth/login", None, Some(wrong)).await;
    pin(&r, &ops, 401, &["GetItem", "GetItem", "UpdateItem"], "login, unknown email");
    let (r, ops) = traced(&h, "PATCH", "/me", Some(&token), Some(json!({"first_name": "Joana"}))).await;
    pin(&r, &ops, 200, &["BatchGetItem", "Query", "TransactWriteItems"], "PATCH /me");
    let new = "a brand new secret";
    let body = json!({"current_password": PASSWORD, "new_password": new});
    let (r, ops) = traced(&h, "POST", "/me/password", Some(&token), Some(body)).await;
    let counted = ["BatchGetItem", "UpdateItem", "UpdateItem", "TransactWriteItems"];
    pin(&r, &ops, 204, &counted, "change password");

    assert_eq!(h.call("POST", "/auth/password-reset", None, Some(json!({"email": email}))).await.status, 202);
    let mail = h.mails_to(email, "password_reset").pop().expect("reset mail");
    let reset = "another new passphrase";
    let body = json!({"token": link_token(&mail, "/reset-password/"), "new_password": reset});
    let (r, mut ops) = traced(&h, "POST", "/auth/password-reset/confirm", None, Some(body)).await;
    // The user and their memberships are read at once.
    ops[1..3].sort();
    pin(&r, &ops, 204, &["GetItem", "GetItem", "Query", "TransactWriteItems"], "reset confirm");

    let token = s(&h.login_with(email, reset).await.body["session"]["token"]);
    let (r, ops) = traced(&h, "POST", "/me/mfa/totp", Some(&token), None).await;
    pin(&r, &ops, 200, &["BatchGetItem", "TransactWriteItems"], "enroll");
    let secret = enroll(&h, &token).await;
    let code = json!({"code": fresh_code(&h, &secret)});
    let (r, ops) = traced(&h, "POST", "/me/mfa/totp/confirm", Some(&token), Some(code)).await;
    pin(&r, &ops, 204, &["BatchGetItem", "TransactWriteItems"], "confirm");
    let challenge = mfa_token(&h, email, reset).await;
    let body = json!({"mfa_token": challenge, "code": fresh_code(&h, &secret)});
    let (r, ops) = traced(&h, "POST", "/auth/login/mfa", None, Some(body)).await;
    let second = ["GetItem", "UpdateItem", "GetItem", "UpdateItem", "TransactWriteItems"];
    pin(&r, &ops, 200, &second, "login/mfa");
    let body = json!({"current_password": reset, "code": fresh_code(&h, &secret)});
    let (r, ops) = traced(&h, "DELETE", "/me/mfa/totp", Some(&token), Some(body)).await;
    // The codes moved the clock 93 seconds since sign-in: the session's use
    // is recorded (R48), once.
    let disable = ["BatchGetItem", "UpdateItem", "UpdateItem", "UpdateItem", "Query", "TransactWriteItems"];
    pin(&r, &ops, 204, &disable, "disable");
}
