//! R40 through the real handlers (issue 11 item 6): only a verified email
//! enrolls a second factor; a reset of a never-verified account removes
//! one; a wrong current password on `POST /me/password` and a wrong
//! password or code on `DELETE /me/mfa/totp` count in the sign-in streak
//! (R25), and turning the factor off takes the password and a code.

use crate::common::{link_token, s, Harness, Reply, PASSWORD};
use crate::security::{enable_totp, enroll, fresh_code, mfa_token, not, NEW, WRONG};
use roster_domain::ports::{Record, Tx, Write};
use serde_json::json;

async fn change_password(h: &Harness, token: &str, current: &str) -> Reply {
    h.call("POST", "/me/password", Some(token), Some(json!({"current_password": current, "new_password": NEW}))).await
}

async fn disable(h: &Harness, token: &str, password: &str, code: &str) -> Reply {
    h.call("DELETE", "/me/mfa/totp", Some(token), Some(json!({"current_password": password, "code": code}))).await
}

/// The squatter's state from before R40 was enforced: a second factor on an
/// account whose email was never verified, written straight to the store.
async fn factor_on_unverified(h: &Harness, uid: &str) -> String {
    let user = h.app.store.user(uid.parse().expect("uid")).await.expect("read user").expect("user exists");
    assert!(!user.email_verified);
    let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".to_string();
    let mut updated = user.clone();
    updated.totp_secret = Some(secret.clone());
    updated.mfa_enabled = true;
    updated.version += 1;
    let mut tx = Tx::new();
    tx.push(Write::Replace { record: Record::User(updated), expected_version: user.version });
    h.app.store.transact(tx).await.expect("enroll behind the API");
    secret
}

async fn reset(h: &Harness, email: &str, password: &str) {
    let r = h.call("POST", "/auth/password-reset", None, Some(json!({"email": email}))).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let mail = h.mails_to(email, "password_reset").pop().expect("reset mail");
    let token = link_token(&mail, "/reset-password/");
    let body = json!({"token": token, "new_password": password});
    let r = h.call("POST", "/auth/password-reset/confirm", None, Some(body)).await;
    assert_eq!(r.status, 204, "{}", r.body);
}

// R40: an unverified email cannot start (403 email_unverified) and no
// second factor is on; once verified, enrollment works.
#[tokio::test]
async fn only_a_verified_email_enrolls_totp() {
    let h = Harness::new().await;
    let (_, token) = h.signup("squat@clinic.example").await;
    let r = h.call("POST", "/me/mfa/totp", Some(&token), None).await;
    assert_eq!((r.status, r.code()), (403, "email_unverified".into()), "{}", r.body);
    assert_eq!(h.me(&token).await["mfa_enabled"], false);
    h.verify("squat@clinic.example").await;
    enable_totp(&h, &token).await;
    assert_eq!(h.me(&token).await["mfa_enabled"], true);
}

// R40, R39: the owner of an address a squatter signed up with resets the
// password from the mail; the squatter's second factor is gone, the email
// is verified, and the owner signs in with the password alone.
#[tokio::test]
async fn a_reset_of_a_never_verified_account_removes_its_second_factor() {
    let h = Harness::new().await;
    let (uid, _) = h.signup("owner@clinic.example").await;
    factor_on_unverified(&h, &uid).await;
    mfa_token(&h, "owner@clinic.example", PASSWORD).await;
    reset(&h, "owner@clinic.example", NEW).await;
    let login = h.login_with("owner@clinic.example", NEW).await;
    assert_eq!(login.status, 200, "{}", login.body);
    assert_ne!(login.body["mfa_required"], true, "{}", login.body);
    let token = s(&login.body["session"]["token"]);
    let user = h.me(&token).await;
    assert_eq!((user["mfa_enabled"].clone(), user["email_verified"].clone()), (json!(false), json!(true)));
}

// R40: a verified account keeps its second factor through a reset (the
// reset proves the mailbox, not the authenticator).
#[tokio::test]
async fn a_reset_of_a_verified_account_keeps_its_second_factor() {
    let h = Harness::new().await;
    let (_, token) = h.signup("kept@clinic.example").await;
    h.verify("kept@clinic.example").await;
    enable_totp(&h, &token).await;
    reset(&h, "kept@clinic.example", NEW).await;
    mfa_token(&h, "kept@clinic.example", NEW).await;
}

