//! Invitations end to end through the real handlers, against DynamoDB Local
//! (R5..R13, R20, R32..R35).

use crate::common::{items, s, Harness, DIRECTOR};
use chrono::Duration;
use roster_domain::model::MemberStatus;
use serde_json::json;

async fn seats(h: &Harness, token: &str, pid: &str) -> serde_json::Value {
    h.call("GET", &format!("/practices/{pid}"), Some(token), None).await.body["seats"].clone()
}

// R5, R7, R10, R20: a new person registers from the mailed link and is a
// member at once, with a seat.
#[tokio::test]
async fn new_person_registers_from_the_mail_link() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let r = h.invite(&d, &pid, "New.Person@Mail.Example").await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "pending");
    assert_eq!(r.body["email"], "New.Person@Mail.Example");
    assert_eq!(r.body["show_on_calendar"], false);
    assert_eq!(r.body["access_billing"], true);
    assert_eq!(r.body["location_access"], "all");
    assert_eq!(r.body["invited_by"]["name"], "Ana Silva");
    let created = chrono::DateTime::parse_from_rfc3339(&s(&r.body["created_at"])).expect("time");
    let expires = chrono::DateTime::parse_from_rfc3339(&s(&r.body["expires_at"])).expect("time");
    assert_eq!(expires - created, Duration::days(7));

    let mail = h.mails().last().cloned().expect("mail");
    assert_eq!(mail["template"], "invitation_new_user");
    assert_eq!(mail["to"], "New.Person@Mail.Example");
    let token = h.last_invite_token();
    assert!(token.len() >= 22, "at least 128 bits: {token}");
    assert!(s(&mail["html"]).contains(&format!("https://app.roster.test/invite/{token}")));
    // R7: only the hash is stored.
    let stored = h.partition(&format!("PRACTICE#{pid}")).await;
    assert!(!format!("{stored:?}").contains(&token));

    let preview = h.call("GET", &format!("/invitations/{token}"), None, None).await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert_eq!(preview.body["practice_name"], "Harbour Clinic");
    assert_eq!(preview.body["account_exists"], false);
    assert_eq!(preview.body["role_id"], "front_desk");

    let reg = h.register(&token, "Nina", "Park", "a long enough secret").await;
    assert_eq!(reg.status, 201, "{}", reg.body);
    assert_eq!(reg.body["user"]["email_verified"], true);
    assert_eq!(reg.body["member"]["role_id"], "front_desk");
    assert_eq!(reg.body["member"]["status"], "active");
    let session = s(&reg.body["session"]["token"]);
    let me = h.call("GET", "/me", Some(&session), None).await;
    assert_eq!(me.body["memberships"][0]["practice_name"], "Harbour Clinic");

    let members = h.call("GET", &format!("/practices/{pid}/members"), Some(&d), None).await;
    assert!(items(&members.body).iter().any(|m| m["email"] == "New.Person@Mail.Example"));
    assert_eq!(seats(&h, &d, &pid).await, json!({"practitioner": 0, "staff": 2}));
    let listed = h.call("GET", &format!("/practices/{pid}/invitations?status=accepted"), Some(&d), None).await;
    assert_eq!(items(&listed.body).len(), 1);
    let events: Vec<_> = h.events().iter().map(|e| s(&e["detail_type"])).collect();
    for t in ["InvitationCreated", "InvitationAccepted", "SeatAdded"] {
        assert!(events.contains(&t.to_string()), "{t} in {events:?}");
    }
    // The link is spent.
    let again = h.call("GET", &format!("/invitations/{token}"), None, None).await;
    assert_eq!(again.status, 409);
}

