//! Access control and member management through the real handlers, against
//! DynamoDB Local: custom roles (R23), effective permissions (R1), access
//! changes (R14..R18), deactivation and reactivation (R19..R21), leaving (R15).

use crate::common::{items, s, Harness, DIRECTOR};
use serde_json::{json, Value};

/// The password members who join by invitation register with.
const JOIN_PASSWORD: &str = "a long enough secret";

fn perms(member: &Value) -> Vec<String> {
    member["permissions"].as_array().map(|a| a.iter().map(s).collect()).unwrap_or_default()
}

/// Invite `email` with `access` (merged over staff/front desk at the first
/// location) and register them from the link; returns (user id, session).
async fn join(h: &Harness, d: &str, pid: &str, email: &str, access: Value) -> (String, String) {
    let loc = h.first_location(d, pid).await;
    let mut body = json!({"email": email, "kind": "staff", "role_id": "front_desk", "primary_location_id": loc});
    if let (Some(b), Some(extra)) = (body.as_object_mut(), access.as_object()) {
        b.extend(extra.clone());
    }
    let r = h.call("POST", &format!("/practices/{pid}/invitations"), Some(d), Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let token = h.last_invite_token();
    let reg = h.register(&token, "Member", email, JOIN_PASSWORD).await;
    assert_eq!(reg.status, 201, "{}", reg.body);
    (s(&reg.body["user"]["id"]), s(&reg.body["session"]["token"]))
}

async fn me_in(h: &Harness, token: &str, pid: &str) -> Value {
    let me = h.call("GET", "/me", Some(token), None).await;
    assert_eq!(me.status, 200, "{}", me.body);
    me.body["memberships"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["practice_id"] == pid)
        .cloned()
        .unwrap_or(Value::Null)
}

fn detail_types(h: &Harness) -> Vec<String> {
    h.events().iter().map(|e| s(&e["detail_type"])).collect()
}

async fn audit_actions(h: &Harness, pid: &str) -> Vec<String> {
    h.partition(&format!("AUDIT#PRACTICE#{pid}"))
        .await
        .iter()
        .filter_map(|i| i.get("action").and_then(|a| a.as_s().ok()).cloned())
        .collect()
}

// R23, R1: custom roles are created, renamed and re-permissioned; names are
// unique in a practice (built-in names included); built-ins are read-only.
#[tokio::test]
async fn custom_roles_have_unique_names_and_built_ins_are_read_only() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let r = h.create_role(&d, &pid, "Office  manager", &["users.view", "users.manage", "calendar.view"]).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["name"], "Office manager");
    assert_eq!(r.body["built_in"], false);
    assert_eq!(r.body["version"], 1);
    assert_eq!(r.body["permissions"], json!(["calendar.view", "users.manage", "users.view"]));
    let rid = s(&r.body["id"]);

    for taken in ["office MANAGER", "Director", "front_desk"] {
        let dup = h.create_role(&d, &pid, taken, &[]).await;
        assert_eq!(dup.status, 422, "{taken}: {}", dup.body);
        assert_eq!(dup.body["errors"][0]["field"], "name");
    }
    let bad = h.create_role(&d, &pid, "Odd", &["made.up"]).await;
    assert_eq!((bad.status, s(&bad.body["errors"][0]["field"])), (422, "permissions".into()));

    let list = h.call("GET", &format!("/practices/{pid}/roles"), Some(&d), None).await;
    assert_eq!(items(&list.body).len(), 7);
    assert!(items(&list.body).iter().any(|r| r["id"] == rid.as_str() && r["built_in"] == false));

    // Rename frees the old name; a stale If-Match is 412 (R18).
    let path = format!("/practices/{pid}/roles/{rid}");
    let renamed = h.call("PATCH", &path, Some(&d), Some(json!({"name": "Practice manager"}))).await;
    assert_eq!((renamed.status, renamed.body["version"].clone()), (200, json!(2)), "{}", renamed.body);
    let again = h.create_role(&d, &pid, "Office manager", &[]).await;
    assert_eq!(again.status, 201, "{}", again.body);
    let clash = h.call("PATCH", &path, Some(&d), Some(json!({"name": "office manager"}))).await;
    assert_eq!(clash.status, 422, "{}", clash.body);
    let stale = h.req("PATCH", &path).token(&d).if_match(1).json(json!({"permissions": []})).send().await;
    assert_eq!(stale.status, 412);

    // Built-ins keep their names and cannot be deleted, the director's is
    // read-only (R23); unknown roles are not found.
    let builtin =
        h.call("PATCH", &format!("/practices/{pid}/roles/clinician"), Some(&d), Some(json!({"name": "X"}))).await;
    assert_eq!((builtin.status, builtin.field()), (422, "name".into()), "{}", builtin.body);
    let director =
        h.call("PATCH", &format!("/practices/{pid}/roles/director"), Some(&d), Some(json!({"permissions": []}))).await;
    assert_eq!((director.status, s(&director.body["code"])), (403, "forbidden".into()));
    assert_eq!(h.call("DELETE", &format!("/practices/{pid}/roles/clinician"), Some(&d), None).await.status, 403);
    assert_eq!(h.call("DELETE", &format!("/practices/{pid}/roles/director"), Some(&d), None).await.status, 403);
    let unknown = uuid::Uuid::now_v7();
    assert_eq!(h.call("DELETE", &format!("/practices/{pid}/roles/{unknown}"), Some(&d), None).await.status, 404);
    let long = "r".repeat(2000);
    assert_eq!(h.call("DELETE", &format!("/practices/{pid}/roles/{long}"), Some(&d), None).await.status, 404);

    // practice.settings only.
    let (_, fd) = join(&h, &d, &pid, "desk@clinic.example", json!({})).await;
    assert_eq!(h.create_role(&fd, &pid, "Mine", &[]).await.status, 403);

    assert!(audit_actions(&h, &pid).await.contains(&"role.created".to_string()));
    assert!(detail_types(&h).contains(&"RoleUpdated".to_string()));
}

