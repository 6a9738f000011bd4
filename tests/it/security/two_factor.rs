//! Two-factor sign-in by TOTP (R28).

use super::*;
use crate::common::{s, Harness, PASSWORD};
use chrono::Duration;
use roster_domain::clock::Clock;
use roster_domain::model::MemberStatus;
use serde_json::json;

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
