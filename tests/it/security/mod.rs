//! Account security through the real handlers, against DynamoDB Local:
//! lockout (R25) here; unlock and temporary passwords (R26) in `unlock`,
//! password reset (R27) in `reset`, two-factor sign-in by TOTP (R28) in
//! `two_factor` and the session gates (R29) in `gates`.
//!
//! Already covered elsewhere, so not repeated here: a session past its 12
//! hours is refused on read (auth.rs `session_expiry_is_checked_on_read`),
//! logout and password change end sessions (auth.rs), and deactivation ends
//! access to that practice at once while others keep working (access.rs
//! `deactivate_then_reactivate_restores_the_snapshot`).

mod gates;
mod reset;
mod two_factor;
mod unlock;

use crate::common::{items, s, with_action, Harness, Reply, PASSWORD};
use chrono::{DateTime, Duration, Utc};
use roster_domain::clock::Clock;
use roster_domain::model::MemberStatus;
use serde_json::{json, Value};

pub(crate) const WRONG: &str = "not the password at all";
const TEMP: &str = "Temporary-Pass-1";
pub(crate) const NEW: &str = "a brand new secret";

pub(super) fn user_ids(v: &Value) -> Vec<String> {
    let mut ids: Vec<String> = items(v).iter().map(|m| s(&m["user_id"])).collect();
    ids.sort();
    ids
}

/// Four wrong passwords (401 each), then the fifth locks (423).
pub(super) async fn lock(h: &Harness, email: &str) {
    for i in 1..=4 {
        let r = h.login_with(email, WRONG).await;
        assert_eq!((r.status, r.code()), (401, "invalid_credentials".into()), "failure {i} of {email}: {}", r.body);
    }
    let r = h.login_with(email, WRONG).await;
    assert_eq!((r.status, r.code()), (423, "account_locked".into()), "fifth failure of {email}: {}", r.body);
}

/// A custom role with users.manage (not a director); returns its id.
pub(super) async fn manager_role(h: &Harness, d: &str, pid: &str) -> String {
    let r = h.create_role(d, pid, "Office manager", &["users.manage", "users.view"]).await;
    assert_eq!(r.status, 201, "{}", r.body);
    s(&r.body["id"])
}

pub(super) async fn unlock(h: &Harness, token: &str, pid: &str, uid: &str, body: Option<Value>) -> Reply {
    h.call("POST", &format!("/practices/{pid}/members/{uid}/unlock"), Some(token), body).await
}

pub(super) async fn temporary_password(h: &Harness, token: &str, pid: &str, uid: &str, password: &str) -> Reply {
    h.call(
        "POST",
        &format!("/practices/{pid}/members/{uid}/temporary-password"),
        Some(token),
        Some(json!({"temporary_password": password})),
    )
    .await
}

// ---- TOTP helpers -----------------------------------------------------------

/// The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret at `at`.
pub(super) fn totp_at(secret: &str, at: DateTime<Utc>) -> String {
    let key = totp_rs::Secret::Encoded(secret.to_string()).to_bytes().expect("base32 secret");
    // Unchecked: the test must not depend on the secret length the
    // implementation picked; it only computes codes.
    totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, key).generate(at.timestamp().max(0) as u64)
}

/// A code for the current step of the app clock, after moving the clock to a
/// step no earlier code was made in (so no test depends on whether the
/// implementation refuses a replayed code).
pub(crate) fn fresh_code(h: &Harness, secret: &str) -> String {
    h.clock.advance(Duration::seconds(31));
    totp_at(secret, h.clock.now())
}

/// A six-digit code that is certainly not `right`.
pub(crate) fn not(right: &str) -> String {
    right.chars().map(|c| char::from_digit((c.to_digit(10).unwrap_or(0) + 1) % 10, 10).unwrap_or('0')).collect()
}

