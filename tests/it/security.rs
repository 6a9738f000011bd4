//! Account security through the real handlers, against DynamoDB Local:
//! lockout (R25), unlock and temporary passwords (R26), password reset (R27),
//! two-factor sign-in by TOTP (R28) and the session gates (R29).
//!
//! Already covered elsewhere, so not repeated here: a session past its 12
//! hours is refused on read (auth.rs `session_expiry_is_checked_on_read`),
//! logout and password change end sessions (auth.rs), and deactivation ends
//! access to that practice at once while others keep working (access.rs
//! `deactivate_then_reactivate_restores_the_snapshot`).

use crate::common::{items, link_token, s, with_action, Harness, Reply, PASSWORD, SUPPORT_AGENT};
use chrono::{DateTime, Duration, Utc};
use roster_domain::clock::Clock;
use roster_domain::model::MemberStatus;
use serde_json::{json, Value};

pub(crate) const WRONG: &str = "not the password at all";
const TEMP: &str = "Temporary-Pass-1";
pub(crate) const NEW: &str = "a brand new secret";

fn user_ids(v: &Value) -> Vec<String> {
    let mut ids: Vec<String> = items(v).iter().map(|m| s(&m["user_id"])).collect();
    ids.sort();
    ids
}

/// Four wrong passwords (401 each), then the fifth locks (423).
async fn lock(h: &Harness, email: &str) {
    for i in 1..=4 {
        let r = h.login_with(email, WRONG).await;
        assert_eq!((r.status, r.code()), (401, "invalid_credentials".into()), "failure {i} of {email}: {}", r.body);
    }
    let r = h.login_with(email, WRONG).await;
    assert_eq!((r.status, r.code()), (423, "account_locked".into()), "fifth failure of {email}: {}", r.body);
}

/// A custom role with users.manage (not a director); returns its id.
async fn manager_role(h: &Harness, d: &str, pid: &str) -> String {
    let r = h.create_role(d, pid, "Office manager", &["users.manage", "users.view"]).await;
    assert_eq!(r.status, 201, "{}", r.body);
    s(&r.body["id"])
}

async fn unlock(h: &Harness, token: &str, pid: &str, uid: &str, body: Option<Value>) -> Reply {
    h.call("POST", &format!("/practices/{pid}/members/{uid}/unlock"), Some(token), body).await
}

