//! Practice settings (R43): read by every member, changed with
//! practice.settings under a version of their own (R18), and the default
//! role an invitation naming none gets (R5, R36).

use crate::common::{s, with_action, Harness, Reply, DIRECTOR};
use roster_domain::model::MemberStatus;
use serde_json::{json, Value};

fn settings_path(pid: &str) -> String {
    format!("/practices/{pid}/settings")
}

fn body(practitioner: &str, staff: &str, onboarding_mails: bool) -> Value {
    json!({"default_roles": {"practitioner": practitioner, "staff": staff}, "onboarding_mails": onboarding_mails})
}

async fn put(h: &Harness, token: &str, pid: &str, if_match: Option<u64>, body: Value) -> Reply {
    let mut req = h.req("PUT", &settings_path(pid)).token(token).json(body);
    if let Some(v) = if_match {
        req = req.if_match(v);
    }
    req.send().await
}

async fn get(h: &Harness, token: &str, pid: &str) -> Reply {
    h.call("GET", &settings_path(pid), Some(token), None).await
}

/// Invite `email` with `kind` and no role, as `token` (accepting the
/// license terms a practitioner's seat needs, R45).
async fn invite_without_role(h: &Harness, token: &str, pid: &str, email: &str, kind: &str) -> Reply {
    let loc = h.first_location(token, pid).await;
    let body = json!({"email": email, "kind": kind, "primary_location_id": loc, "accept_license_terms": true});
    h.call("POST", &format!("/practices/{pid}/invitations"), Some(token), Some(body)).await
}

// R43, R18, R32, R33: the defaults until saved; a save with the version read
// makes the next; a stale one is 412 and changes nothing; a rename of the
// practice neither clobbers the settings nor stales their version.
#[tokio::test]
async fn settings_default_then_change_under_their_own_version() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (_, desk) = h.member(&pid, "desk@clinic.example", "front_desk", MemberStatus::Active).await;

    for token in [&d, &desk] {
        let r = get(&h, token, &pid).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            r.body,
            json!({"default_roles": {"practitioner": "clinician", "staff": "front_desk"},
            "onboarding_mails": true, "version": 1})
        );
        assert_eq!(r.headers["etag"], "\"1\"");
    }

    let saved = put(&h, &d, &pid, Some(1), body("supervisor", "administrative", false)).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(
        saved.body,
        json!({"default_roles": {"practitioner": "supervisor", "staff": "administrative"},
        "onboarding_mails": false, "version": 2})
    );
    assert_eq!(saved.headers["etag"], "\"2\"");

    // Stale: based on version 1, refused, nothing written.
    let stale = put(&h, &d, &pid, Some(1), body("clinician", "front_desk", true)).await;
    assert_eq!((stale.status, stale.code()), (412, "precondition_failed".into()), "{}", stale.body);

    // The practice's own version and the settings' are separate.
    let rename = h.req("PATCH", &format!("/practices/{pid}")).token(&d).json(json!({"name": "Harbour Health"}));
    let renamed = rename.if_match(1).send().await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    let now = get(&h, &desk, &pid).await;
    assert_eq!(now.body["default_roles"], json!({"practitioner": "supervisor", "staff": "administrative"}));
    assert_eq!((now.body["onboarding_mails"].clone(), now.body["version"].clone()), (json!(false), json!(2)));
    let again = put(&h, &d, &pid, Some(2), body("supervisor", "front_desk", false)).await;
    assert_eq!((again.status, again.body["version"].clone()), (200, json!(3)), "{}", again.body);

    // Saving what is stored changes nothing (no audit, no event, no version).
    let same = put(&h, &d, &pid, None, body("supervisor", "front_desk", false)).await;
    assert_eq!((same.status, same.body["version"].clone()), (200, json!(3)));

    let log = h.audit_log(&d, &pid).await;
    let audited = with_action(&log, "practice.settings_updated");
    assert_eq!(audited.len(), 2, "{log:?}");
    assert_eq!(audited[1]["before"]["default_roles"]["practitioner"], "clinician");
    assert_eq!(audited[1]["after"]["default_roles"]["practitioner"], "supervisor");
    assert_eq!(audited[0]["after"]["default_roles"]["staff"], "front_desk");
    assert_eq!(s(&audited[0]["actor"]["email"]), DIRECTOR);
    let events = h.events_of("PracticeSettingsChanged");
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(s(&events[0]["detail"]["practice_id"]), pid);
    assert_eq!(events[0]["detail"]["onboarding_mails"], false);
    assert_eq!(events[1]["detail"]["version"], 3);
}