// R23: a role held by a member or a pending invitation cannot be deleted;
// once nobody holds it, it can. R19: reactivating a member whose role is gone
// needs a role.
#[tokio::test]
async fn a_role_in_use_cannot_be_deleted() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let rid = s(&h.create_role(&d, &pid, "Scheduler", &["calendar.view", "calendar.create"]).await.body["id"]);
    let path = format!("/practices/{pid}/roles/{rid}");

    // A pending invitation holds it.
    let loc = h.first_location(&d, &pid).await;
    let inv = h
        .call(
            "POST",
            &format!("/practices/{pid}/invitations"),
            Some(&d),
            Some(json!({"email": "p@clinic.example", "kind": "staff", "role_id": rid, "primary_location_id": loc})),
        )
        .await;
    assert_eq!(inv.status, 201, "{}", inv.body);
    let del = h.call("DELETE", &path, Some(&d), None).await;
    assert_eq!((del.status, s(&del.body["code"])), (409, "role_in_use".into()));
    assert_eq!(
        h.call("DELETE", &format!("/practices/{pid}/invitations/{}", s(&inv.body["id"])), Some(&d), None).await.status,
        204
    );

    // A member holds it.
    let (uid, member) = join(&h, &d, &pid, "m@clinic.example", json!({"role_id": rid})).await;
    assert_eq!(me_in(&h, &member, &pid).await["permissions"], json!(["calendar.create", "calendar.view"]));
    assert_eq!(h.call("DELETE", &path, Some(&d), None).await.status, 409);

    // Deactivated members do not hold it (R19 keeps their snapshot).
    let off = h.call("POST", &format!("/practices/{pid}/members/{uid}/deactivate"), Some(&d), None).await;
    assert_eq!(off.status, 200, "{}", off.body);
    assert_eq!(h.call("DELETE", &path, Some(&d), None).await.status, 204);
    assert!(detail_types(&h).contains(&"RoleDeleted".to_string()));

    let back = format!("/practices/{pid}/members/{uid}/reactivate");
    let r = h.call("POST", &back, Some(&d), None).await;
    assert_eq!((r.status, s(&r.body["code"])), (422, "role_required".into()), "{}", r.body);
    let r = h.call("POST", &back, Some(&d), Some(json!({"role_id": "clinician"}))).await;
    assert_eq!((r.status, s(&r.body["role_id"])), (200, "clinician".into()), "{}", r.body);
}

