//! Password reset (R27).

use super::*;
use crate::common::{link_token, s, with_action, Harness, PASSWORD};
use chrono::Duration;
use roster_domain::model::MemberStatus;
use serde_json::json;

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
