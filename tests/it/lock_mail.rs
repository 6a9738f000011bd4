//! R47: the mail that tells a user their account is locked names whom to
//! ask: each practice they belong to, with its directors.

use crate::common::*;
use roster_domain::model::MemberStatus;
use serde_json::json;

#[tokio::test]
async fn the_lock_mail_names_each_practice_and_its_directors() {
    let h = Harness::new().await;
    let (_, d1, harbour) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (_, _, quay) = h.director("quay@clinic.example", "Quay www.evil.test Clinic").await;
    let (uid, _) = h.member(&harbour, "locum@mail.example", "front_desk", MemberStatus::Active).await;
    h.add_member(&quay, &uid, "front_desk", MemberStatus::Active).await;
    let (gone, _) = h.signup("former@mail.example").await;
    h.add_member(&harbour, &gone, "front_desk", MemberStatus::Active).await;
    // A practice's own name for its director is the one shown.
    let r = h
        .req("PATCH", &format!("/practices/{harbour}/members/{}/details", s(&h.me(&d1).await["id"])))
        .token(&d1)
        .json(json!({"display_name": "Dr Dana Reyes"}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    for _ in 0..5 {
        h.login_with("locum@mail.example", "not the password").await;
    }
    let mail = h.mails_to("locum@mail.example", "account_locked").pop().expect("the lock mail");
    let text = s(&mail["text"]);
    assert!(text.contains("- Harbour Clinic: Dr Dana Reyes (director@clinic.example)"), "{text}");
    assert!(text.contains("- Quay www[.]evil[.]test Clinic: Ana Silva (quay@clinic.example)"), "{text}");
    assert!(!text.contains("former@mail.example"), "only directors are named");
    let html = s(&mail["html"]);
    assert!(html.contains("<strong>Harbour Clinic</strong>: Dr Dana Reyes (director@clinic.example)"), "{html}");
}

// A director locked out is not listed as whom to ask in their own practice.
#[tokio::test]
async fn the_locked_user_is_not_whom_to_ask() {
    let h = Harness::new().await;
    h.director(DIRECTOR, "Harbour Clinic").await;
    for _ in 0..5 {
        h.login_with(DIRECTOR, "not the password").await;
    }
    let mail = h.mails_to(DIRECTOR, "account_locked").pop().expect("the lock mail");
    let text = s(&mail["text"]);
    assert!(text.contains("- Harbour Clinic\n"), "{text}");
    assert!(!text.contains("(director@clinic.example)"), "{text}");
}