// R40, R25: wrong current passwords are 422 naming the field, and count:
// three wrong sign-ins and two wrong current passwords lock, and the lock
// answers 423 there too.
#[tokio::test]
async fn wrong_current_passwords_count_in_the_streak() {
    let h = Harness::new().await;
    let (_, token) = h.signup("pw@clinic.example").await;
    for _ in 0..3 {
        assert_eq!(h.login_with("pw@clinic.example", WRONG).await.status, 401);
    }
    let r = change_password(&h, &token, WRONG).await;
    assert_eq!((r.status, r.field()), (422, "current_password".into()), "fourth failure: {}", r.body);
    let r = change_password(&h, &token, WRONG).await;
    assert_eq!((r.status, r.code()), (423, "account_locked".into()), "fifth failure: {}", r.body);
    assert_eq!(h.login_with("pw@clinic.example", PASSWORD).await.status, 423);
    assert_eq!(h.mails_to("pw@clinic.example", "account_locked").len(), 1);
}

// R40, R25: five wrong current passwords alone lock; a right one neither
// fails nor ends the streak.
#[tokio::test]
async fn five_wrong_current_passwords_lock() {
    let h = Harness::new().await;
    let (_, token) = h.signup("five@clinic.example").await;
    for i in 1..=4 {
        let r = change_password(&h, &token, WRONG).await;
        assert_eq!((r.status, r.field()), (422, "current_password".into()), "failure {i}: {}", r.body);
    }
    let r = change_password(&h, &token, WRONG).await;
    assert_eq!((r.status, r.code()), (423, "account_locked".into()), "{}", r.body);
    assert_eq!(h.login_with("five@clinic.example", PASSWORD).await.status, 423);

    let (_, token) = h.signup("right@clinic.example").await;
    for _ in 0..4 {
        assert_eq!(change_password(&h, &token, WRONG).await.status, 422);
    }
    assert_eq!(change_password(&h, &token, PASSWORD).await.status, 204);
    let r = h.login_with("right@clinic.example", WRONG).await;
    assert_eq!((r.status, r.code()), (423, "account_locked".into()), "the streak went on: {}", r.body);
}

// R40: turning TOTP off needs the current password and a code; each wrong
// one is named, counts, and the fifth failure in a row locks.
#[tokio::test]
async fn disabling_totp_needs_the_password_and_wrong_tries_count() {
    let h = Harness::new().await;
    let (_, token) = h.signup("off@clinic.example").await;
    h.verify("off@clinic.example").await;
    let secret = enable_totp(&h, &token).await;

    let code_only =
        h.call("DELETE", "/me/mfa/totp", Some(&token), Some(json!({"code": fresh_code(&h, &secret)}))).await;
    assert_eq!((code_only.status, code_only.field()), (422, "current_password".into()), "{}", code_only.body);
    let r = disable(&h, &token, WRONG, &fresh_code(&h, &secret)).await;
    assert_eq!((r.status, r.field()), (422, "current_password".into()), "failure 1: {}", r.body);
    for i in 2..=4 {
        let right = fresh_code(&h, &secret);
        let r = disable(&h, &token, PASSWORD, &not(&right)).await;
        assert_eq!((r.status, r.field()), (422, "code".into()), "failure {i}: {}", r.body);
    }
    assert_eq!(h.me(&token).await["mfa_enabled"], true);
    let right = fresh_code(&h, &secret);
    let r = disable(&h, &token, PASSWORD, &not(&right)).await;
    assert_eq!((r.status, r.code()), (423, "account_locked".into()), "fifth failure: {}", r.body);
    assert_eq!(h.login_with("off@clinic.example", PASSWORD).await.status, 423);
}

// R40: after four wrong tries, a right password and code still turn it
// off (a right attempt is never a failure).
#[tokio::test]
async fn a_right_disable_after_wrong_tries_turns_totp_off() {
    let h = Harness::new().await;
    let (_, token) = h.signup("back@clinic.example").await;
    h.verify("back@clinic.example").await;
    let secret = enroll(&h, &token).await;
    let r = crate::security::confirm(&h, &token, &fresh_code(&h, &secret)).await;
    assert_eq!(r.status, 204, "{}", r.body);
    for _ in 0..4 {
        assert_eq!(disable(&h, &token, WRONG, &fresh_code(&h, &secret)).await.status, 422);
    }
    let r = disable(&h, &token, PASSWORD, &fresh_code(&h, &secret)).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(h.me(&token).await["mfa_enabled"], false);
}