// R3, R11: an existing user accepts from their own list and then sees both
// practices in /me.
#[tokio::test]
async fn existing_user_accepts_from_their_list() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (_, locum) = h.signup("locum@clinic.example").await;
    h.verify("locum@clinic.example").await;
    h.practice(&locum, "Locum Home").await;
    assert_eq!(h.invite(&d, &pid, "LOCUM@clinic.example").await.status, 201);
    assert_eq!(h.mails().last().map(|m| s(&m["template"])), Some("invitation_existing_user".into()));
    let me = h.call("GET", "/me", Some(&locum), None).await;
    assert_eq!(me.body["pending_invitations"], 1);
    let mine = h.call("GET", "/me/invitations", Some(&locum), None).await;
    assert_eq!(mine.status, 200);
    let list = items(&mine.body);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["practice_name"], "Harbour Clinic");
    let iid = s(&list[0]["id"]);
    let ok = h.call("POST", &format!("/me/invitations/{iid}/accept"), Some(&locum), None).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["practice_id"], pid);
    let me = h.call("GET", "/me", Some(&locum), None).await;
    let names: Vec<_> = me.body["memberships"]
        .as_array()
        .map(|a| a.iter().map(|m| s(&m["practice_name"])).collect())
        .unwrap_or_default();
    assert_eq!(names, vec!["Harbour Clinic", "Locum Home"]);
    assert_eq!(me.body["pending_invitations"], 0);
    let twice = h.call("POST", &format!("/me/invitations/{iid}/accept"), Some(&locum), None).await;
    assert_eq!(twice.status, 404);
}

// R6: no invitation to a member, a deactivated member, or a second pending one.
#[tokio::test]
async fn invite_conflicts_are_409() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    h.member(&pid, "gone@clinic.example", "front_desk", MemberStatus::Deactivated).await;
    assert_eq!(h.invite(&d, &pid, "someone@clinic.example").await.status, 201);
    for (email, code) in [
        ("someone@clinic.example", "invitation_pending"),
        (" SomeOne@Clinic.Example", "invitation_pending"),
        ("director@clinic.example", "already_member"),
        ("gone@clinic.example", "member_deactivated"),
    ] {
        let r = h.invite(&d, &pid, email).await;
        assert_eq!((r.status, s(&r.body["code"])), (409, code.to_string()), "{email}");
    }
}

// R5, R16, R17: the invitation's fields are checked, each broken one named.
#[tokio::test]
async fn invite_validation() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let loc = h.first_location(&d, &pid).await;
    let other = uuid::Uuid::now_v7().to_string();
    let path = format!("/practices/{pid}/invitations");
    let cases = [
        (
            json!({"email": "a@b.co", "kind": "staff", "role_id": "front_desk", "primary_location_id": loc, "show_on_calendar": true}),
            "show_on_calendar",
        ),
        (
            json!({"email": "a@b.co", "kind": "staff", "role_id": "front_desk", "primary_location_id": loc, "practitioner": {"capacity": 3}}),
            "practitioner.capacity",
        ),
        (
            json!({"email": "a@b.co", "kind": "practitioner", "role_id": "clinician", "primary_location_id": loc, "practitioner": {"npi": "1234567890"}}),
            "practitioner.npi",
        ),
        (
            json!({"email": "a@b.co", "kind": "practitioner", "role_id": "clinician", "primary_location_id": loc, "practitioner": {"scheduling_step_minutes": 7}}),
            "practitioner.scheduling_step_minutes",
        ),
        (
            json!({"email": "a@b.co", "kind": "staff", "role_id": "front_desk", "primary_location_id": other}),
            "primary_location_id",
        ),
        (
            json!({"email": "a@b.co", "kind": "staff", "role_id": "front_desk", "primary_location_id": loc, "location_access": [other]}),
            "location_access",
        ),
        (json!({"email": "a@b.co", "kind": "staff", "role_id": "wizard", "primary_location_id": loc}), "role_id"),
        (json!({"email": "a@b.co", "kind": "robot", "role_id": "front_desk", "primary_location_id": loc}), "kind"),
        (
            json!({"email": "a@b.co", "kind": "staff", "role_id": "director", "primary_location_id": loc, "overrides": {"revoke": ["inbox"]}}),
            "overrides",
        ),
        (
            json!({"email": "a@b.co", "kind": "staff", "role_id": "front_desk", "primary_location_id": loc, "overrides": {"grant": ["root"]}}),
            "overrides.grant",
        ),
        (json!({"email": "nope", "kind": "staff", "role_id": "front_desk", "primary_location_id": loc}), "email"),
    ];
    for (body, field) in cases {
        let r = h.call("POST", &path, Some(&d), Some(body.clone())).await;
        assert_eq!(r.status, 422, "{body}: {}", r.body);
        let fields: Vec<_> =
            r.body["errors"].as_array().map(|a| a.iter().map(|e| s(&e["field"])).collect()).unwrap_or_default();
        assert!(fields.contains(&field.to_string()), "{field} not in {fields:?}");
    }
    let ok = h
        .call(
            "POST",
            &path,
            Some(&d),
            Some(json!({"email": "np@b.co", "kind": "practitioner", "role_id": "clinician", "primary_location_id": loc,
                "accept_license_terms": true, "location_access": [loc], "practitioner": {"npi": "1234567893", "taxonomy_code": "207Q00000X", "capacity": 4, "scheduling_step_minutes": 15}})),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(ok.body["show_on_calendar"], true);
    assert_eq!(ok.body["location_access"], json!([loc]));
}

