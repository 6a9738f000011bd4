//! The person invited (R10, R11, R13, R39): verification they can finish,
//! declining from the link without an account, and the name the practice
//! typed carried through to the account.

use crate::common::*;
use chrono::Duration;
use serde_json::{json, Value};

/// Every verification link mailed to `email`, oldest first.
fn verify_links(h: &Harness, email: &str) -> Vec<String> {
    h.mails_to(email, "verify_email").iter().map(|m| link_token(m, "/verify-email/")).collect()
}

async fn verify_with(h: &Harness, token: &str) -> u16 {
    h.call("POST", "/auth/verify-email", None, Some(json!({"token": token}))).await.status
}

async fn resend(h: &Harness, session: &str) -> Reply {
    h.call("POST", "/auth/verify-email/resend", Some(session), None).await
}

// R11, R39, as a new user would: sign up, never click the link, get invited
// by a practice, find the own list closed, ask for a new link (the old one
// dies; three an hour), verify, then see and accept the invitation.
#[tokio::test]
async fn a_user_who_lost_the_link_asks_for_another_and_then_sees_the_invitation() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (_, me) = h.signup("amara@mail.example").await;
    assert_eq!(h.invite(&d, &pid, "amara@mail.example").await.status, 201);
    let invitation = h.mails_to("amara@mail.example", "invitation_existing_user").pop().expect("invitation mail");
    assert!(
        s(&invitation["text"]).contains("Once your address is confirmed"),
        "the mail promises the own list only once verified: {}",
        invitation["text"]
    );
    let mine = h.call("GET", "/me/invitations", Some(&me), None).await;
    assert_eq!(items(&mine.body).len(), 0, "closed until verified");

    for _ in 0..3 {
        assert_eq!(resend(&h, &me).await.status, 204);
    }
    let refused = resend(&h, &me).await;
    assert_eq!((refused.status, refused.body["code"].clone()), (429, json!("rate_limited")));
    let links = verify_links(&h, "amara@mail.example");
    assert_eq!(links.len(), 4, "the sign-up link and three more");
    h.clock.advance(Duration::minutes(61));
    assert_eq!(resend(&h, &me).await.status, 204, "an hour later");
    let links = verify_links(&h, "amara@mail.example");
    for old in &links[..4] {
        assert_eq!(verify_with(&h, old).await, 410, "a newer link killed this one");
    }
    assert_eq!(verify_with(&h, &links[4]).await, 204);
    let again = resend(&h, &me).await;
    assert_eq!((again.status, again.body["code"].clone()), (409, json!("already_verified")));

    let mine = h.call("GET", "/me/invitations", Some(&me), None).await;
    let listed = items(&mine.body);
    assert_eq!(listed.len(), 1, "{}", mine.body);
    let r = h.call("POST", &format!("/me/invitations/{}/accept", s(&listed[0]["id"])), Some(&me), None).await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Now a member, the session answers to the practice's idle limit
    // (R48), which the hour spent above passed: a new sign-in.
    let me = h.login("amara@mail.example").await;
    // The link is spent: its preview and an accept from it are 409.
    let token = link_token(&invitation, "/invite/");
    for (method, path) in [("GET", format!("/invitations/{token}")), ("POST", format!("/invitations/{token}/accept"))] {
        let r = h.call(method, &path, Some(&me), None).await;
        assert_eq!((r.status, r.body["code"].clone()), (409, json!("invitation_not_pending")), "{method} {path}");
    }
}

