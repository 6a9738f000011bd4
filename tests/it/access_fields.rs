//! Access fields a practice sets and reads back (R5, R16, issue 12): the
//! billing and calendar boxes unticked on an invitation and changed later,
//! the practitioner profile as written, and a director's billing access.

use crate::common::*;
use serde_json::{json, Value};

/// The fields of `resource` named by `fields`, as one JSON object.
fn pick(resource: &Value, fields: &[&str]) -> Value {
    Value::Object(fields.iter().map(|f| (f.to_string(), resource[*f].clone())).collect())
}

// An invitation with both boxes unticked and a full profile: the
// invitation, the member it becomes, and later changes all read back what
// was written.
#[tokio::test]
async fn unticked_boxes_and_the_profile_read_back_from_invitation_to_member() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let loc = h.first_location(&d, &pid).await;
    let profile = json!({"profession": "Physiotherapist", "registration_number": "PHY0001234", "npi": "1234567893",
        "taxonomy_code": "225100000X", "bio": "Sports injuries and rehabilitation.", "capacity": 6,
        "scheduling_step_minutes": 15});
    let body = json!({"email": "pat@mail.example", "kind": "practitioner", "role_id": "clinician",
        "accept_license_terms": true, "primary_location_id": loc, "access_billing": false, "show_on_calendar": false, "practitioner": profile});
    let r = h.call("POST", &format!("/practices/{pid}/invitations"), Some(&d), Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let boxes = ["access_billing", "show_on_calendar"];
    assert_eq!(pick(&r.body, &boxes), json!({"access_billing": false, "show_on_calendar": false}));
    assert_eq!(r.body["practitioner"], profile);

    let token = h.invite_token_for("pat@mail.example");
    let reg = h.register(&token, "Pat", "Lee", PASSWORD).await;
    assert_eq!(reg.status, 201, "{}", reg.body);
    let uid = s(&reg.body["user"]["id"]);
    let member = h.get_member(&d, &pid, &uid).await;
    assert_eq!(pick(&member, &boxes), json!({"access_billing": false, "show_on_calendar": false}));
    assert_eq!(member["practitioner"], profile);

    let r = h.patch_member(&d, &pid, &uid, None, json!({"access_billing": true, "show_on_calendar": true})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        pick(&h.get_member(&d, &pid, &uid).await, &boxes),
        json!({"access_billing": true, "show_on_calendar": true})
    );
    let r = h.patch_member(&d, &pid, &uid, None, json!({"access_billing": false, "show_on_calendar": false})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let member = h.get_member(&d, &pid, &uid).await;
    assert_eq!(pick(&member, &boxes), json!({"access_billing": false, "show_on_calendar": false}));
    assert_eq!(member["practitioner"], profile, "a change of the boxes keeps the profile");

    let changed = json!({"bio": "Now also hand therapy.", "registration_number": "PHY0009999"});
    let r = h.patch_member(&d, &pid, &uid, None, json!({"practitioner": changed})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let stored = &h.get_member(&d, &pid, &uid).await["practitioner"];
    assert_eq!(pick(stored, &["bio", "registration_number"]), changed);
}

// A director always has billing access: asked otherwise, 422 naming the
// field; a member without it who is made a director has it.
#[tokio::test]
async fn a_director_always_has_billing_access() {
    let h = Harness::new().await;
    let (duid, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let r = h.patch_member(&d, &pid, &duid, None, json!({"access_billing": false})).await;
    assert_eq!((r.status, r.field()), (422, "access_billing".to_string()), "{}", r.body);
    let loc = h.first_location(&d, &pid).await;
    let body = json!({"email": "co@mail.example", "kind": "staff", "role_id": "director", "primary_location_id": loc,
        "access_billing": false});
    let r = h.call("POST", &format!("/practices/{pid}/invitations"), Some(&d), Some(body)).await;
    assert_eq!((r.status, r.field()), (422, "access_billing".to_string()), "{}", r.body);

    let body = json!({"email": "bm@mail.example", "kind": "staff", "role_id": "billing_manager",
        "primary_location_id": loc, "access_billing": false});
    assert_eq!(h.call("POST", &format!("/practices/{pid}/invitations"), Some(&d), Some(body)).await.status, 201);
    let reg = h.register(&h.invite_token_for("bm@mail.example"), "Bo", "Ma", PASSWORD).await;
    let uid = s(&reg.body["user"]["id"]);
    let r = h.patch_member(&d, &pid, &uid, None, json!({"role_id": "director"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["access_billing"], true);
}

// R16 (Halaxy asks every user's profession): staff hold a profession and a
// bio; the practitioner-only fields are refused for staff, each named.
#[tokio::test]
async fn staff_hold_a_profession_and_a_bio() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let loc = h.first_location(&d, &pid).await;
    let profile = json!({"profession": "Practice manager", "bio": "Runs the front office."});
    let body = json!({"email": "sam@mail.example", "kind": "staff", "role_id": "front_desk",
        "primary_location_id": loc, "practitioner": profile});
    let r = h.call("POST", &format!("/practices/{pid}/invitations"), Some(&d), Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let reg = h.register(&h.invite_token_for("sam@mail.example"), "Sam", "Ko", PASSWORD).await;
    let uid = s(&reg.body["user"]["id"]);
    let member = h.get_member(&d, &pid, &uid).await;
    assert_eq!(pick(&member["practitioner"], &["profession", "bio"]), profile);

    let r = h
        .patch_member(&d, &pid, &uid, None, json!({"practitioner": {"profession": "Nurse", "npi": "1234567893"}}))
        .await;
    assert_eq!((r.status, r.field()), (422, "practitioner.npi".to_string()), "{}", r.body);
}