// R5, R14: only users.manage invites, resends and revokes; users.view lists.
#[tokio::test]
async fn only_users_manage_invites() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (_, fd) = h.member(&pid, "desk@clinic.example", "front_desk", MemberStatus::Active).await;
    let (_, sup) = h.member(&pid, "sup@clinic.example", "supervisor", MemberStatus::Active).await;
    let iid = s(&h.invite(&d, &pid, "x@clinic.example").await.body["id"]);
    for t in [&fd, &sup] {
        assert_eq!(h.invite(t, &pid, "y@clinic.example").await.status, 403);
        assert_eq!(
            h.call("POST", &format!("/practices/{pid}/invitations/{iid}/resend"), Some(t), None).await.status,
            403
        );
        assert_eq!(h.call("DELETE", &format!("/practices/{pid}/invitations/{iid}"), Some(t), None).await.status, 403);
    }
    assert_eq!(h.call("GET", &format!("/practices/{pid}/invitations"), Some(&fd), None).await.status, 403);
    assert_eq!(h.call("GET", &format!("/practices/{pid}/invitations"), Some(&sup), None).await.status, 200);
}

// R10: accepting as another account is 403 and leaves the invitation pending.
#[tokio::test]
async fn accept_with_the_wrong_account_is_403_and_stays_pending() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    h.invite(&d, &pid, "right@clinic.example").await;
    let token = h.last_invite_token();
    let (_, wrong) = h.signup("wrong@clinic.example").await;
    let r = h.call("POST", &format!("/invitations/{token}/accept"), Some(&wrong), None).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body["code"], "invitation_email_mismatch");
    let (_, right) = h.signup("right@clinic.example").await;
    let ok = h.call("POST", &format!("/invitations/{token}/accept"), Some(&right), None).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let none = h.call("POST", &format!("/invitations/{token}/accept"), None, None).await;
    assert_eq!(none.status, 401);
}

// R9: revoke kills the link at once.
#[tokio::test]
async fn revoke_then_accept_is_410() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let iid = s(&h.invite(&d, &pid, "late@clinic.example").await.body["id"]);
    let token = h.last_invite_token();
    let (_, invitee) = h.signup("late@clinic.example").await;
    assert_eq!(h.call("DELETE", &format!("/practices/{pid}/invitations/{iid}"), Some(&d), None).await.status, 204);
    let r = h.call("POST", &format!("/invitations/{token}/accept"), Some(&invitee), None).await;
    assert_eq!((r.status, s(&r.body["code"])), (410, "invitation_revoked".into()));
    let p = h.call("GET", &format!("/invitations/{token}"), None, None).await;
    assert_eq!(p.status, 410);
    let again = h.call("DELETE", &format!("/practices/{pid}/invitations/{iid}"), Some(&d), None).await;
    assert_eq!((again.status, s(&again.body["code"])), (409, "invitation_not_pending".into()));
    assert!(h.events().iter().any(|e| e["detail_type"] == "InvitationRevoked"));
    // The email is free again (R6).
    assert_eq!(h.invite(&d, &pid, "late@clinic.example").await.status, 201);
}