// R13, R39: an account made with a temporary password gets a verification
// link in its welcome mail (and never the password); the link verifies.
#[tokio::test]
async fn the_temporary_password_welcome_mail_carries_a_verification_link() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let loc = h.first_location(&d, &pid).await;
    let body = json!({"email": "tia@mail.example", "kind": "staff", "role_id": "front_desk",
        "primary_location_id": loc, "first_name": "Tia", "last_name": "Mo", "temporary_password": "Temporary-Pass-1"});
    let r = h.call("POST", &format!("/practices/{pid}/invitations"), Some(&d), Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let mail = h.mails_to("tia@mail.example", "welcome_temporary_password").pop().expect("welcome mail");
    assert!(!s(&mail["text"]).contains("Temporary-Pass-1") && !s(&mail["html"]).contains("Temporary-Pass-1"));

    let session = h.login_with("tia@mail.example", "Temporary-Pass-1").await;
    let session = s(&session.body["session"]["token"]);
    assert_eq!(h.me(&session).await["email_verified"], false);
    let gated = resend(&h, &session).await;
    assert_eq!((gated.status, gated.body["code"].clone()), (403, json!("password_change_required")));
    assert_eq!(verify_with(&h, &link_token(&mail, "/verify-email/")).await, 204);
    assert_eq!(h.me(&session).await["email_verified"], true);
}

/// The token of the newest invitation mail to `email`.
fn invite_link(h: &Harness, email: &str) -> String {
    h.invite_token_for(email)
}

async fn invitations_with_status(h: &Harness, d: &str, pid: &str, status: &str) -> Vec<Value> {
    let r = h.call("GET", &format!("/practices/{pid}/invitations?status={status}"), Some(d), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    items(&r.body)
}

// R11: whoever holds the link can say no without an account; the practice
// sees it declined, the event is published, and the link is spent.
#[tokio::test]
async fn an_invitation_is_declined_from_its_link_without_signing_in() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    assert_eq!(h.invite(&d, &pid, "no.thanks@mail.example").await.status, 201);
    let token = invite_link(&h, "no.thanks@mail.example");

    let r = h.call("POST", &format!("/invitations/{token}/decline"), None, None).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let declined = invitations_with_status(&h, &d, &pid, "declined").await;
    assert_eq!(declined.len(), 1);
    assert_eq!(declined[0]["email"], "no.thanks@mail.example");
    let events = h.events_of("InvitationDeclined");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["detail"]["email"], "no.thanks@mail.example");

    for (method, path) in [("POST", "decline"), ("GET", ""), ("POST", "register")] {
        let path = format!("/invitations/{token}/{path}").trim_end_matches('/').to_string();
        let body = (method == "POST")
            .then(|| json!({"first_name": "A", "last_name": "B", "password": PASSWORD, "accept_terms": true}));
        let body = if path.ends_with("decline") { None } else { body };
        let r = h.call(method, &path, None, body).await;
        assert_eq!((r.status, r.body["code"].clone()), (409, json!("invitation_not_pending")), "{method} {path}");
    }
    // The address is free for a new invitation.
    assert_eq!(h.invite(&d, &pid, "no.thanks@mail.example").await.status, 201);
    assert_eq!(h.call("POST", "/invitations/not-a-real-token/decline", None, None).await.status, 404);
}