// R1: a change of a role's permissions, or of a member's role, applies to
// the member's very next request, and /me shows the effective set.
#[tokio::test]
async fn permission_changes_apply_on_the_next_request() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let rid = s(&h.create_role(&d, &pid, "Reception", &["calendar.view"]).await.body["id"]);
    let (uid, member) = join(&h, &d, &pid, "m@clinic.example", json!({"role_id": rid})).await;
    let members = format!("/practices/{pid}/members");
    assert_eq!(h.call("GET", &members, Some(&member), None).await.status, 403);

    let r = h
        .call("PATCH", &format!("/practices/{pid}/roles/{rid}"), Some(&d), Some(json!({"permissions": ["users.view"]})))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(h.call("GET", &members, Some(&member), None).await.status, 200);
    assert_eq!(me_in(&h, &member, &pid).await["permissions"], json!(["users.view"]));

    let r = h.patch_member(&d, &pid, &uid, None, json!({"role_id": "clinician"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(h.call("GET", &members, Some(&member), None).await.status, 403);
    assert!(perms(&me_in(&h, &member, &pid).await).contains(&"clinical.charts".to_string()));
}

// R1, R14: billing access off takes every billing.* key away; overrides add
// and remove keys; the event carries before and after.
#[tokio::test]
async fn billing_access_and_overrides_shape_the_permissions() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (uid, member) = join(&h, &d, &pid, "b@clinic.example", json!({"role_id": "billing_manager"})).await;
    assert!(perms(&me_in(&h, &member, &pid).await).iter().any(|k| k.starts_with("billing.")));

    let r = h.patch_member(&d, &pid, &uid, None, json!({"access_billing": false})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["access_billing"], false);
    assert!(!perms(&r.body).iter().any(|k| k.starts_with("billing.")));
    let mine = perms(&me_in(&h, &member, &pid).await);
    assert_eq!(mine, vec!["contacts", "inbox", "patients"]);

    let r =
        h.patch_member(&d, &pid, &uid, None, json!({"overrides": {"grant": ["referrals"], "revoke": ["inbox"]}})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(perms(&r.body), vec!["contacts", "patients", "referrals"]);
    let bad = h.patch_member(&d, &pid, &uid, None, json!({"overrides": {"grant": ["nope"]}})).await;
    assert_eq!(bad.status, 422, "{}", bad.body);

    let changed: Vec<Value> = h.events().into_iter().filter(|e| e["detail_type"] == "MemberAccessChanged").collect();
    assert_eq!(changed.len(), 2);
    assert_eq!(changed[0]["detail"]["before"]["access_billing"], true);
    assert_eq!(changed[0]["detail"]["after"]["access_billing"], false);
    assert!(audit_actions(&h, &pid).await.contains(&"member.access_changed".to_string()));
}

// R18: If-Match carries the version; a stale one is 412 and changes nothing.
#[tokio::test]
async fn a_stale_version_is_412() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (uid, _) = join(&h, &d, &pid, "m@clinic.example", json!({})).await;
    let path = format!("/practices/{pid}/members/{uid}");
    let send = |v: u64, body: Value| h.patch_member(&d, &pid, &uid, Some(v), body);
    let r = send(1, json!({"mfa_required": true})).await;
    assert_eq!((r.status, r.body["version"].clone()), (200, json!(2)), "{}", r.body);
    assert_eq!(r.headers.get("etag").and_then(|v| v.to_str().ok()), Some("\"2\""));
    let r = send(1, json!({"access_billing": false})).await;
    assert_eq!((r.status, s(&r.body["code"])), (412, "precondition_failed".into()));
    let now = h.call("GET", &path, Some(&d), None).await;
    assert_eq!((now.body["access_billing"].clone(), now.body["version"].clone()), (json!(true), json!(2)));
}

// R16, R17, R20: practitioner-only fields, locations, and the seat moving
// with the kind.
#[tokio::test]
async fn practitioner_fields_locations_and_seats() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (uid, _) = join(&h, &d, &pid, "m@clinic.example", json!({})).await;

    let r = h.patch_member(&d, &pid, &uid, None, json!({"show_on_calendar": true})).await;
    assert_eq!((r.status, r.field()), (422, "show_on_calendar".into()));
    let r = h.patch_member(&d, &pid, &uid, None, json!({"practitioner": {"capacity": 3}})).await;
    assert_eq!((r.status, r.field()), (422, "practitioner.capacity".into()));
    let r = h
        .patch_member(&d, &pid, &uid, None, json!({"kind": "practitioner", "practitioner": {"npi": "1234567890"}}))
        .await;
    assert_eq!((r.status, r.field()), (422, "practitioner.npi".into()), "{}", r.body);
    let r = h
        .patch_member(
            &d,
            &pid,
            &uid,
            None,
            json!({"kind": "practitioner", "practitioner": {"scheduling_step_minutes": 7}}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);

    // R17: a second location, then access lists.
    let l2 = h.call("POST", &format!("/practices/{pid}/locations"), Some(&d), Some(json!({"name": "Annex"}))).await;
    let l2 = s(&l2.body["id"]);
    let r = h.patch_member(&d, &pid, &uid, None, json!({"location_access": [l2]})).await;
    assert_eq!((r.status, r.field()), (422, "location_access".into()));
    let foreign = uuid::Uuid::now_v7().to_string();
    let loc = h.first_location(&d, &pid).await;
    let r = h.patch_member(&d, &pid, &uid, None, json!({"location_access": [loc, foreign]})).await;
    assert_eq!((r.status, r.field()), (422, "location_access".into()));
    let r = h.patch_member(&d, &pid, &uid, None, json!({"primary_location_id": l2, "location_access": [l2]})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["location_access"], json!([l2]));

    let before = h.stored_practice(&pid).await.seats;
    let r = h.patch_member(&d, &pid, &uid, None, json!({"kind": "practitioner", "role_id": "clinician",
            "accept_license_terms": true, "practitioner": {"npi": "1234567893", "taxonomy_code": "207Q00000X", "capacity": 4, "scheduling_step_minutes": 15}}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["kind"].clone(), r.body["show_on_calendar"].clone()), (json!("practitioner"), json!(true)));
    let after = h.stored_practice(&pid).await.seats;
    assert_eq!((after.staff, after.practitioner), (before.staff - 1, before.practitioner + 1));
    let types = detail_types(&h);
    assert!(types.ends_with(&["MemberAccessChanged".into(), "SeatRemoved".into(), "SeatAdded".into()]), "{types:?}");

    // Back to staff drops the practitioner-only fields.
    let r = h.patch_member(&d, &pid, &uid, None, json!({"kind": "staff"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["practitioner"].clone(), r.body["show_on_calendar"].clone()), (Value::Null, json!(false)));
}

// R15, R1: the last director stays; a director takes no overrides; only a
// director makes or changes a director, and nobody grants what they lack.
#[tokio::test]
async fn director_rules_and_no_escalation() {
    let h = Harness::new().await;
    let (duid, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let r = h.patch_member(&d, &pid, &duid, None, json!({"role_id": "clinician"})).await;
    assert_eq!((r.status, s(&r.body["code"])), (409, "last_director".into()), "{}", r.body);
    let r = h.patch_member(&d, &pid, &duid, None, json!({"overrides": {"revoke": ["inbox"]}})).await;
    assert_eq!((r.status, s(&r.body["errors"][0]["field"])), (422, "overrides".into()));
    let off = h.call("POST", &format!("/practices/{pid}/members/{duid}/deactivate"), Some(&d), None).await;
    assert_eq!(off.status, 409);

    let rid = s(&h.create_role(&d, &pid, "Manager", &["users.manage", "users.view", "calendar.view"]).await.body["id"]);
    let (muid, manager) = join(&h, &d, &pid, "manager@clinic.example", json!({"role_id": rid})).await;
    let (uid, _) = join(&h, &d, &pid, "staff@clinic.example", json!({})).await;
    // Within the manager's own permissions: fine.
    let r = h.patch_member(&manager, &pid, &uid, None, json!({"overrides": {"grant": ["calendar.view"]}})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    for body in [
        json!({"role_id": "director"}),
        json!({"role_id": "clinician"}),
        json!({"overrides": {"grant": ["audit.view"]}}),
    ] {
        let r = h.patch_member(&manager, &pid, &uid, None, body.clone()).await;
        assert_eq!((r.status, s(&r.body["code"])), (403, "forbidden".into()), "{body}: {}", r.body);
    }
    // Nor for themselves, nor on a director.
    let r = h.patch_member(&manager, &pid, &muid, None, json!({"overrides": {"grant": ["practice.settings"]}})).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(h.patch_member(&manager, &pid, &duid, None, json!({"access_billing": false})).await.status, 403);
    let r = h.call("POST", &format!("/practices/{pid}/members/{duid}/deactivate"), Some(&manager), None).await;
    assert_eq!(r.status, 403);

    // With a second director, one may step down.
    let (d2, _) = join(&h, &d, &pid, "second@clinic.example", json!({"role_id": "director"})).await;
    assert_eq!(h.stored_practice(&pid).await.directors, 2);
    let r = h.patch_member(&d, &pid, &d2, None, json!({"role_id": "supervisor"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(h.stored_practice(&pid).await.directors, 1);
}

// R19, R20, R29, R2: deactivation ends access to that practice at the next
// request, keeps the snapshot, frees the seat; other practices still work;
// reactivation restores everything.
#[tokio::test]
async fn deactivate_then_reactivate_restores_the_snapshot() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (uid, member) = join(&h, &d, &pid, "locum@clinic.example", json!({"role_id": "administrative"})).await;
    let other = h.practice(&member, "Hill Practice").await;
    assert_eq!(h.call("GET", &format!("/practices/{pid}"), Some(&member), None).await.status, 200);
    assert_eq!(
        h.patch_member(&d, &pid, &uid, None, json!({"access_billing": false, "mfa_required": true})).await.status,
        200
    );
    let seats = h.stored_practice(&pid).await.seats;

    let r = h.call("POST", &format!("/practices/{pid}/members/{uid}/deactivate"), Some(&d), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["status"].clone(), r.body["permissions"].clone()), (json!("deactivated"), json!([])));
    assert!(r.body["deactivated_at"].is_string());
    assert_eq!(h.call("GET", &format!("/practices/{pid}"), Some(&member), None).await.status, 404);
    assert_eq!(h.call("GET", &format!("/practices/{other}"), Some(&member), None).await.status, 200);
    let me = h.call("GET", "/me", Some(&member), None).await;
    assert_eq!(me.body["memberships"].as_array().map(Vec::len), Some(1));
    assert_eq!(h.stored_practice(&pid).await.seats.staff, seats.staff - 1);
    let deactivated = h.call("GET", &format!("/practices/{pid}/members?status=deactivated"), Some(&d), None).await;
    assert_eq!(items(&deactivated.body).len(), 1);
    // R6: still a member, so not invitable.
    let again = h.invite(&d, &pid, "locum@clinic.example").await;
    assert_eq!(s(&again.body["code"]), "member_deactivated");
    // Deactivating again changes nothing.
    let twice = h.call("POST", &format!("/practices/{pid}/members/{uid}/deactivate"), Some(&d), None).await;
    assert_eq!((twice.status, twice.body["version"].clone()), (200, r.body["version"].clone()));
    assert_eq!(h.stored_practice(&pid).await.seats.staff, seats.staff - 1);

    let r = h.call("POST", &format!("/practices/{pid}/members/{uid}/reactivate"), Some(&d), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["role_id"], "administrative");
    assert_eq!((r.body["access_billing"].clone(), r.body["mfa_required"].clone()), (json!(false), json!(true)));
    assert_eq!(r.body["status"], "active");
    assert_eq!(r.body["deactivated_at"], Value::Null);
    assert_eq!(h.stored_practice(&pid).await.seats.staff, seats.staff);
    // Back in the practice, whose restored requirement of a second factor
    // (R28) now stands between the member and everything else.
    let back = h.call("GET", &format!("/practices/{pid}"), Some(&member), None).await;
    assert_eq!((back.status, s(&back.body["code"])), (403, "mfa_required".to_string()));

    let types = detail_types(&h);
    for t in ["MemberDeactivated", "SeatRemoved", "MemberReactivated", "SeatAdded"] {
        assert!(types.contains(&t.to_string()), "{t} in {types:?}");
    }
    let actions = audit_actions(&h, &pid).await;
    assert!(actions.contains(&"member.deactivated".to_string()) && actions.contains(&"member.reactivated".to_string()));
}

// R20, R21: reactivating a practitioner needs the license terms; bulk
// reactivation answers per id.
#[tokio::test]
async fn reactivation_license_terms_and_bulk() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let prac = json!({"kind": "practitioner", "role_id": "clinician", "practitioner": {"npi": "1234567893"},
        "accept_license_terms": true});
    let (p, _) = join(&h, &d, &pid, "doc@clinic.example", prac).await;
    let (a, _) = join(&h, &d, &pid, "a@clinic.example", json!({})).await;
    let (b, _) = join(&h, &d, &pid, "b@clinic.example", json!({})).await;
    for uid in [&p, &a, &b] {
        let r = h.call("POST", &format!("/practices/{pid}/members/{uid}/deactivate"), Some(&d), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let seats = h.stored_practice(&pid).await.seats;
    let r = h.call("POST", &format!("/practices/{pid}/members/{p}/reactivate"), Some(&d), None).await;
    assert_eq!((r.status, s(&r.body["code"])), (422, "license_terms_required".into()));

    let unknown = uuid::Uuid::now_v7().to_string();
    let bulk = format!("/practices/{pid}/members/reactivate");
    let r = h.call("POST", &bulk, Some(&d), Some(json!({"user_ids": [a, p, unknown, "garbage", b, a]}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let results = r.body["results"].as_array().cloned().unwrap_or_default();
    let got: Vec<(String, u64, String)> =
        results.iter().map(|x| (s(&x["user_id"]), x["status"].as_u64().unwrap_or(0), s(&x["error"]["code"]))).collect();
    assert_eq!(
        got,
        vec![
            (a.clone(), 200, String::new()),
            (p.clone(), 422, "license_terms_required".into()),
            (unknown, 404, "not_found".into()),
            ("garbage".into(), 404, "not_found".into()),
            (b.clone(), 200, String::new()),
        ]
    );
    assert_eq!(results[0]["member"]["status"], "active");
    let after = h.stored_practice(&pid).await.seats;
    assert_eq!((after.staff, after.practitioner), (seats.staff + 2, seats.practitioner));

    let r = h.call("POST", &bulk, Some(&d), Some(json!({"user_ids": [p], "accept_license_terms": true}))).await;
    assert_eq!(r.body["results"][0]["status"], 200, "{}", r.body);
    assert_eq!(h.stored_practice(&pid).await.seats.practitioner, seats.practitioner + 1);

    let many: Vec<String> = (0..101).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    assert_eq!(h.call("POST", &bulk, Some(&d), Some(json!({"user_ids": many}))).await.status, 422);
    assert_eq!(h.call("POST", &bulk, Some(&d), Some(json!({"user_ids": []}))).await.status, 422);
}

// R15, R19: a member leaves (and loses access at once); the last director
// cannot.
#[tokio::test]
async fn leaving_a_practice() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let r = h.call("POST", &format!("/practices/{pid}/leave"), Some(&d), None).await;
    assert_eq!((r.status, s(&r.body["code"])), (409, "last_director".into()));
    let (uid, member) = join(&h, &d, &pid, "m@clinic.example", json!({})).await;
    let staff = h.stored_practice(&pid).await.seats.staff;
    assert_eq!(h.call("POST", &format!("/practices/{pid}/leave"), Some(&member), None).await.status, 204);
    assert_eq!(h.call("GET", &format!("/practices/{pid}"), Some(&member), None).await.status, 404);
    assert_eq!(h.stored_practice(&pid).await.seats.staff, staff - 1);
    let m = h.call("GET", &format!("/practices/{pid}/members/{uid}"), Some(&d), None).await;
    assert_eq!(m.body["status"], "deactivated");
    assert!(audit_actions(&h, &pid).await.contains(&"member.left".to_string()));
}

// R14, R22: users.manage edits a member's name and title; the members
// search finds the new name at once.
#[tokio::test]
async fn details_change_and_search_follows() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (uid, member) = join(&h, &d, &pid, "m@clinic.example", json!({})).await;
    let path = format!("/practices/{pid}/members/{uid}/details");
    let r = h.call("PATCH", &path, Some(&member), Some(json!({"first_name": "Me"}))).await;
    assert_eq!(r.status, 403);
    let r = h.call("PATCH", &path, Some(&d), Some(json!({"first_name": "Quentin", "title": "Dr"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((s(&r.body["first_name"]), s(&r.body["title"])), ("Quentin".into(), "Dr".into()));
    let r = h.call("PATCH", &path, Some(&d), Some(json!({"last_name": "  "}))).await;
    assert_eq!(r.status, 422);

    let found = h.call("GET", &format!("/practices/{pid}/members?q=QUENT"), Some(&d), None).await;
    assert_eq!(items(&found.body).iter().map(|m| s(&m["user_id"])).collect::<Vec<_>>(), vec![uid.clone()]);
    let by_mail = h.call("GET", &format!("/practices/{pid}/members?q=m@clinic"), Some(&d), None).await;
    assert_eq!(items(&by_mail.body).len(), 1);
    // PATCH /me keeps the search in step too.
    assert_eq!(h.call("PATCH", "/me", Some(&member), Some(json!({"last_name": "Zebedee"}))).await.status, 200);
    let found = h.call("GET", &format!("/practices/{pid}/members?q=zebedee"), Some(&d), None).await;
    assert_eq!(items(&found.body).len(), 1);
    assert!(audit_actions(&h, &pid).await.contains(&"member.details_changed".to_string()));

    // R2: someone other practices know too is renamed only by themselves.
    h.practice(&member, "Own practice").await;
    let r = h.call("PATCH", &path, Some(&d), Some(json!({"first_name": "Other"}))).await;
    assert_eq!(r.status, 403, "{}", r.body);
}

// R17: a member whose primary location was deactivated since can still have
// their access changed; only a new primary must be active.
#[tokio::test]
async fn access_changes_survive_a_deactivated_primary_location() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let annex = h.call("POST", &format!("/practices/{pid}/locations"), Some(&d), Some(json!({"name": "Annex"}))).await;
    let annex = s(&annex.body["id"]);
    let (uid, _) = join(&h, &d, &pid, "m@clinic.example", json!({"primary_location_id": annex})).await;
    let off =
        h.call("PATCH", &format!("/practices/{pid}/locations/{annex}"), Some(&d), Some(json!({"active": false}))).await;
    assert_eq!(off.status, 200, "{}", off.body);
    let r = h.patch_member(&d, &pid, &uid, None, json!({"role_id": "administrative"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(s(&r.body["primary_location_id"]), annex);
    let other = h.call("POST", &format!("/practices/{pid}/locations"), Some(&d), Some(json!({"name": "Gone"}))).await;
    let other = s(&other.body["id"]);
    h.call("PATCH", &format!("/practices/{pid}/locations/{other}"), Some(&d), Some(json!({"active": false}))).await;
    let r = h.patch_member(&d, &pid, &uid, None, json!({"primary_location_id": other})).await;
    assert_eq!((r.status, s(&r.body["errors"][0]["field"])), (422, "primary_location_id".into()));
}

// R32: the audit log lists every change newest first, with actor, target,
// before and after, page by page without gaps or repeats; audit.view only.
#[tokio::test]
async fn the_audit_log_is_newest_first_and_paged() {
    let h = Harness::new().await;
    let (duid, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (uid, member) = join(&h, &d, &pid, "m@clinic.example", json!({})).await;
    assert_eq!(h.patch_member(&d, &pid, &uid, None, json!({"access_billing": false})).await.status, 200);
    assert_eq!(h.call("POST", &format!("/practices/{pid}/members/{uid}/deactivate"), Some(&d), None).await.status, 200);
    let all = audit_actions(&h, &pid).await.len();
    assert!(all >= 7, "{all}");

    let mut seen: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page = h.call("GET", &format!("/practices/{pid}/audit?limit=3{q}"), Some(&d), None).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(items(&page.body).len() <= 3);
        seen.extend(items(&page.body));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let ids: Vec<String> = seen.iter().map(|e| s(&e["id"])).collect();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!((ids.len(), unique.len()), (all, all));
    let mut sorted = ids.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(ids, sorted, "newest first");
    assert_eq!(s(&seen[0]["action"]), "member.deactivated");
    let change = seen.iter().find(|e| e["action"] == "member.access_changed").cloned().unwrap_or_default();
    assert_eq!(
        (change["before"]["access_billing"].clone(), change["after"]["access_billing"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!((s(&change["actor"]["user_id"]), change["actor"]["support"].clone()), (duid, json!(false)));
    assert_eq!((s(&change["target"]["type"]), s(&change["target"]["id"])), ("user".into(), uid));
    assert_eq!(seen.last().map(|e| s(&e["action"])).as_deref(), Some("practice.created"));

    let (_, desk) = join(&h, &d, &pid, "desk@clinic.example", json!({})).await;
    assert_eq!(h.call("GET", &format!("/practices/{pid}/audit"), Some(&desk), None).await.status, 403);
    assert_eq!(h.call("GET", &format!("/practices/{pid}/audit"), Some(&member), None).await.status, 404);
}