// R8: resend kills the old link, restarts the 7 days, three an hour at most.
#[tokio::test]
async fn resend_issues_a_new_link_and_is_rate_limited() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let iid = s(&h.invite(&d, &pid, "again@clinic.example").await.body["id"]);
    let first = h.last_invite_token();
    let resend = format!("/practices/{pid}/invitations/{iid}/resend");
    h.clock.advance(Duration::days(2));
    let d = h.login("director@clinic.example").await;
    let r = h.call("POST", &resend, Some(&d), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["resend_count"], 1);
    let second = h.last_invite_token();
    assert_ne!(first, second);
    assert_eq!(h.call("GET", &format!("/invitations/{first}"), None, None).await.status, 404);
    assert_eq!(h.call("GET", &format!("/invitations/{second}"), None, None).await.status, 200);
    let expires = chrono::DateTime::parse_from_rfc3339(&s(&r.body["expires_at"])).expect("time");
    assert!(expires > h.app.now() + Duration::days(7) - Duration::seconds(1));
    assert_eq!(h.call("POST", &resend, Some(&d), None).await.status, 200);
    assert_eq!(h.call("POST", &resend, Some(&d), None).await.status, 200);
    let limited = h.call("POST", &resend, Some(&d), None).await;
    assert_eq!((limited.status, s(&limited.body["code"])), (429, "rate_limited".into()));
    h.clock.advance(Duration::minutes(61));
    let d = h.login("director@clinic.example").await;
    assert_eq!(h.call("POST", &resend, Some(&d), None).await.status, 200);
    assert!(h.events().iter().any(|e| e["detail_type"] == "InvitationResent"));
}

// R7, R35: past its expiry an invitation is dead before any sweep; it lists
// as expired and can be resent back to pending.
#[tokio::test]
async fn expiry_is_honoured_on_read_before_any_sweep() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let iid = s(&h.invite(&d, &pid, "slow@clinic.example").await.body["id"]);
    let token = h.last_invite_token();
    h.signup("slow@clinic.example").await;
    h.clock.advance(Duration::days(7) + Duration::seconds(1));
    let invitee = h.login("slow@clinic.example").await;
    let d = h.login("director@clinic.example").await;
    let r = h.call("POST", &format!("/invitations/{token}/accept"), Some(&invitee), None).await;
    assert_eq!((r.status, s(&r.body["code"])), (410, "invitation_expired".into()));
    let reg = h.register(&token, "S", "L", "a long enough secret").await;
    assert_eq!(reg.status, 410);
    let listed = h.call("GET", &format!("/practices/{pid}/invitations?status=expired"), Some(&d), None).await;
    assert_eq!(items(&listed.body).len(), 1);
    assert_eq!(h.call("GET", "/me/invitations", Some(&invitee), None).await.body["items"], json!([]));
    // A new invitation to the same email is allowed once the old one expired (R6).
    let resent = h.call("POST", &format!("/practices/{pid}/invitations/{iid}/resend"), Some(&d), None).await;
    assert_eq!(resent.body["status"], "pending");
    let fresh = h.last_invite_token();
    assert_eq!(h.call("POST", &format!("/invitations/{fresh}/accept"), Some(&invitee), None).await.status, 200);
}

// R34: the sweep expires due invitations through the index, by the event's
// time, with audit and event, and a second run changes nothing.
#[tokio::test]
async fn sweep_expires_due_invitations_once() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    h.invite(&d, &pid, "old@clinic.example").await;
    let token = h.last_invite_token();
    h.invite(&d, &pid, "fresh@clinic.example").await;
    let before = h.sweep_at(h.app.now() + Duration::days(1)).await;
    assert_eq!(before.invitations_expired, 0);
    // A later invitation is not yet due at day 8 of the first.
    h.clock.advance(Duration::days(3));
    let d = h.login("director@clinic.example").await;
    assert_eq!(h.invite(&d, &pid, "later@clinic.example").await.status, 201);
    let first = h.sweep_at(h.app.now() + Duration::days(5)).await;
    assert_eq!(first.invitations_expired, 2, "{first:?}");
    let second = h.sweep_at(h.app.now() + Duration::days(5)).await;
    assert_eq!(second.invitations_expired, 0);
    let listed = h.call("GET", &format!("/practices/{pid}/invitations?status=pending"), Some(&d), None).await;
    assert_eq!(items(&listed.body).iter().map(|i| s(&i["email"])).collect::<Vec<_>>(), vec!["later@clinic.example"]);
    assert_eq!(h.call("GET", &format!("/invitations/{token}"), None, None).await.status, 410);
    let expired_events = h.events().iter().filter(|e| e["detail_type"] == "InvitationExpired").count();
    assert_eq!(expired_events, 2);
    let audit = h.partition(&format!("AUDIT#PRACTICE#{pid}")).await;
    assert_eq!(audit.iter().filter(|i| i["action"].as_s().is_ok_and(|a| a == "invitation.expired")).count(), 2);
    // The slot is free: the email can be invited again.
    assert_eq!(h.invite(&d, &pid, "old@clinic.example").await.status, 201);
}