// R43: only practice.settings changes them; users.manage is not enough.
#[tokio::test]
async fn changing_settings_needs_practice_settings() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let role = h.create_role(&d, &pid, "Manager", &["users.manage", "users.view"]).await;
    let (_, manager) = h.member(&pid, "manager@clinic.example", &s(&role.body["id"]), MemberStatus::Active).await;
    let (_, desk) = h.member(&pid, "desk@clinic.example", "front_desk", MemberStatus::Active).await;
    for token in [&manager, &desk] {
        let r = put(&h, token, &pid, Some(1), body("supervisor", "administrative", false)).await;
        assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    }
    let r = get(&h, &d, &pid).await;
    assert_eq!((r.body["version"].clone(), r.body["onboarding_mails"].clone()), (json!(1), json!(true)));
    assert!(h.events_of("PracticeSettingsChanged").is_empty());
}

// R43: a default role is a role of this practice, and never director; every
// field is required.
#[tokio::test]
async fn a_default_role_must_exist_and_never_be_director() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (_, other_d, other) = h.director("other@clinic.example", "Other Clinic").await;
    let foreign = h.create_role(&other_d, &other, "Theirs", &["inbox"]).await;

    let cases = [
        (body("director", "front_desk", true), "default_roles.practitioner"),
        (body("clinician", "director", true), "default_roles.staff"),
        (body("clinician", "receptionist", true), "default_roles.staff"),
        // Another practice's custom role is no role of this one.
        (body(&s(&foreign.body["id"]), "front_desk", true), "default_roles.practitioner"),
        (json!({"default_roles": {"practitioner": "clinician"}, "onboarding_mails": true}), "default_roles.staff"),
        (json!({"onboarding_mails": true}), "default_roles"),
        (json!({"default_roles": {"practitioner": "clinician", "staff": "front_desk"}}), "onboarding_mails"),
    ];
    for (b, field) in cases {
        let r = put(&h, &d, &pid, None, b.clone()).await;
        assert_eq!((r.status, r.code(), r.field()), (422, "validation_failed".into(), field.into()), "{b}: {}", r.body);
    }
    let director = put(&h, &d, &pid, None, body("director", "front_desk", true)).await;
    assert!(s(&director.body["errors"][0]["message"]).contains("director"), "{}", director.body);
    let r =
        put(&h, &d, &pid, None, json!({"default_roles": {"practitioner": 1, "staff": "x"}, "onboarding_mails": true}))
            .await;
    assert_eq!((r.status, r.code()), (400, "malformed_request".into()));
    assert_eq!(get(&h, &d, &pid).await.body["version"], 1);

    let own = h.create_role(&d, &pid, "Locum", &["calendar.view"]).await;
    let ok = put(&h, &d, &pid, None, body(&s(&own.body["id"]), "front_desk", true)).await;
    assert_eq!((ok.status, ok.body["default_roles"]["practitioner"].clone()), (200, own.body["id"].clone()));
}