pub(crate) async fn enroll(h: &Harness, token: &str) -> String {
    let r = h.call("POST", "/me/mfa/totp", Some(token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    s(&r.body["secret"])
}

pub(crate) async fn confirm(h: &Harness, token: &str, code: &str) -> Reply {
    h.call("POST", "/me/mfa/totp/confirm", Some(token), Some(json!({"code": code}))).await
}

/// Enrolls and confirms; returns the secret.
pub(crate) async fn enable_totp(h: &Harness, token: &str) -> String {
    let secret = enroll(h, token).await;
    let r = confirm(h, token, &fresh_code(h, &secret)).await;
    assert_eq!(r.status, 204, "{}", r.body);
    secret
}

/// The first step of a sign-in with TOTP: the right password gives no
/// session, only an `mfa_token`.
pub(crate) async fn mfa_token(h: &Harness, email: &str, password: &str) -> String {
    let r = h.login_with(email, password).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["mfa_required"], true, "{}", r.body);
    assert!(r.body["session"].is_null(), "no session before the second factor: {}", r.body);
    let t = s(&r.body["mfa_token"]);
    assert!(!t.is_empty(), "{}", r.body);
    t
}

pub(crate) async fn login_mfa(h: &Harness, mfa_token: &str, code: &str) -> Reply {
    h.call("POST", "/auth/login/mfa", None, Some(json!({"mfa_token": mfa_token, "code": code}))).await
}

// ---- Lockout (R25) ----------------------------------------------------------

// R25: failures one to four are 401; the fifth locks and is 423; once locked
// even the right password is 423.
#[tokio::test]
async fn the_fifth_failure_locks_and_then_even_the_right_password_is_423() {
    let h = Harness::new().await;
    let (_, token) = h.signup("lock@clinic.example").await;
    assert_eq!(h.me(&token).await["locked"], false);
    lock(&h, "lock@clinic.example").await;
    for password in [PASSWORD, WRONG, PASSWORD] {
        let r = h.login_with("lock@clinic.example", password).await;
        assert_eq!((r.status, r.code()), (423, "account_locked".into()), "{password}: {}", r.body);
    }
    // R24: the email's case and spacing do not get round the lock.
    let r = h.login_with(" LOCK@Clinic.Example", PASSWORD).await;
    assert_eq!(r.status, 423, "{}", r.body);
    assert_eq!(h.mails_to("lock@clinic.example", "account_locked").len(), 1);
    assert_eq!(h.events_of("UserLocked").len(), 1);
}

// R25: ten wrong passwords at once are counted atomically: exactly four
// 401, six 423, one lock (one mail, one event).
#[tokio::test]
async fn ten_concurrent_wrong_passwords_give_four_401_and_six_423() {
    let h = Harness::new().await;
    let (uid, _) = h.signup("race@clinic.example").await;
    let tries = (0..10).map(|_| h.login_with("race@clinic.example", WRONG));
    let replies = futures::future::join_all(tries).await;
    let unauthorized = replies.iter().filter(|r| r.status == 401 && r.code() == "invalid_credentials").count();
    let locked = replies.iter().filter(|r| r.status == 423 && r.code() == "account_locked").count();
    let got: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!((unauthorized, locked), (4, 6), "{got:?}");
    let r = h.login_with("race@clinic.example", PASSWORD).await;
    assert_eq!(r.status, 423, "the user ends locked: {}", r.body);
    assert_eq!(h.mails_to("race@clinic.example", "account_locked").len(), 1);
    let locks = h.events_of("UserLocked");
    assert_eq!(locks.len(), 1, "{locks:?}");
    assert_eq!(s(&locks[0]["detail"]["user_id"]), uid);
}

// R25: a successful sign-in resets the count: 4 wrong, 1 right, 4 wrong are
// all 401 (but the right one), and only a fifth wrong in a row then locks.
#[tokio::test]
async fn a_successful_sign_in_resets_the_count() {
    let h = Harness::new().await;
    h.signup("reset@clinic.example").await;
    for i in 1..=4 {
        let r = h.login_with("reset@clinic.example", WRONG).await;
        assert_eq!(r.status, 401, "first streak, failure {i}");
    }
    let ok = h.login_with("reset@clinic.example", PASSWORD).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(!s(&ok.body["session"]["token"]).is_empty());
    for i in 1..=4 {
        let r = h.login_with("reset@clinic.example", WRONG).await;
        assert_eq!((r.status, r.code()), (401, "invalid_credentials".into()), "second streak, failure {i}");
    }
    assert!(!h.login("reset@clinic.example").await.is_empty());
    assert!(h.mails_to("reset@clinic.example", "account_locked").is_empty());
    // The count is real: five in a row from here do lock.
    lock(&h, "reset@clinic.example").await;
}

// R24, R25: an unknown email is always 401 invalid_credentials, never 423,
// with the body a known email's wrong password gets.
#[tokio::test]
async fn an_unknown_email_is_never_locked() {
    let h = Harness::new().await;
    h.signup("known@clinic.example").await;
    let known = h.login_with("known@clinic.example", WRONG).await;
    for i in 1..=12 {
        let r = h.login_with("ghost@clinic.example", WRONG).await;
        assert_eq!(r.status, 401, "attempt {i}: {}", r.body);
        assert_eq!(r.body, known.body, "attempt {i}");
    }
    assert!(h.mails().iter().all(|m| m["template"] != "account_locked"));
    assert!(h.events_of("UserLocked").is_empty());
}

// R25, R32, R33, R22: the lock mails the user, emits UserLocked, and is
// audited in the log of each practice the user is an active member of (not
// one where they are deactivated); member views and ?status=locked show it.
#[tokio::test]
async fn a_lock_mails_emits_and_audits_in_each_active_practice() {
    let h = Harness::new().await;
    let (d1_uid, d1, a) = h.director("d1@clinic.example", "Harbour Clinic").await;
    let (_, d2, b) = h.director("d2@clinic.example", "Hill Practice").await;
    let (_, d3, c) = h.director("d3@clinic.example", "Old Practice").await;
    let (uid, _) = h.member(&a, "locum@clinic.example", "front_desk", MemberStatus::Active).await;
    h.add_member(&b, &uid, "clinician", MemberStatus::Active).await;
    h.add_member(&c, &uid, "front_desk", MemberStatus::Deactivated).await;
    let (other, _) = h.member(&a, "fine@clinic.example", "front_desk", MemberStatus::Active).await;

    lock(&h, "locum@clinic.example").await;

    let sent = h.mails_to("locum@clinic.example", "account_locked");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(!s(&sent[0]["subject"]).is_empty() && !s(&sent[0]["text"]).is_empty() && !s(&sent[0]["html"]).is_empty());
    let locks = h.events_of("UserLocked");
    assert_eq!(locks.len(), 1, "{locks:?}");
    assert_eq!(s(&locks[0]["detail"]["user_id"]), uid);

    for (token, pid) in [(&d1, &a), (&d2, &b)] {
        let entries = with_action(&h.audit_log(token, pid).await, "user.locked");
        assert_eq!(entries.len(), 1, "practice {pid}: {entries:?}");
        assert_eq!(s(&entries[0]["target"]["id"]), uid);
    }
    assert!(with_action(&h.audit_log(&d3, &c).await, "user.locked").is_empty(), "not where deactivated");

    // Member views show it, in every practice of the user.
    assert_eq!(h.get_member(&d1, &a, &uid).await["locked"], true);
    assert_eq!(h.get_member(&d2, &b, &uid).await["locked"], true);
    assert_eq!(h.get_member(&d1, &a, &other).await["locked"], false);
    let locked = h.call("GET", &format!("/practices/{a}/members?status=locked"), Some(&d1), None).await;
    assert_eq!(locked.status, 200, "{}", locked.body);
    assert_eq!(user_ids(&locked.body), vec![uid.clone()]);
    let all = h.call("GET", &format!("/practices/{a}/members?status=all"), Some(&d1), None).await;
    let listed: Vec<(String, Value)> =
        items(&all.body).iter().map(|m| (s(&m["user_id"]), m["locked"].clone())).collect();
    assert!(listed.contains(&(uid.clone(), json!(true))), "{listed:?}");
    assert!(listed.contains(&(d1_uid, json!(false))), "{listed:?}");
    assert!(listed.contains(&(other, json!(false))), "{listed:?}");
}