// R12: N concurrent accepts of one invitation make one membership, one seat.
#[tokio::test]
async fn concurrent_accepts_make_exactly_one_membership() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    h.invite(&d, &pid, "race@clinic.example").await;
    let token = h.last_invite_token();
    let (uid, invitee) = h.signup("race@clinic.example").await;
    let path = format!("/invitations/{token}/accept");
    let replies = futures::future::join_all((0..8).map(|_| h.call("POST", &path, Some(&invitee), None))).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(ok, 1, "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    assert!(replies.iter().all(|r| r.status == 200 || r.status == 409));
    assert_eq!(seats(&h, &d, &pid).await, json!({"practitioner": 0, "staff": 2}));
    let members = h.partition(&format!("PRACTICE#{pid}")).await;
    let of_user = members.iter().filter(|i| i["SK"].as_s().is_ok_and(|s| s == &format!("MEMBER#{uid}"))).count();
    assert_eq!(of_user, 1);
}

// R12: accept racing revoke ends in exactly one of them.
#[tokio::test]
async fn accept_racing_revoke_ends_in_exactly_one() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    for round in 0..4 {
        let email = format!("r{round}@clinic.example");
        let iid = s(&h.invite(&d, &pid, &email).await.body["id"]);
        let token = h.last_invite_token();
        let (_, invitee) = h.signup(&email).await;
        let accept_path = format!("/invitations/{token}/accept");
        let revoke_path = format!("/practices/{pid}/invitations/{iid}");
        let (a, r) = futures::join!(
            h.call("POST", &accept_path, Some(&invitee), None),
            h.call("DELETE", &revoke_path, Some(&d), None)
        );
        let accepted = a.status == 200;
        let revoked = r.status == 204;
        assert!(accepted ^ revoked, "round {round}: accept {} revoke {}", a.status, r.status);
        let listed = h.call("GET", &format!("/practices/{pid}/invitations"), Some(&d), None).await;
        let status = items(&listed.body).iter().find(|i| i["id"] == iid.as_str()).map(|i| s(&i["status"]));
        assert_eq!(status, Some(if accepted { "accepted" } else { "revoked" }.to_string()));
        let in_practice = h.call("GET", &format!("/practices/{pid}"), Some(&invitee), None).await.status;
        assert_eq!(in_practice == 200, accepted);
    }
    let active = items(&h.call("GET", &format!("/practices/{pid}/members"), Some(&d), None).await.body).len() as i64;
    assert_eq!(seats(&h, &d, &pid).await["staff"], json!(active));
}

// R6, R12: N concurrent invitations of one email leave exactly one pending.
#[tokio::test]
async fn concurrent_invites_of_one_email_leave_one_pending() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let loc = h.first_location(&d, &pid).await;
    let path = format!("/practices/{pid}/invitations");
    let body =
        json!({"email": "many@clinic.example", "kind": "staff", "role_id": "front_desk", "primary_location_id": loc});
    let replies = futures::future::join_all((0..8).map(|_| h.call("POST", &path, Some(&d), Some(body.clone())))).await;
    let statuses: Vec<_> = replies.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(replies
        .iter()
        .filter(|r| r.status != 201)
        .all(|r| r.status == 409 && r.body["code"] == "invitation_pending"));
    let listed = h.call("GET", &format!("/practices/{pid}/invitations?status=pending"), Some(&d), None).await;
    assert_eq!(items(&listed.body).len(), 1);
}