// R10, R11: the name the practice typed shows in the preview and becomes
// the account's unless the person types another.
#[tokio::test]
async fn registration_takes_the_invited_name_unless_the_person_types_another() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let loc = h.first_location(&d, &pid).await;
    let path = format!("/practices/{pid}/invitations");
    let invite = |email: &str, names: Value| {
        let mut body = json!({"email": email, "kind": "practitioner", "role_id": "clinician", "primary_location_id": loc,
                "accept_license_terms": true});
        if let (Some(b), Some(n)) = (body.as_object_mut(), names.as_object()) {
            b.extend(n.clone());
        }
        h.call("POST", &path, Some(&d), Some(body))
    };
    let named = json!({"first_name": "Amara", "last_name": "Okafor-Nwosu", "title": "Dr"});
    assert_eq!(invite("amara@mail.example", named.clone()).await.status, 201);
    let token = invite_link(&h, "amara@mail.example");
    let preview = h.call("GET", &format!("/invitations/{token}"), None, None).await;
    assert_eq!(preview.status, 200);
    for field in ["first_name", "last_name", "title"] {
        assert_eq!(preview.body[field], named[field], "{field}");
    }
    let r = h
        .call(
            "POST",
            &format!("/invitations/{token}/register"),
            None,
            Some(json!({"password": PASSWORD, "accept_terms": true})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    for field in ["first_name", "last_name", "title"] {
        assert_eq!(r.body["user"][field], named[field], "{field}");
    }

    assert_eq!(invite("ben@mail.example", named.clone()).await.status, 201);
    let token = invite_link(&h, "ben@mail.example");
    let typed = json!({"first_name": "Ben", "password": PASSWORD, "accept_terms": true});
    let r = h.call("POST", &format!("/invitations/{token}/register"), None, Some(typed)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        (r.body["user"]["first_name"].clone(), r.body["user"]["last_name"].clone()),
        (json!("Ben"), named["last_name"].clone())
    );

    assert_eq!(invite("cy@mail.example", json!({})).await.status, 201);
    let token = invite_link(&h, "cy@mail.example");
    let preview = h.call("GET", &format!("/invitations/{token}"), None, None).await;
    assert_eq!((preview.body["first_name"].clone(), preview.body["title"].clone()), (Value::Null, Value::Null));
    let r = h
        .call(
            "POST",
            &format!("/invitations/{token}/register"),
            None,
            Some(json!({"password": PASSWORD, "accept_terms": true})),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let fields: Vec<String> = r.body["errors"].as_array().into_iter().flatten().map(|e| s(&e["field"])).collect();
    assert_eq!(fields, ["first_name", "last_name"]);
}

// R28, R39, R40: a member whose practice requires a second factor, with an
// email never verified, signs in to an enroll-only session; enrolling needs
// a verified email, so the way out includes asking for a new link.
#[tokio::test]
async fn an_enroll_only_session_may_ask_for_a_new_link_and_then_enroll() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (uid, _) = h.member(&pid, "desk@mail.example", "front_desk", roster_domain::model::MemberStatus::Active).await;
    let r = h.patch_member(&d, &pid, &uid, None, json!({"mfa_required": true})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let session = h.login("desk@mail.example").await;
    let refused = h.call("POST", "/me/mfa/totp", Some(&session), None).await;
    assert_eq!((refused.status, refused.body["code"].clone()), (403, json!("email_unverified")));

    assert_eq!(resend(&h, &session).await.status, 204);
    let newest = verify_links(&h, "desk@mail.example").pop().expect("a new link");
    assert_eq!(verify_with(&h, &newest).await, 204);
    let r = h.call("POST", "/me/mfa/totp", Some(&session), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

// The own list pages like every other list (a limit of 1..100, a cursor),
// and no answer, least of all one carrying a session token, may be cached.
#[tokio::test]
async fn the_own_list_pages_and_answers_are_not_cached() {
    let h = Harness::new().await;
    let (_, d1, p1) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (_, d2, p2) = h.director("quay@clinic.example", "Quay Clinic").await;
    let (_, me) = h.signup("amara@mail.example").await;
    h.verify("amara@mail.example").await;
    assert_eq!(h.invite(&d1, &p1, "amara@mail.example").await.status, 201);
    assert_eq!(h.invite(&d2, &p2, "amara@mail.example").await.status, 201);

    let r = h.call("GET", "/me/invitations?limit=101", Some(&me), None).await;
    assert_eq!((r.status, r.field()), (422, "limit".to_string()));
    let first = h.call("GET", "/me/invitations?limit=1", Some(&me), None).await;
    assert_eq!(items(&first.body).len(), 1, "{}", first.body);
    let cursor = s(&first.body["next_cursor"]);
    let second = h.call("GET", &format!("/me/invitations?limit=1&cursor={cursor}"), Some(&me), None).await;
    assert_eq!(items(&second.body).len(), 1, "{}", second.body);
    assert_ne!(items(&first.body)[0]["id"], items(&second.body)[0]["id"]);
    assert_eq!(second.body["next_cursor"], Value::Null);
    let bad = h.call("GET", "/me/invitations?cursor=nope", Some(&me), None).await;
    assert_eq!((bad.status, bad.field()), (422, "cursor".to_string()));

    for r in [h.login_with("amara@mail.example", PASSWORD).await, bad] {
        assert_eq!(r.headers.get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    }
}