// R43, R5, R36: an invitation naming no role offers the default of its kind,
// judged as if the inviter had named it; the temporary-password path too.
#[tokio::test]
async fn an_invitation_without_a_role_takes_the_default_of_its_kind() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;

    let staff = invite_without_role(&h, &d, &pid, "staff@mail.example", "staff").await;
    assert_eq!((staff.status, s(&staff.body["role_id"])), (201, "front_desk".into()), "{}", staff.body);
    let prac = invite_without_role(&h, &d, &pid, "prac@mail.example", "practitioner").await;
    assert_eq!((prac.status, s(&prac.body["role_id"])), (201, "clinician".into()), "{}", prac.body);

    let locum = h.create_role(&d, &pid, "Locum", &["calendar.view", "inbox"]).await;
    let locum_id = s(&locum.body["id"]);
    assert_eq!(put(&h, &d, &pid, None, body(&locum_id, "supervisor", true)).await.status, 200);
    let prac = invite_without_role(&h, &d, &pid, "prac2@mail.example", "practitioner").await;
    assert_eq!((prac.status, s(&prac.body["role_id"])), (201, locum_id.clone()), "{}", prac.body);
    let staff = invite_without_role(&h, &d, &pid, "staff2@mail.example", "staff").await;
    assert_eq!((staff.status, s(&staff.body["role_id"])), (201, "supervisor".into()), "{}", staff.body);
    // A role named is the role offered.
    let named = h.invite(&d, &pid, "named@mail.example").await;
    assert_eq!(s(&named.body["role_id"]), "front_desk");
    // The invitation holds the custom role, as one naming it would (R23):
    // one holder for being the practitioners' default, one for it.
    let role = h.app.store.role(pid.parse().expect("pid"), &locum_id).await.expect("read").expect("role");
    assert_eq!(role.holders, 2);

    // The temporary-password path: the member gets the default at once.
    let loc = h.first_location(&d, &pid).await;
    let temp = h
        .call(
            "POST",
            &format!("/practices/{pid}/invitations"),
            Some(&d),
            Some(json!({"email": "temp@mail.example", "kind": "staff", "primary_location_id": loc,
                "first_name": "Tia", "last_name": "Mo", "temporary_password": "Temporary-Pass-1"})),
        )
        .await;
    assert_eq!(
        (temp.status, s(&temp.body["role_id"]), s(&temp.body["status"])),
        (201, "supervisor".into(), "active".into())
    );

    // R36: a manager (users.manage, no supervisor keys) cannot offer the
    // supervisor default by leaving the role out.
    let manager_role = h.create_role(&d, &pid, "Manager", &["users.manage", "users.view"]).await;
    let (_, manager) =
        h.member(&pid, "manager@clinic.example", &s(&manager_role.body["id"]), MemberStatus::Active).await;
    h.verify("manager@clinic.example").await;
    let refused = invite_without_role(&h, &manager, &pid, "staff3@mail.example", "staff").await;
    assert_eq!((refused.status, refused.code()), (403, "forbidden".into()), "{}", refused.body);
    let listed = h.call("GET", &format!("/practices/{pid}/invitations?status=pending"), Some(&d), None).await;
    assert!(!listed.body.to_string().contains("staff3@mail.example"));

    // An unknown kind is refused by name, and takes no default.
    let bad = invite_without_role(&h, &d, &pid, "odd@mail.example", "intern").await;
    assert_eq!((bad.status, bad.field()), (422, "kind".into()), "{}", bad.body);
}

// R23, R43: a custom role that is a default is in use: it cannot be deleted
// until no default names it.
#[tokio::test]
async fn a_custom_default_role_cannot_be_deleted() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let role = h.create_role(&d, &pid, "Locum", &["calendar.view"]).await;
    let rid = s(&role.body["id"]);
    let path = format!("/practices/{pid}/roles/{rid}");
    let delete = || h.call("DELETE", &path, Some(&d), None);

    // Default for both kinds: held twice.
    assert_eq!(put(&h, &d, &pid, None, body(&rid, &rid, true)).await.status, 200);
    let r = delete().await;
    assert_eq!((r.status, r.code()), (409, "role_in_use".into()), "{}", r.body);
    // Still the staff default.
    assert_eq!(put(&h, &d, &pid, None, body("clinician", &rid, true)).await.status, 200);
    let r = delete().await;
    assert_eq!((r.status, r.code()), (409, "role_in_use".into()), "{}", r.body);
    assert_eq!(get(&h, &d, &pid).await.body["default_roles"]["staff"], json!(rid));

    // No default names it: it goes, and can no longer be made a default.
    assert_eq!(put(&h, &d, &pid, None, body("clinician", "front_desk", true)).await.status, 200);
    assert_eq!(delete().await.status, 204);
    let r = put(&h, &d, &pid, None, body(&rid, "front_desk", true)).await;
    assert_eq!((r.status, r.field()), (422, "default_roles.practitioner".into()), "{}", r.body);
}