// R13: a temporary password creates the user and an active membership; the
// user must change the password before anything else.
#[tokio::test]
async fn temporary_password_creates_the_member_at_once() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let loc = h.first_location(&d, &pid).await;
    let path = format!("/practices/{pid}/invitations");
    let r = h
        .call(
            "POST",
            &path,
            Some(&d),
            Some(json!({"email": "temp@clinic.example", "kind": "staff", "role_id": "front_desk", "primary_location_id": loc,
                "first_name": "Tia", "last_name": "Mo", "temporary_password": "Temporary-Pass-1"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "active");
    assert_eq!(r.body["email"], "temp@clinic.example");
    let mail = h.mails().last().cloned().expect("welcome mail");
    assert_eq!(mail["template"], "welcome_temporary_password");
    assert!(!s(&mail["text"]).contains("Temporary-Pass-1") && !s(&mail["html"]).contains("Temporary-Pass-1"));
    assert_eq!(seats(&h, &d, &pid).await["staff"], 2);

    let login = h.login_with("temp@clinic.example", "Temporary-Pass-1").await;
    let t = s(&login.body["session"]["token"]);
    let me = h.call("GET", "/me", Some(&t), None).await;
    assert_eq!(me.body["user"]["must_change_password"], true);
    let blocked = h.call("GET", &format!("/practices/{pid}"), Some(&t), None).await;
    assert_eq!((blocked.status, s(&blocked.body["code"])), (403, "password_change_required".into()));
    assert_eq!(h.call("PATCH", "/me", Some(&t), Some(json!({"first_name": "X"}))).await.status, 403);
    let changed = h
        .call(
            "POST",
            "/me/password",
            Some(&t),
            Some(json!({"current_password": "Temporary-Pass-1", "new_password": "my very own secret"})),
        )
        .await;
    assert_eq!(changed.status, 204);
    assert_eq!(h.call("GET", &format!("/practices/{pid}"), Some(&t), None).await.status, 200);

    // R13: not for an email that already has an account.
    let (_, _) = h.signup("has-account@clinic.example").await;
    let refused = h
        .call(
            "POST",
            &path,
            Some(&d),
            Some(json!({"email": "has-account@clinic.example", "kind": "staff", "role_id": "front_desk", "primary_location_id": loc,
                "first_name": "H", "last_name": "A", "temporary_password": "Temporary-Pass-1"})),
        )
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.body["errors"][0]["field"], "temporary_password");
}

// R10: registering needs the terms accepted, and an email with an account
// must sign in instead.
#[tokio::test]
async fn register_rules() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    h.invite(&d, &pid, "reg@clinic.example").await;
    let token = h.last_invite_token();
    let path = format!("/invitations/{token}/register");
    let no_terms = h
        .call(
            "POST",
            &path,
            None,
            Some(
                json!({"first_name": "R", "last_name": "G", "password": "a long enough secret", "accept_terms": false}),
            ),
        )
        .await;
    assert_eq!(no_terms.status, 422);
    assert_eq!(no_terms.body["errors"][0]["field"], "accept_terms");
    h.signup("reg@clinic.example").await;
    let taken = h
        .call(
            "POST",
            &path,
            None,
            Some(
                json!({"first_name": "R", "last_name": "G", "password": "a long enough secret", "accept_terms": true}),
            ),
        )
        .await;
    assert_eq!((taken.status, s(&taken.body["code"])), (409, "email_taken".into()));
    let preview = h.call("GET", &format!("/invitations/{token}"), None, None).await;
    assert_eq!(preview.body["account_exists"], true);
    assert_eq!(h.call("GET", "/invitations/not-a-real-token", None, None).await.status, 404);
}

// R11: declined invitations stay visible to the practice as declined.
#[tokio::test]
async fn decline_from_my_list() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let iid = s(&h.invite(&d, &pid, "no@clinic.example").await.body["id"]);
    let (_, invitee) = h.signup("no@clinic.example").await;
    h.verify("no@clinic.example").await;
    let r = h.call("POST", &format!("/me/invitations/{iid}/decline"), Some(&invitee), None).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let listed = h.call("GET", &format!("/practices/{pid}/invitations?status=declined"), Some(&d), None).await;
    assert_eq!(items(&listed.body).len(), 1);
    assert!(h.events().iter().any(|e| e["detail_type"] == "InvitationDeclined"));
    let (_, stranger) = h.signup("stranger@clinic.example").await;
    h.verify("stranger@clinic.example").await;
    assert_eq!(h.call("POST", &format!("/me/invitations/{iid}/decline"), Some(&stranger), None).await.status, 404);
    assert_eq!(h.invite(&d, &pid, "no@clinic.example").await.status, 201);
}