async fn temporary_password(h: &Harness, token: &str, pid: &str, uid: &str, password: &str) -> Reply {
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
fn totp_at(secret: &str, at: DateTime<Utc>) -> String {
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

// ---- Unlock and temporary password (R26) -------------------------------------

// R26, R32, R33: a member with users.manage (not a director) in ANOTHER
// practice of the user unlocks them; the user signs in again; every practice
// sees the lock gone. Unlocking again is 200 and changes nothing.
#[tokio::test]
async fn a_manager_of_another_practice_of_the_user_unlocks_them() {
    let h = Harness::new().await;
    let (_, d1, a) = h.director("d1@clinic.example", "Harbour Clinic").await;
    let (_, d2, b) = h.director("d2@clinic.example", "Hill Practice").await;
    let (uid, _) = h.member(&a, "locum@clinic.example", "front_desk", MemberStatus::Active).await;
    h.add_member(&b, &uid, "front_desk", MemberStatus::Active).await;
    let rid = manager_role(&h, &d2, &b).await;
    let (_, manager) = h.member(&b, "manager@clinic.example", &rid, MemberStatus::Active).await;

    lock(&h, "locum@clinic.example").await;
    assert_eq!(h.get_member(&d1, &a, &uid).await["locked"], true);

    let r = unlock(&h, &manager, &b, &uid, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((s(&r.body["user_id"]), r.body["locked"].clone()), (uid.clone(), json!(false)));
    let ok = h.login_with("locum@clinic.example", PASSWORD).await;
    assert_eq!(ok.status, 200, "{}", ok.body);

    assert_eq!(h.get_member(&d1, &a, &uid).await["locked"], false);
    assert_eq!(h.get_member(&d2, &b, &uid).await["locked"], false);
    let locked = h.call("GET", &format!("/practices/{a}/members?status=locked"), Some(&d1), None).await;
    assert_eq!(items(&locked.body), Vec::<Value>::new());

    let unlocked = h.events_of("UserUnlocked");
    assert_eq!(unlocked.len(), 1, "{unlocked:?}");
    assert_eq!(
        (s(&unlocked[0]["detail"]["user_id"]), s(&unlocked[0]["detail"]["practice_id"])),
        (uid.clone(), b.clone())
    );
    let entries = with_action(&h.audit_log(&d2, &b).await, "user.unlocked");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(s(&entries[0]["target"]["id"]), uid);
    assert!(with_action(&h.audit_log(&d1, &a).await, "user.unlocked").is_empty(), "audited where it was done");

    let again = unlock(&h, &manager, &b, &uid, None).await;
    assert_eq!((again.status, again.body["locked"].clone()), (200, json!(false)), "{}", again.body);
    assert_eq!(h.events_of("UserUnlocked").len(), 1, "no change, no event");
}

// R26, R31, R2: who may not unlock: a clinician (403), a non-member (404), a
// support agent with an active grant (403 support_read_only, also on the
// temporary password); a user who is not a member of the practice is 404;
// a deactivated membership is 409. None of them unlocks anything.
#[tokio::test]
async fn who_may_not_unlock() {
    let h = Harness::new().await;
    let (_, d, a) = h.director("d@clinic.example", "Harbour Clinic").await;
    let (uid, _) = h.member(&a, "locked@clinic.example", "front_desk", MemberStatus::Active).await;
    let (_, clinician) = h.member(&a, "clin@clinic.example", "clinician", MemberStatus::Active).await;
    let (_, outsider, _) = h.director("out@clinic.example", "Elsewhere").await;
    let (stranger, _) = h.signup("stranger@clinic.example").await;
    let (gone, _) = h.member(&a, "gone@clinic.example", "front_desk", MemberStatus::Deactivated).await;
    let (_, agent) = h.signup(SUPPORT_AGENT).await;
    h.verify(SUPPORT_AGENT).await;
    let grant = h.call("PUT", &format!("/practices/{a}/support-access"), Some(&d), None).await;
    assert_eq!((grant.status, grant.body["active"].clone()), (200, json!(true)), "{}", grant.body);
    // The agent does get in (so the 403 below is the read-only rule).
    assert_eq!(h.call("GET", &format!("/practices/{a}"), Some(&agent), None).await.status, 200);

    for email in ["locked@clinic.example", "stranger@clinic.example", "gone@clinic.example"] {
        lock(&h, email).await;
    }

    let r = unlock(&h, &clinician, &a, &uid, None).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    let r = unlock(&h, &outsider, &a, &uid, None).await;
    assert_eq!((r.status, r.code()), (404, "not_found".into()), "{}", r.body);
    let r = unlock(&h, &agent, &a, &uid, None).await;
    assert_eq!((r.status, r.code()), (403, "support_read_only".into()), "{}", r.body);
    let r = unlock(&h, &agent, &a, &uid, Some(json!({"temporary_password": TEMP}))).await;
    assert_eq!((r.status, r.code()), (403, "support_read_only".into()), "{}", r.body);
    let r = temporary_password(&h, &agent, &a, &uid, TEMP).await;
    assert_eq!((r.status, r.code()), (403, "support_read_only".into()), "{}", r.body);
    let r = unlock(&h, &d, &a, &stranger, None).await;
    assert_eq!((r.status, r.code()), (404, "not_found".into()), "not a member of this practice: {}", r.body);
    let r = unlock(&h, &d, &a, &gone, None).await;
    assert_eq!((r.status, r.code()), (409, "member_deactivated".into()), "{}", r.body);

    for email in ["locked@clinic.example", "stranger@clinic.example", "gone@clinic.example"] {
        assert_eq!(h.login_with(email, PASSWORD).await.status, 423, "{email} is still locked");
    }
    assert_eq!(h.login_with("locked@clinic.example", TEMP).await.status, 423, "no temporary password was set");
    assert!(h.events_of("UserUnlocked").is_empty());
    assert!(with_action(&h.audit_log(&d, &a).await, "user.unlocked").is_empty());
    assert_eq!(h.get_member(&d, &a, &uid).await["locked"], true);

    // The director can.
    let r = unlock(&h, &d, &a, &uid, None).await;
    assert_eq!((r.status, r.body["locked"].clone()), (200, json!(false)), "{}", r.body);
    assert_eq!(h.login_with("locked@clinic.example", PASSWORD).await.status, 200);
}

// R26, R24, R13: unlock with a temporary password (password rules apply);
// the user signs in with it and must change it before anything else.
#[tokio::test]
async fn unlock_with_a_temporary_password_then_the_change_is_required() {
    let h = Harness::new().await;
    let (_, d, a) = h.director("d@clinic.example", "Harbour Clinic").await;
    let (uid, _) = h.member(&a, "u@clinic.example", "front_desk", MemberStatus::Active).await;
    lock(&h, "u@clinic.example").await;

    for weak in ["short", &"x".repeat(129)] {
        let r = unlock(&h, &d, &a, &uid, Some(json!({"temporary_password": weak}))).await;
        assert_eq!((r.status, r.field()), (422, "temporary_password".into()), "{}", r.body);
    }
    assert_eq!(h.login_with("u@clinic.example", PASSWORD).await.status, 423, "a refused unlock changes nothing");

    let r = unlock(&h, &d, &a, &uid, Some(json!({"temporary_password": TEMP}))).await;
    assert_eq!((r.status, r.body["locked"].clone()), (200, json!(false)), "{}", r.body);
    assert_eq!(h.login_with("u@clinic.example", PASSWORD).await.status, 401, "the old password is gone");
    let login = h.login_with("u@clinic.example", TEMP).await;
    assert_eq!(login.status, 200, "{}", login.body);
    let t = s(&login.body["session"]["token"]);
    let user = h.me(&t).await;
    assert_eq!((user["must_change_password"].clone(), user["locked"].clone()), (json!(true), json!(false)));

    let blocked = h.call("GET", &format!("/practices/{a}"), Some(&t), None).await;
    assert_eq!((blocked.status, blocked.code()), (403, "password_change_required".into()));
    let blocked = h.call("PATCH", "/me", Some(&t), Some(json!({"first_name": "X"}))).await;
    assert_eq!((blocked.status, blocked.code()), (403, "password_change_required".into()));
    let blocked =
        h.call("POST", "/practices", Some(&t), Some(json!({"name": "Mine", "location": {"name": "Here"}}))).await;
    assert_eq!((blocked.status, blocked.code()), (403, "password_change_required".into()));

    let changed =
        h.call("POST", "/me/password", Some(&t), Some(json!({"current_password": TEMP, "new_password": NEW}))).await;
    assert_eq!(changed.status, 204, "{}", changed.body);
    assert_eq!(h.call("GET", &format!("/practices/{a}"), Some(&t), None).await.status, 200);
    assert_eq!(h.me(&t).await["must_change_password"], false);
    assert_eq!(h.login_with("u@clinic.example", NEW).await.status, 200);
    assert_eq!(with_action(&h.audit_log(&d, &a).await, "user.unlocked").len(), 1);
}

// R26, R29: setting a temporary password ends every session of the user;
// the user signs in with it and must change it. Password rules, permission
// and membership apply.
#[tokio::test]
async fn a_temporary_password_ends_every_session() {
    let h = Harness::new().await;
    let (_, d, a) = h.director("d@clinic.example", "Harbour Clinic").await;
    let (uid, first) = h.member(&a, "u@clinic.example", "front_desk", MemberStatus::Active).await;
    let second = h.login("u@clinic.example").await;
    let (_, clinician) = h.member(&a, "clin@clinic.example", "clinician", MemberStatus::Active).await;
    let (stranger, _) = h.signup("stranger@clinic.example").await;

    let r = temporary_password(&h, &d, &a, &uid, "short").await;
    assert_eq!((r.status, r.field()), (422, "temporary_password".into()), "{}", r.body);
    let r =
        h.call("POST", &format!("/practices/{a}/members/{uid}/temporary-password"), Some(&d), Some(json!({}))).await;
    assert_eq!((r.status, r.field()), (422, "temporary_password".into()), "the password is required: {}", r.body);
    let r = temporary_password(&h, &clinician, &a, &uid, TEMP).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    let r = temporary_password(&h, &d, &a, &stranger, TEMP).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(h.call("GET", "/me", Some(&first), None).await.status, 200, "refusals change nothing");

    let r = temporary_password(&h, &d, &a, &uid, TEMP).await;
    assert_eq!(r.status, 204, "{}", r.body);
    for token in [&first, &second] {
        let r = h.call("GET", "/me", Some(token), None).await;
        assert_eq!((r.status, r.code()), (401, "unauthenticated".into()));
    }
    assert_eq!(h.login_with("u@clinic.example", PASSWORD).await.status, 401);
    let t = s(&h.login_with("u@clinic.example", TEMP).await.body["session"]["token"]);
    assert_eq!(h.me(&t).await["must_change_password"], true);
    let r = h.call("GET", &format!("/practices/{a}"), Some(&t), None).await;
    assert_eq!((r.status, r.code()), (403, "password_change_required".into()));

    let entries = with_action(&h.audit_log(&d, &a).await, "user.temporary_password_set");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(s(&entries[0]["target"]["id"]), uid);
}

// R26: no temporary password (either route) for a user shared with another
// practice, nor for a director unless the caller is one.
#[tokio::test]
async fn temporary_passwords_refused_for_shared_users_and_for_directors() {
    let h = Harness::new().await;
    let (_, d, a) = h.director("d@clinic.example", "Harbour Clinic").await;
    let (_, _, b) = h.director("other@clinic.example", "Hill Practice").await;
    let (shared, shared_session) = h.member(&a, "shared@clinic.example", "front_desk", MemberStatus::Active).await;
    h.add_member(&b, &shared, "front_desk", MemberStatus::Active).await;
    let (d2, _) = h.member(&a, "d2@clinic.example", "director", MemberStatus::Active).await;
    let rid = manager_role(&h, &d, &a).await;
    let (_, manager) = h.member(&a, "manager@clinic.example", &rid, MemberStatus::Active).await;

    // Shared with another practice.
    let r = temporary_password(&h, &d, &a, &shared, TEMP).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    assert_eq!(h.call("GET", "/me", Some(&shared_session), None).await.status, 200, "sessions kept");
    assert_eq!(h.login_with("shared@clinic.example", PASSWORD).await.status, 200, "password kept");
    lock(&h, "shared@clinic.example").await;
    let r = unlock(&h, &d, &a, &shared, Some(json!({"temporary_password": TEMP}))).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    assert_eq!(h.login_with("shared@clinic.example", PASSWORD).await.status, 423, "the refused unlock did nothing");
    let r = unlock(&h, &d, &a, &shared, None).await;
    assert_eq!(r.status, 200, "a plain unlock is fine: {}", r.body);
    assert_eq!(h.login_with("shared@clinic.example", PASSWORD).await.status, 200);

    // A director, by a non-director with users.manage.
    let r = temporary_password(&h, &manager, &a, &d2, TEMP).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    assert_eq!(h.login_with("d2@clinic.example", PASSWORD).await.status, 200);
    lock(&h, "d2@clinic.example").await;
    let r = unlock(&h, &manager, &a, &d2, Some(json!({"temporary_password": TEMP}))).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    assert_eq!(h.login_with("d2@clinic.example", PASSWORD).await.status, 423);
    // A director may.
    let r = unlock(&h, &d, &a, &d2, Some(json!({"temporary_password": TEMP}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(h.login_with("d2@clinic.example", TEMP).await.status, 200);
    assert!(with_action(&h.audit_log(&d, &a).await, "user.temporary_password_set")
        .iter()
        .all(|e| s(&e["target"]["id"]) != shared));
}

// R26, R31: a temporary password hands its setter the account, so it is
// refused for an account with anything beyond this practice or beyond the
// setter: a deactivated membership elsewhere, a pending invitation, a
// permission the setter lacks, or a support agent's address (even when the
// account would be new, R13).
#[tokio::test]
async fn temporary_passwords_refused_for_accounts_worth_more_than_the_setter() {
    let h = Harness::new().await;
    let (_, d, a) = h.director("d@clinic.example", "Harbour Clinic").await;
    let (_, db, b) = h.director("other@clinic.example", "Hill Practice").await;
    let rid = manager_role(&h, &d, &a).await;
    let (_, manager) = h.member(&a, "manager@clinic.example", &rid, MemberStatus::Active).await;
    let (former, _) = h.member(&a, "former@clinic.example", "front_desk", MemberStatus::Active).await;
    h.add_member(&b, &former, "front_desk", MemberStatus::Deactivated).await;
    let (invited, _) = h.member(&a, "invited@clinic.example", "front_desk", MemberStatus::Active).await;
    assert_eq!(h.invite(&db, &b, "invited@clinic.example").await.status, 201);
    let (peer, _) = h.member(&a, "peer@clinic.example", &rid, MemberStatus::Active).await;
    let (desk, _) = h.member(&a, "desk@clinic.example", "front_desk", MemberStatus::Active).await;

    for (who, uid) in [("deactivated elsewhere", &former), ("invited elsewhere", &invited)] {
        let r = temporary_password(&h, &d, &a, uid, TEMP).await;
        assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{who}: {}", r.body);
    }
    // The manager lacks the front desk's patients, inbox, billing.payments...
    let r = temporary_password(&h, &manager, &a, &desk, TEMP).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    assert_eq!(h.login_with("desk@clinic.example", PASSWORD).await.status, 200, "password kept");
    // ...but holds all a fellow manager holds; and the director may do both.
    let r = temporary_password(&h, &manager, &a, &peer, TEMP).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = temporary_password(&h, &d, &a, &desk, TEMP).await;
    assert_eq!(r.status, 204, "{}", r.body);

    let lid = h.first_location(&d, &b).await;
    let r = h
        .call(
            "POST",
            &format!("/practices/{b}/invitations"),
            Some(&db),
            Some(json!({"email": "Agent@Support.test", "kind": "staff", "role_id": "front_desk",
                "primary_location_id": lid, "first_name": "Sam", "last_name": "Agent", "temporary_password": TEMP})),
        )
        .await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "R13 for an agent's address: {}", r.body);
    let (agent, _) = h.member(&a, SUPPORT_AGENT, "front_desk", MemberStatus::Active).await;
    let r = temporary_password(&h, &d, &a, &agent, TEMP).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "agent: {}", r.body);
}

// ---- Password reset (R27) ----------------------------------------------------

// R27: 202 whatever the email; only a known email gets a mail, with the link.
#[tokio::test]
async fn a_reset_request_mails_a_link_for_known_emails_only() {
    let h = Harness::new().await;
    h.signup("known@clinic.example").await;
    let before = h.mails().len();
    let r = h.call("POST", "/auth/password-reset", None, Some(json!({"email": "known@clinic.example"}))).await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert!(r.body.is_null() || r.body == json!(""), "no body: {}", r.body);
    let sent = h.mails_to("known@clinic.example", "password_reset");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(s(&sent[0]["text"]).contains("https://app.roster.test/reset-password/"));
    assert!(s(&sent[0]["html"]).contains("https://app.roster.test/reset-password/"));
    assert!(!link_token(&sent[0], "/reset-password/").is_empty());
    assert_eq!(h.mails().len(), before + 1);

    for email in ["unknown@clinic.example", "not an email", ""] {
        let r = h.call("POST", "/auth/password-reset", None, Some(json!({"email": email}))).await;
        assert_eq!(r.status, 202, "{email:?}: {}", r.body);
    }
    assert_eq!(h.mails().len(), before + 1, "no mail for unknown emails");
    assert!(h.mails().iter().all(|m| s(&m["to"]) != "unknown@clinic.example"));
}

// R27, R35: the link works once and for one hour; a weak new password is
// 422; the reset sets the password and ends all sessions.
#[tokio::test]
async fn a_reset_link_works_once_and_for_one_hour() {
    let h = Harness::new().await;
    let (uid, session) = h.signup("u@clinic.example").await;
    let request = || h.call("POST", "/auth/password-reset", None, Some(json!({"email": "u@clinic.example"})));
    let newest = |h: &Harness| {
        let m = h.mails_to("u@clinic.example", "password_reset").pop().expect("a reset mail");
        link_token(&m, "/reset-password/")
    };
    let confirm_reset = |token: String, password: &'static str| {
        h.call("POST", "/auth/password-reset/confirm", None, Some(json!({"token": token, "new_password": password})))
    };

    assert_eq!(request().await.status, 202);
    let late = newest(&h);
    h.clock.advance(Duration::minutes(61));
    assert_eq!(confirm_reset(late.clone(), NEW).await.status, 410, "expired after an hour");

    assert_eq!(request().await.status, 202);
    let link = newest(&h);
    assert_ne!(link, late);
    h.clock.advance(Duration::minutes(59));
    let weak = confirm_reset(link.clone(), "short").await;
    assert_eq!(weak.status, 422, "{}", weak.body);
    assert_eq!(h.call("GET", "/me", Some(&session), None).await.status, 200, "a refused reset changes nothing");
    let ok = confirm_reset(link.clone(), NEW).await;
    assert_eq!(ok.status, 204, "{}", ok.body);
    assert_eq!(confirm_reset(link, "another new secret").await.status, 410, "single use");
    assert_eq!(confirm_reset("not-a-token".into(), NEW).await.status, 410);

    assert_eq!(h.call("GET", "/me", Some(&session), None).await.status, 401, "sessions ended");
    assert_eq!(h.login_with("u@clinic.example", PASSWORD).await.status, 401);
    assert_eq!(h.login_with("u@clinic.example", NEW).await.status, 200);
    assert_eq!(h.login_with("u@clinic.example", "another new secret").await.status, 401);
    // R32: audited in the user's own scope.
    let audit = h.partition(&format!("AUDIT#USER#{uid}")).await;
    assert!(audit.iter().any(|i| i["action"].as_s().is_ok_and(|a| a == "user.password_reset")));
}

// R27, R25, R29: a reset unlocks a locked user (UserUnlocked), clears
// must_change_password, ends all sessions, and kills the user's other
// outstanding reset links; it is not in any practice's log.
#[tokio::test]
async fn a_reset_unlocks_ends_sessions_and_kills_other_links() {
    let h = Harness::new().await;
    let (_, d, a) = h.director("d@clinic.example", "Harbour Clinic").await;
    let (uid, _) = h.member(&a, "u@clinic.example", "front_desk", MemberStatus::Active).await;
    assert_eq!(temporary_password(&h, &d, &a, &uid, TEMP).await.status, 204);
    let session = s(&h.login_with("u@clinic.example", TEMP).await.body["session"]["token"]);
    assert_eq!(h.me(&session).await["must_change_password"], true);
    lock(&h, "u@clinic.example").await;
    assert_eq!(h.get_member(&d, &a, &uid).await["locked"], true);

    for _ in 0..2 {
        let r = h.call("POST", "/auth/password-reset", None, Some(json!({"email": "u@clinic.example"}))).await;
        assert_eq!(r.status, 202);
    }
    let links: Vec<String> =
        h.mails_to("u@clinic.example", "password_reset").iter().map(|m| link_token(m, "/reset-password/")).collect();
    assert_eq!(links.len(), 2);
    assert_ne!(links[0], links[1]);

    let ok = h
        .call("POST", "/auth/password-reset/confirm", None, Some(json!({"token": links[1], "new_password": NEW})))
        .await;
    assert_eq!(ok.status, 204, "{}", ok.body);
    let other = h
        .call(
            "POST",
            "/auth/password-reset/confirm",
            None,
            Some(json!({"token": links[0], "new_password": "another new secret"})),
        )
        .await;
    assert_eq!(other.status, 410, "the other outstanding link died: {}", other.body);

    assert_eq!(h.call("GET", "/me", Some(&session), None).await.status, 401);
    let login = h.login_with("u@clinic.example", NEW).await;
    assert_eq!(login.status, 200, "unlocked: {}", login.body);
    let t = s(&login.body["session"]["token"]);
    let user = h.me(&t).await;
    assert_eq!((user["locked"].clone(), user["must_change_password"].clone()), (json!(false), json!(false)));
    assert_eq!(h.call("GET", &format!("/practices/{a}"), Some(&t), None).await.status, 200);
    assert_eq!(h.get_member(&d, &a, &uid).await["locked"], false);
    let unlocked = h.events_of("UserUnlocked");
    assert_eq!(unlocked.len(), 1, "{unlocked:?}");
    assert_eq!(s(&unlocked[0]["detail"]["user_id"]), uid);
    assert!(with_action(&h.audit_log(&d, &a).await, "user.password_reset").is_empty(), "user scope only");
}

// ---- Two-factor (R28) ----------------------------------------------------------

// R28: enrollment (a second enroll replaces the pending secret), confirm,
// and the two-step sign-in; mfa_tokens are single use; a wrong code is 401
// and does not kill the token.
#[tokio::test]
async fn totp_enrollment_and_two_step_sign_in() {
    let h = Harness::new().await;
    let (_, token) = h.signup("mfa@clinic.example").await;
    // R40: only a verified email enrolls a second factor.
    h.verify("mfa@clinic.example").await;
    let no_start = confirm(&h, &token, "123456").await;
    assert_eq!((no_start.status, no_start.field()), (422, "code".into()), "no enrollment started: {}", no_start.body);

    let r = h.call("POST", "/me/mfa/totp", Some(&token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let first = s(&r.body["secret"]);
    assert!(first.len() >= 16, "{first}");
    assert!(first.chars().all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c)), "base32, no padding: {first}");
    let uri = s(&r.body["otpauth_uri"]);
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains(&format!("secret={first}")), "{uri}");

    let second = enroll(&h, &token).await;
    assert_ne!(second, first, "a new secret replaces the pending one");
    let stale = confirm(&h, &token, &fresh_code(&h, &first)).await;
    assert_eq!((stale.status, stale.field()), (422, "code".into()), "{}", stale.body);
    let right = fresh_code(&h, &second);
    let wrong = confirm(&h, &token, &not(&right)).await;
    assert_eq!((wrong.status, wrong.field()), (422, "code".into()), "{}", wrong.body);
    assert_eq!(h.me(&token).await["mfa_enabled"], false);
    let ok = confirm(&h, &token, &right).await;
    assert_eq!(ok.status, 204, "{}", ok.body);
    assert_eq!(h.me(&token).await["mfa_enabled"], true);

    let again = h.call("POST", "/me/mfa/totp", Some(&token), None).await;
    assert_eq!((again.status, again.code()), (409, "mfa_enabled".into()), "{}", again.body);

    // Two steps.
    let wrong_password = h.login_with("mfa@clinic.example", WRONG).await;
    assert_eq!(wrong_password.status, 401);
    let mfa = mfa_token(&h, "mfa@clinic.example", PASSWORD).await;
    let r = login_mfa(&h, &mfa, &fresh_code(&h, &second)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let session = s(&r.body["session"]["token"]);
    assert!(r.body["session"]["expires_at"].is_string(), "{}", r.body);
    assert_eq!(h.call("GET", "/me", Some(&session), None).await.status, 200);
    let reused = login_mfa(&h, &mfa, &fresh_code(&h, &second)).await;
    assert_eq!((reused.status, reused.code()), (401, "invalid_credentials".into()), "{}", reused.body);

    let mfa = mfa_token(&h, "mfa@clinic.example", PASSWORD).await;
    let right = fresh_code(&h, &second);
    let wrong = login_mfa(&h, &mfa, &not(&right)).await;
    assert_eq!((wrong.status, wrong.code()), (401, "invalid_credentials".into()), "{}", wrong.body);
    assert!(wrong.body["session"].is_null());
    let r = login_mfa(&h, &mfa, &right).await;
    assert_eq!(r.status, 200, "one wrong code does not kill the token: {}", r.body);

    let unknown = login_mfa(&h, "not-a-token", &fresh_code(&h, &second)).await;
    assert_eq!((unknown.status, unknown.code()), (401, "invalid_credentials".into()));
}

// R28, RFC 6238 5.2: a code signs in once; the same code on a new token in
// the same step is a failed attempt, and the next step's code works.
#[tokio::test]
async fn a_totp_code_signs_in_once() {
    let h = Harness::new().await;
    let (_, token) = h.signup("once@clinic.example").await;
    // R40: only a verified email enrolls a second factor.
    h.verify("once@clinic.example").await;
    let secret = enable_totp(&h, &token).await;
    let used = fresh_code(&h, &secret);
    let first = mfa_token(&h, "once@clinic.example", PASSWORD).await;
    assert_eq!(login_mfa(&h, &first, &used).await.status, 200);
    let second = mfa_token(&h, "once@clinic.example", PASSWORD).await;
    let replay = login_mfa(&h, &second, &used).await;
    assert_eq!((replay.status, replay.code()), (401, "invalid_credentials".into()), "{}", replay.body);
    let r = login_mfa(&h, &second, &fresh_code(&h, &secret)).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

// R28, R25: a token's tries are counted before they are judged, so ten codes
// at once on one token are judged five at most: the fifth failure in a row
// locks, the other five are refused as the dead token they meet.
#[tokio::test]
async fn ten_concurrent_codes_on_one_token_judge_five() {
    let h = Harness::new().await;
    let (_, token) = h.signup("burst@clinic.example").await;
    // R40: only a verified email enrolls a second factor.
    h.verify("burst@clinic.example").await;
    let secret = enable_totp(&h, &token).await;
    let right = fresh_code(&h, &secret);
    let mfa = mfa_token(&h, "burst@clinic.example", PASSWORD).await;
    let wrong = not(&right);
    let replies = futures::future::join_all((0..10).map(|_| login_mfa(&h, &mfa, &wrong))).await;
    let got: Vec<(u16, String)> = replies.iter().map(|r| (r.status, r.code())).collect();
    let locked = got.iter().filter(|(s, c)| *s == 423 && c == "account_locked").count();
    let refused = got.iter().filter(|(s, c)| *s == 401 && c == "invalid_credentials").count();
    assert_eq!((locked, refused), (1, 9), "{got:?}");
    assert_eq!(login_mfa(&h, &mfa, &right).await.status, 401, "the token is dead");
    assert_eq!(h.login_with("burst@clinic.example", PASSWORD).await.status, 423, "and the user locked");
}

// R28, R35: an mfa_token lives five minutes.
#[tokio::test]
async fn an_mfa_token_expires_after_five_minutes() {
    let h = Harness::new().await;
    let (_, token) = h.signup("mfa@clinic.example").await;
    // R40: only a verified email enrolls a second factor.
    h.verify("mfa@clinic.example").await;
    let secret = enable_totp(&h, &token).await;
    let mfa = mfa_token(&h, "mfa@clinic.example", PASSWORD).await;
    h.clock.advance(Duration::minutes(6));
    let late = login_mfa(&h, &mfa, &totp_at(&secret, h.clock.now())).await;
    assert_eq!((late.status, late.code()), (401, "invalid_credentials".into()), "{}", late.body);
    // A fresh one, used in time, works.
    let mfa = mfa_token(&h, "mfa@clinic.example", PASSWORD).await;
    h.clock.advance(Duration::minutes(4));
    let r = login_mfa(&h, &mfa, &totp_at(&secret, h.clock.now())).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

// R28: one step of clock drift is accepted (t-30 s), two are not (t-60 s).
#[tokio::test]
async fn totp_accepts_one_step_of_drift_and_not_two() {
    let h = Harness::new().await;
    let (_, token) = h.signup("mfa@clinic.example").await;
    // R40: only a verified email enrolls a second factor.
    h.verify("mfa@clinic.example").await;
    let secret = enroll(&h, &token).await;
    h.clock.advance(Duration::minutes(2));
    let two_back = confirm(&h, &token, &totp_at(&secret, h.clock.now() - Duration::seconds(60))).await;
    assert_eq!(two_back.status, 422, "two steps of drift at confirm: {}", two_back.body);
    let one_back = confirm(&h, &token, &totp_at(&secret, h.clock.now() - Duration::seconds(30))).await;
    assert_eq!(one_back.status, 204, "one step of drift at confirm: {}", one_back.body);

    h.clock.advance(Duration::minutes(2));
    let mfa = mfa_token(&h, "mfa@clinic.example", PASSWORD).await;
    let r = login_mfa(&h, &mfa, &totp_at(&secret, h.clock.now() - Duration::seconds(60))).await;
    assert_eq!((r.status, r.code()), (401, "invalid_credentials".into()), "two steps back: {}", r.body);
    let r = login_mfa(&h, &mfa, &totp_at(&secret, h.clock.now() - Duration::seconds(30))).await;
    assert_eq!(r.status, 200, "one step back: {}", r.body);
}

// R28, R25: a wrong code is a failed sign-in: four wrong codes and one wrong
// password make five in a row and lock; then the code step is 423 too.
#[tokio::test]
async fn wrong_codes_count_towards_the_lock() {
    let h = Harness::new().await;
    let (_, token) = h.signup("mfa@clinic.example").await;
    // R40: only a verified email enrolls a second factor.
    h.verify("mfa@clinic.example").await;
    let secret = enable_totp(&h, &token).await;
    let mfa = mfa_token(&h, "mfa@clinic.example", PASSWORD).await;
    let right = fresh_code(&h, &secret);
    for i in 1..=4 {
        let r = login_mfa(&h, &mfa, &not(&right)).await;
        assert_eq!((r.status, r.code()), (401, "invalid_credentials".into()), "wrong code {i}: {}", r.body);
    }
    let r = h.login_with("mfa@clinic.example", WRONG).await;
    assert_eq!((r.status, r.code()), (423, "account_locked".into()), "fifth failure in a row: {}", r.body);
    let r = h.login_with("mfa@clinic.example", PASSWORD).await;
    assert_eq!(r.status, 423, "{}", r.body);
    let r = login_mfa(&h, &mfa, &right).await;
    assert_eq!((r.status, r.code()), (423, "account_locked".into()), "a locked user's second step: {}", r.body);
    assert_eq!(h.mails_to("mfa@clinic.example", "account_locked").len(), 1);
}

// R28: disabling needs a right code; afterwards sign-in gives a session
// directly. Disabling when not enabled is 204.
#[tokio::test]
async fn disabling_totp() {
    let h = Harness::new().await;
    let (_, token) = h.signup("mfa@clinic.example").await;
    // R40: only a verified email enrolls a second factor.
    h.verify("mfa@clinic.example").await;
    // R40: turning it off takes the current password too.
    let off = |code: String| {
        h.call("DELETE", "/me/mfa/totp", Some(&token), Some(json!({"current_password": PASSWORD, "code": code})))
    };
    assert_eq!(off("123456".into()).await.status, 204, "not enabled");
    let secret = enable_totp(&h, &token).await;

    let right = fresh_code(&h, &secret);
    let wrong = off(not(&right)).await;
    assert_eq!((wrong.status, wrong.field()), (422, "code".into()), "{}", wrong.body);
    assert_eq!(h.me(&token).await["mfa_enabled"], true);
    mfa_token(&h, "mfa@clinic.example", PASSWORD).await;

    let r = off(right).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(h.me(&token).await["mfa_enabled"], false);
    let login = h.login_with("mfa@clinic.example", PASSWORD).await;
    assert_eq!(login.status, 200, "{}", login.body);
    assert!(!s(&login.body["session"]["token"]).is_empty(), "a session directly: {}", login.body);
    assert_ne!(login.body["mfa_required"], true);
    // Enrolling again is possible.
    assert_eq!(h.call("POST", "/me/mfa/totp", Some(&token), None).await.status, 200);
}

/// A gated session is refused, with `why`, on routes of several functions.
async fn refused_everywhere(h: &Harness, t: &str, pid: &str, why: &str) {
    let checks = [
        ("GET /practices/{pid}", h.call("GET", &format!("/practices/{pid}"), Some(t), None).await),
        ("GET /practices/{pid}/members", h.call("GET", &format!("/practices/{pid}/members"), Some(t), None).await),
        ("PATCH /me", h.call("PATCH", "/me", Some(t), Some(json!({"first_name": "X"}))).await),
        (
            "POST /practices",
            h.call("POST", "/practices", Some(t), Some(json!({"name": "Mine", "location": {"name": "Here"}}))).await,
        ),
        ("GET /me/invitations", h.call("GET", "/me/invitations", Some(t), None).await),
        ("GET /permissions", h.call("GET", "/permissions", Some(t), None).await),
    ];
    for (route, r) in checks {
        assert_eq!((r.status, r.code()), (403, why.to_string()), "{route}: {}", r.body);
    }
}

// R28: mfa_required on a member: signing in unenrolled gives a session that
// can only enroll (and read /me, log out); after confirming, the same
// session works everywhere. A session from before the requirement is refused
// in that practice. TOTP cannot be disabled while required.
#[tokio::test]
async fn a_required_second_factor_gives_an_enroll_only_session() {
    let h = Harness::new().await;
    let (_, d, a) = h.director("d@clinic.example", "Harbour Clinic").await;
    let (uid, old) = h.member(&a, "u@clinic.example", "front_desk", MemberStatus::Active).await;
    // R40: only a verified email enrolls a second factor.
    h.verify("u@clinic.example").await;
    assert_eq!(h.call("GET", &format!("/practices/{a}"), Some(&old), None).await.status, 200);

    let r =
        h.call("PATCH", &format!("/practices/{a}/members/{uid}"), Some(&d), Some(json!({"mfa_required": true}))).await;
    assert_eq!((r.status, r.body["mfa_required"].clone()), (200, json!(true)), "{}", r.body);
    let r = h.call("GET", &format!("/practices/{a}"), Some(&old), None).await;
    assert_eq!((r.status, r.code()), (403, "mfa_required".into()), "a session from before: {}", r.body);

    let login = h.login_with("u@clinic.example", PASSWORD).await;
    assert_eq!(login.status, 200, "{}", login.body);
    let t = s(&login.body["session"]["token"]);
    assert!(!t.is_empty(), "not enrolled: a session, not an mfa_token: {}", login.body);
    refused_everywhere(&h, &t, &a, "mfa_required").await;
    assert_eq!(h.me(&t).await["mfa_enabled"], false);
    // Logout is allowed to such a session.
    let spare = h.login("u@clinic.example").await;
    assert_eq!(h.call("POST", "/auth/logout", Some(&spare), None).await.status, 204);
    assert_eq!(h.call("GET", "/me", Some(&spare), None).await.status, 401);

    let secret = enroll(&h, &t).await;
    let r = confirm(&h, &t, &fresh_code(&h, &secret)).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(h.me(&t).await["mfa_enabled"], true);
    assert_eq!(h.call("GET", &format!("/practices/{a}"), Some(&t), None).await.status, 200);
    let r = h.call("GET", &format!("/practices/{a}/members"), Some(&t), None).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "front desk lacks users.view: {}", r.body);
    assert_eq!(h.call("PATCH", "/me", Some(&t), Some(json!({"first_name": "Una"}))).await.status, 200);
    assert_eq!(h.call("GET", "/me/invitations", Some(&t), None).await.status, 200);
    assert_eq!(h.call("GET", "/permissions", Some(&t), None).await.status, 200);
    let own = h.call("POST", "/practices", Some(&t), Some(json!({"name": "Mine", "location": {"name": "Here"}}))).await;
    assert_eq!(own.status, 201, "{}", own.body);

    // Required by a practice: cannot be turned off.
    let body = json!({"current_password": PASSWORD, "code": fresh_code(&h, &secret)});
    let r = h.call("DELETE", "/me/mfa/totp", Some(&t), Some(body)).await;
    assert_eq!((r.status, r.code()), (409, "mfa_required".into()), "{}", r.body);
    assert_eq!(h.me(&t).await["mfa_enabled"], true);
    // And sign-in now takes two steps.
    let mfa = mfa_token(&h, "u@clinic.example", PASSWORD).await;
    assert_eq!(login_mfa(&h, &mfa, &fresh_code(&h, &secret)).await.status, 200);
}

// R28, R5: registering through an invitation with mfa_required gives an
// enroll-only session; after enrolling it works.
#[tokio::test]
async fn an_mfa_required_invitation_registers_an_enroll_only_session() {
    let h = Harness::new().await;
    let (_, d, a) = h.director("d@clinic.example", "Harbour Clinic").await;
    let loc = h.first_location(&d, &a).await;
    let inv = h
        .call(
            "POST",
            &format!("/practices/{a}/invitations"),
            Some(&d),
            Some(json!({"email": "new@clinic.example", "kind": "staff", "role_id": "front_desk",
                "primary_location_id": loc, "mfa_required": true})),
        )
        .await;
    assert_eq!((inv.status, inv.body["mfa_required"].clone()), (201, json!(true)), "{}", inv.body);
    let link = h.invite_token_for("new@clinic.example");
    let reg = h.register(&link, "N", "W", PASSWORD).await;
    assert_eq!(reg.status, 201, "{}", reg.body);
    let uid = s(&reg.body["user"]["id"]);
    let t = s(&reg.body["session"]["token"]);
    assert_eq!(h.get_member(&d, &a, &uid).await["mfa_required"], true);

    refused_everywhere(&h, &t, &a, "mfa_required").await;
    assert_eq!(h.me(&t).await["id"], uid.as_str());

    let secret = enroll(&h, &t).await;
    assert_eq!(confirm(&h, &t, &fresh_code(&h, &secret)).await.status, 204);
    assert_eq!(h.call("GET", &format!("/practices/{a}"), Some(&t), None).await.status, 200);
    assert_eq!(h.call("GET", "/me/invitations", Some(&t), None).await.status, 200);
}

// R28, R26: the password-change gate comes before the second-factor gate;
// after the change, the session can enroll, and after that, work.
#[tokio::test]
async fn the_password_change_gate_comes_before_the_mfa_gate() {
    let h = Harness::new().await;
    let (_, d, a) = h.director("d@clinic.example", "Harbour Clinic").await;
    let (uid, _) = h.member(&a, "u@clinic.example", "front_desk", MemberStatus::Active).await;
    // R40: only a verified email enrolls a second factor.
    h.verify("u@clinic.example").await;
    let r =
        h.call("PATCH", &format!("/practices/{a}/members/{uid}"), Some(&d), Some(json!({"mfa_required": true}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(temporary_password(&h, &d, &a, &uid, TEMP).await.status, 204);

    let t = s(&h.login_with("u@clinic.example", TEMP).await.body["session"]["token"]);
    assert!(!t.is_empty());
    refused_everywhere(&h, &t, &a, "password_change_required").await;
    let r = h.call("POST", "/me/mfa/totp", Some(&t), None).await;
    assert_eq!((r.status, r.code()), (403, "password_change_required".into()), "{}", r.body);
    let user = h.me(&t).await;
    assert_eq!((user["must_change_password"].clone(), user["mfa_enabled"].clone()), (json!(true), json!(false)));

    let changed =
        h.call("POST", "/me/password", Some(&t), Some(json!({"current_password": TEMP, "new_password": NEW}))).await;
    assert_eq!(changed.status, 204, "{}", changed.body);
    refused_everywhere(&h, &t, &a, "mfa_required").await;
    let secret = enroll(&h, &t).await;
    assert_eq!(confirm(&h, &t, &fresh_code(&h, &secret)).await.status, 204);
    assert_eq!(h.call("GET", &format!("/practices/{a}"), Some(&t), None).await.status, 200);
}

// ---- Issue 11: sessions and challenges end with a lock or a change (R29) ----

#[tokio::test]
async fn a_lock_ends_every_session_of_the_user() {
    let h = Harness::new().await;
    let (_, before) = h.signup("locked@clinic.example").await;
    assert_eq!(h.call("GET", "/me", Some(&before), None).await.status, 200);
    lock(&h, "locked@clinic.example").await;
    let r = h.call("GET", "/me", Some(&before), None).await;
    assert_eq!((r.status, r.code()), (401, "unauthenticated".into()), "{}", r.body);
    let r = h.call("PATCH", "/me", Some(&before), Some(json!({"first_name": "Still"}))).await;
    assert_eq!(r.status, 401, "{}", r.body);
}

#[tokio::test]
async fn an_mfa_token_dies_with_a_password_change() {
    let h = Harness::new().await;
    let (_, token) = h.signup("two@clinic.example").await;
    // R40: only a verified email enrolls a second factor.
    h.verify("two@clinic.example").await;
    let secret = enable_totp(&h, &token).await;
    let pending = mfa_token(&h, "two@clinic.example", PASSWORD).await;
    let body = json!({"current_password": PASSWORD, "new_password": NEW});
    assert_eq!(h.call("POST", "/me/password", Some(&token), Some(body)).await.status, 204);
    let r = login_mfa(&h, &pending, &fresh_code(&h, &secret)).await;
    assert_eq!((r.status, r.code()), (401, "invalid_credentials".into()), "{}", r.body);
    // A challenge issued after the change still works.
    let fresh = mfa_token(&h, "two@clinic.example", NEW).await;
    let r = login_mfa(&h, &fresh, &fresh_code(&h, &secret)).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn nobody_unlocks_or_resets_themselves_as_an_administrator() {
    let h = Harness::new().await;
    let (uid, d, pid) = h.director("d@clinic.example", "Harbour").await;
    let r = unlock(&h, &d, &pid, &uid, None).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    let r = temporary_password(&h, &d, &pid, &uid, TEMP).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    assert_eq!(h.me(&d).await["must_change_password"], false);
}