// R10, R11: signing up with someone else's address is not enough to see or
// take their invitation: the own-list path needs a verified address, and the
// link (which proves the mailbox) verifies it.
#[tokio::test]
async fn an_unverified_account_cannot_take_an_invitation_from_its_list() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let iid = s(&h.invite(&d, &pid, "newhire@clinic.example").await.body["id"]);
    let link = h.last_invite_token();
    let (_, squatter) = h.signup("newhire@clinic.example").await;
    assert_eq!(h.call("GET", "/me", Some(&squatter), None).await.body["pending_invitations"], 0);
    assert_eq!(h.call("GET", "/me/invitations", Some(&squatter), None).await.body["items"], json!([]));
    assert_eq!(h.call("POST", &format!("/me/invitations/{iid}/accept"), Some(&squatter), None).await.status, 404);
    assert_eq!(h.call("POST", &format!("/me/invitations/{iid}/decline"), Some(&squatter), None).await.status, 404);
    assert_eq!(h.call("GET", &format!("/practices/{pid}"), Some(&squatter), None).await.status, 404);
    // Whoever holds the mailed link owns the mailbox: accepting verifies it.
    let ok = h.call("POST", &format!("/invitations/{link}/accept"), Some(&squatter), None).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(h.call("GET", "/me", Some(&squatter), None).await.body["user"]["email_verified"], true);
}

// R15, R20: a director who joins by invitation is counted as a director.
#[tokio::test]
async fn invited_directors_are_counted() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let loc = h.first_location(&d, &pid).await;
    let r = h
        .call("POST", &format!("/practices/{pid}/invitations"), Some(&d),
            Some(json!({"email": "second@clinic.example", "kind": "staff", "role_id": "director", "primary_location_id": loc})))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let link = h.last_invite_token();
    let reg = h.register(&link, "S", "D", "a long enough secret").await;
    assert_eq!(reg.status, 201, "{}", reg.body);
    let temp = h
        .call("POST", &format!("/practices/{pid}/invitations"), Some(&d),
            Some(json!({"email": "third@clinic.example", "kind": "practitioner", "role_id": "director", "primary_location_id": loc,
                "accept_license_terms": true, "first_name": "T", "last_name": "D", "temporary_password": "Temporary-Pass-1", "mfa_required": true})))
        .await;
    assert_eq!(temp.status, 201, "{}", temp.body);
    // R5: the temporary-password path keeps what the invitation asked for.
    assert_eq!(temp.body["mfa_required"], true);
    let practice = h.stored_practice(&pid).await;
    assert_eq!(practice.directors, 3);
    assert_eq!((practice.seats.staff, practice.seats.practitioner), (2, 1));
}

// R41: sending invitations needs the inviter's email verified, or anyone
// could sign up, make a practice and mail any address in its name.
#[tokio::test]
async fn an_unverified_inviter_sends_nothing() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director("d@clinic.example", "Harbour").await;
    let role = s(&h.create_role(&d, &pid, "Office manager", &["users.manage", "users.view"]).await.body["id"]);
    let (_, m) = h.member(&pid, "m@clinic.example", &role, roster_domain::model::MemberStatus::Active).await;
    assert_eq!(h.invite(&d, &pid, "first@mail.example").await.status, 201);
    let iid = s(&h.call("GET", &format!("/practices/{pid}/invitations"), Some(&d), None).await.body["items"][0]["id"]);
    let sent = h.mails().len();
    let r = h.invite(&m, &pid, "victim@mail.example").await;
    assert_eq!((r.status, r.code()), (403, "email_unverified".into()), "{}", r.body);
    let r = h.call("POST", &format!("/practices/{pid}/invitations/{iid}/resend"), Some(&m), None).await;
    assert_eq!((r.status, r.code()), (403, "email_unverified".into()), "{}", r.body);
    assert_eq!(h.mails().len(), sent, "no mail went out");
    let listed = h.call("GET", &format!("/practices/{pid}/invitations"), Some(&d), None).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1), "{}", listed.body);
    // Once verified, the same manager invites (to a role they can grant, R36).
    h.verify("m@clinic.example").await;
    let loc = h.first_location(&d, &pid).await;
    let body = json!({"email": "victim@mail.example", "kind": "staff", "role_id": role, "primary_location_id": loc});
    let r = h.call("POST", &format!("/practices/{pid}/invitations"), Some(&m), Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
}

// R47: pending invitations are found by part of a name or the email, in any
// case, with the status filter and paging as without.
#[tokio::test]
async fn invitations_are_searched_by_name_or_email() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let loc = h.first_location(&d, &pid).await;
    for (email, first, last) in [
        ("amara.o@mail.example", "Amara", "Okafor"),
        ("bea@okafor-family.example", "Bea", "Lund"),
        ("cy@mail.example", "Cy", "Tran"),
    ] {
        let body = json!({"email": email, "kind": "staff", "role_id": "front_desk", "primary_location_id": loc,
            "first_name": first, "last_name": last});
        assert_eq!(h.call("POST", &format!("/practices/{pid}/invitations"), Some(&d), Some(body)).await.status, 201);
    }
    let found = |q: &'static str| {
        let path = format!("/practices/{pid}/invitations?{q}");
        let d = d.clone();
        let h = &h;
        async move {
            let r = h.call("GET", &path, Some(&d), None).await;
            assert_eq!(r.status, 200, "{}", r.body);
            (items(&r.body).iter().map(|i| s(&i["email"])).collect::<Vec<_>>(), r.body["next_cursor"].clone())
        }
    };
    assert_eq!(found("q=OKAF").await.0, ["amara.o@mail.example", "bea@okafor-family.example"]);
    assert_eq!(found("q=tran&status=pending").await.0, ["cy@mail.example"]);
    assert_eq!(found("q=tran&status=accepted").await.0, Vec::<String>::new());
    assert_eq!(found("q=nobody").await.0, Vec::<String>::new());
    let long = "x".repeat(201);
    for list in ["invitations", "members"] {
        let r = h.call("GET", &format!("/practices/{pid}/{list}?q={long}"), Some(&d), None).await;
        assert_eq!((r.status, r.field()), (422, "q".to_string()), "{list}: {}", r.body);
    }
    let (first, cursor) = found("q=okafor&limit=1").await;
    assert_eq!(first, ["amara.o@mail.example"]);
    let cursor = s(&cursor);
    let r =
        h.call("GET", &format!("/practices/{pid}/invitations?q=okafor&limit=1&cursor={cursor}"), Some(&d), None).await;
    assert_eq!(items(&r.body).iter().map(|i| s(&i["email"])).collect::<Vec<_>>(), ["bea@okafor-family.example"]);
}

// Issue 15 item 4: the invite reads its primary location by key before
// its one transaction, which checks it again: a location deactivated
// between the two refuses the commit with the answer the read would have
// given, and one never made refuses it too.
#[tokio::test]
async fn the_commit_checks_the_primary_location_is_still_active() {
    use roster_domain::error::{DomainError, PortError};
    use roster_domain::ids::{LocationId, PracticeId};
    use roster_domain::ports::{Tx, Write};
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let annex = h.call("POST", &format!("/practices/{pid}/locations"), Some(&d), Some(json!({"name": "Annex"}))).await;
    assert_eq!(annex.status, 201, "{}", annex.body);
    let annex = s(&annex.body["id"]);
    let practice_id: PracticeId = pid.parse().expect("practice id");
    let check = |location_id: LocationId| {
        let mut tx = Tx::new();
        tx.push(Write::CheckLocation { practice_id, location_id });
        tx
    };
    let annex_id: LocationId = annex.parse().expect("location id");
    h.app.store.transact(check(annex_id)).await.expect("an active location passes");

    let off =
        h.call("PATCH", &format!("/practices/{pid}/locations/{annex}"), Some(&d), Some(json!({"active": false}))).await;
    assert_eq!(off.status, 200, "{}", off.body);
    for location in [annex_id, LocationId::new()] {
        match h.app.store.transact(check(location)).await {
            Err(PortError::Conflict(DomainError::Validation(fields))) => {
                assert_eq!(fields.len(), 1);
                assert_eq!(
                    (fields[0].field.as_str(), fields[0].message.as_str()),
                    ("primary_location_id", "is not an active location")
                );
            }
            other => panic!("{location}: {other:?}"),
        }
    }
}
