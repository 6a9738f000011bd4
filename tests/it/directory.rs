//! The `directory` function through its real handler, against DynamoDB Local.

use crate::common::{s, Harness};
use roster_domain::model::MemberStatus;
use serde_json::json;

// Issue 2's acceptance: sign up, create a practice, and /me shows one
// membership as director with every permission (R1, R3).
#[tokio::test]
async fn creating_a_practice_makes_the_caller_its_director() {
    let h = Harness::new().await;
    let (uid, token) = h.signup("director@clinic.example").await;
    let r = h
        .call("POST", "/practices", Some(&token), Some(json!({"name": "Harbour Clinic", "location": {"name": "Main St", "address": "1 Main St", "time_zone": "Europe/Lisbon"}})))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["name"], "Harbour Clinic");
    assert_eq!(r.body["seats"], json!({"practitioner": 0, "staff": 1}));
    assert_eq!(r.body["version"], 1);
    assert_eq!(r.headers["etag"], "\"1\"");
    let pid = s(&r.body["id"]);

    let me = h.call("GET", "/me", Some(&token), None).await;
    let ms = me.body["memberships"].as_array().cloned().unwrap_or_default();
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0]["role_id"], "director");
    assert_eq!(ms[0]["practice_id"], pid);
    assert_eq!(ms[0]["practice_name"], "Harbour Clinic");
    assert_eq!(ms[0]["status"], "active");
    assert_eq!(ms[0]["location_access"], "all");
    let perms = h.call("GET", "/permissions", Some(&token), None).await;
    let every: Vec<_> = perms.body.as_array().map(|a| a.iter().map(|p| s(&p["key"])).collect()).unwrap_or_default();
    let mut every_sorted = every.clone();
    every_sorted.sort();
    assert_eq!(ms[0]["permissions"], json!(every_sorted));

    let locs = h.call("GET", &format!("/practices/{pid}/locations"), Some(&token), None).await;
    assert_eq!(locs.status, 200);
    assert_eq!(locs.body["items"][0]["name"], "Main St");
    assert_eq!(locs.body["items"][0]["time_zone"], "Europe/Lisbon");
    assert_eq!(ms[0]["primary_location_id"], locs.body["items"][0]["id"]);

    let member = h.call("GET", &format!("/practices/{pid}/members/{uid}"), Some(&token), None).await;
    assert_eq!(member.status, 200);
    assert_eq!(member.body["email"], "director@clinic.example");

    // R32, R33: audited in the practice's log, events published.
    let audit = h.partition(&format!("AUDIT#PRACTICE#{pid}")).await;
    let actions: Vec<_> = audit.iter().filter_map(|i| i["action"].as_s().ok().cloned()).collect();
    for a in ["practice.created", "location.created", "member.joined"] {
        assert!(actions.contains(&a.to_string()), "{a} missing from {actions:?}");
    }
    let events: Vec<_> = h.events().iter().map(|e| s(&e["detail_type"])).collect();
    assert!(events.contains(&"PracticeCreated".to_string()) && events.contains(&"SeatAdded".to_string()), "{events:?}");
    // Delivered items leave the outbox (R33).
    assert!(h.app.store.pending_outbox(10).await.expect("outbox").is_empty());
}

// R2: a non-member gets exactly what a missing practice gets.
#[tokio::test]
async fn practices_are_isolated() {
    let h = Harness::new().await;
    let (_, a) = h.signup("a@one.example").await;
    let (_, b) = h.signup("b@two.example").await;
    let pa = h.practice(&a, "One").await;
    let pb = h.practice(&b, "Two").await;
    let missing = uuid::Uuid::now_v7().to_string();
    for path in ["", "/locations", "/roles", "/members", &format!("/members/{}", uuid::Uuid::now_v7())] {
        let theirs = h.call("GET", &format!("/practices/{pa}{path}"), Some(&b), None).await;
        let nowhere = h.call("GET", &format!("/practices/{missing}{path}"), Some(&b), None).await;
        let garbage = h.call("GET", &format!("/practices/not-an-id{path}"), Some(&b), None).await;
        assert_eq!(theirs.status, 404, "{path}");
        assert_eq!(theirs.body, nowhere.body, "{path}");
        assert_eq!(garbage.status, 404, "{path}");
        assert_eq!(
            h.call("GET", &format!("/practices/{pb}{path}"), Some(&b), None).await.status == 404,
            path.starts_with("/members/")
        );
    }
    let write = h.call("PATCH", &format!("/practices/{pa}"), Some(&b), Some(json!({"name": "Hijacked"}))).await;
    assert_eq!(write.status, 404);
    let loc = h.call("POST", &format!("/practices/{pa}/locations"), Some(&b), Some(json!({"name": "Sneaky"}))).await;
    assert_eq!(loc.status, 404);
    let still = h.call("GET", &format!("/practices/{pa}"), Some(&a), None).await;
    assert_eq!(still.body["name"], "One");
    let me_b = h.call("GET", "/me", Some(&b), None).await;
    assert_eq!(me_b.body["memberships"].as_array().map(Vec::len), Some(1));
}

// R3: one sign-in reaches every practice of the user.
#[tokio::test]
async fn a_user_in_two_practices_sees_both() {
    let h = Harness::new().await;
    let (_, token) = h.signup("locum@clinic.example").await;
    h.practice(&token, "Zeta Clinic").await;
    h.practice(&token, "Alpha Clinic").await;
    let me = h.call("GET", "/me", Some(&token), None).await;
    let names: Vec<_> = me.body["memberships"]
        .as_array()
        .map(|a| a.iter().map(|m| s(&m["practice_name"])).collect())
        .unwrap_or_default();
    assert_eq!(names, vec!["Alpha Clinic", "Zeta Clinic"]);
}

// R19, R2: a deactivated member has no access and is not listed in /me.
#[tokio::test]
async fn deactivated_membership_gives_404() {
    let h = Harness::new().await;
    let (_, d) = h.signup("d@clinic.example").await;
    let pid = h.practice(&d, "Clinic").await;
    let (_, t) = h.member(&pid, "gone@clinic.example", "front_desk", MemberStatus::Deactivated).await;
    assert_eq!(h.call("GET", &format!("/practices/{pid}"), Some(&t), None).await.status, 404);
    let me = h.call("GET", "/me", Some(&t), None).await;
    assert_eq!(me.body["memberships"], json!([]));
}

// R1: endpoints authorize against effective permissions.
#[tokio::test]
async fn permissions_decide_what_a_member_may_do() {
    let h = Harness::new().await;
    let (_, d) = h.signup("d@clinic.example").await;
    let pid = h.practice(&d, "Clinic").await;
    let (fd_id, fd) = h.member(&pid, "desk@clinic.example", "front_desk", MemberStatus::Active).await;
    let (sup_id, sup) = h.member(&pid, "sup@clinic.example", "supervisor", MemberStatus::Active).await;

    // Any member reads the practice, locations and roles.
    for path in ["", "/locations", "/roles"] {
        assert_eq!(h.call("GET", &format!("/practices/{pid}{path}"), Some(&fd), None).await.status, 200, "{path}");
    }
    // users.view: front desk has it not, supervisor has it.
    assert_eq!(h.call("GET", &format!("/practices/{pid}/members"), Some(&fd), None).await.status, 403);
    assert_eq!(h.call("GET", &format!("/practices/{pid}/members/{sup_id}"), Some(&fd), None).await.status, 403);
    assert_eq!(h.call("GET", &format!("/practices/{pid}/members/{fd_id}"), Some(&fd), None).await.status, 200);
    let list = h.call("GET", &format!("/practices/{pid}/members"), Some(&sup), None).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["items"].as_array().map(Vec::len), Some(3));
    // practice.settings: only the director.
    for t in [&fd, &sup] {
        let r = h.call("PATCH", &format!("/practices/{pid}"), Some(t), Some(json!({"name": "Mine"}))).await;
        assert_eq!(r.status, 403);
        assert_eq!(r.body["code"], "forbidden");
        assert_eq!(
            h.call("POST", &format!("/practices/{pid}/locations"), Some(t), Some(json!({"name": "X"}))).await.status,
            403
        );
    }
    let fd_me = h.call("GET", "/me", Some(&fd), None).await;
    assert!(fd_me.body["memberships"][0]["permissions"]
        .as_array()
        .is_some_and(|p| p.iter().any(|k| k == "billing.payments")));
}

// R18: stale versions get 412, never a silent overwrite.
#[tokio::test]
async fn practice_rename_is_optimistic() {
    let h = Harness::new().await;
    let (_, d) = h.signup("d@clinic.example").await;
    let pid = h.practice(&d, "Old").await;
    let path = format!("/practices/{pid}");
    let rename = |name: &str, etag: &str| {
        h.req("PATCH", &path).token(&d).json(json!({ "name": name })).header("if-match", etag).send()
    };
    let ok = rename("New", "\"1\"").await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["version"], 2);
    assert_eq!(ok.headers["etag"], "\"2\"");
    let stale = rename("Newer", "\"1\"").await;
    assert_eq!(stale.status, 412);
    assert_eq!(stale.body["code"], "precondition_failed");
    let junk = rename("Newer", "banana").await;
    assert_eq!(junk.status, 412);
    assert_eq!(h.call("GET", &path, Some(&d), None).await.body["name"], "New");
}

// Locations: create, rename, and never lose the last active one, even when
// two deactivations race.
#[tokio::test]
async fn the_last_active_location_cannot_be_deactivated() {
    let h = Harness::new().await;
    let (_, d) = h.signup("d@clinic.example").await;
    let pid = h.practice(&d, "Clinic").await;
    let first = s(&h.call("GET", &format!("/practices/{pid}/locations"), Some(&d), None).await.body["items"][0]["id"]);
    let alone =
        h.call("PATCH", &format!("/practices/{pid}/locations/{first}"), Some(&d), Some(json!({"active": false}))).await;
    assert_eq!(alone.status, 409);
    assert_eq!(alone.body["code"], "last_active_location");

    let created = h
        .call(
            "POST",
            &format!("/practices/{pid}/locations"),
            Some(&d),
            Some(json!({"name": "Annex", "time_zone": "UTC"})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let second = s(&created.body["id"]);
    let rename = h
        .call("PATCH", &format!("/practices/{pid}/locations/{second}"), Some(&d), Some(json!({"name": "North Annex"})))
        .await;
    assert_eq!(rename.body["name"], "North Annex");

    let paths: Vec<String> = [&first, &second].iter().map(|l| format!("/practices/{pid}/locations/{l}")).collect();
    let both =
        futures::future::join_all(paths.iter().map(|p| h.call("PATCH", p, Some(&d), Some(json!({"active": false})))))
            .await;
    let statuses: Vec<_> = both.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    let locs = h.call("GET", &format!("/practices/{pid}/locations"), Some(&d), None).await;
    let active = locs.body["items"].as_array().map(|a| a.iter().filter(|l| l["active"] == true).count());
    assert_eq!(active, Some(1));
    let bad = h
        .call("PATCH", &format!("/practices/{pid}/locations/{first}"), Some(&d), Some(json!({"time_zone": "Mars"})))
        .await;
    assert_eq!(bad.status, 422);
    let none = h
        .call(
            "PATCH",
            &format!("/practices/{pid}/locations/{}", uuid::Uuid::now_v7()),
            Some(&d),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(none.status, 404);
}

#[tokio::test]
async fn catalogue_and_built_in_roles() {
    let h = Harness::new().await;
    let (_, d) = h.signup("d@clinic.example").await;
    let pid = h.practice(&d, "Clinic").await;
    let perms = h.call("GET", "/permissions", Some(&d), None).await;
    assert_eq!(perms.status, 200);
    let list = perms.body.as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 34);
    assert!(list.iter().all(|p| !s(&p["description"]).is_empty() && !s(&p["module"]).is_empty()));
    let roles = h.call("GET", &format!("/practices/{pid}/roles"), Some(&d), None).await;
    let ids: Vec<_> =
        roles.body["items"].as_array().map(|a| a.iter().map(|r| s(&r["id"])).collect()).unwrap_or_default();
    assert_eq!(ids, vec!["director", "supervisor", "clinician", "administrative", "front_desk", "billing_manager"]);
    assert!(roles.body["items"].as_array().is_some_and(|a| a.iter().all(|r| r["built_in"] == true)));
}

// R22: status and text filters, cursor pages that never skip or repeat.
#[tokio::test]
async fn members_list_filters_and_pages() {
    let h = Harness::new().await;
    let (did, d) = h.signup("director@clinic.example").await;
    let pid = h.practice(&d, "Clinic").await;
    let mut expected = vec![did.clone()];
    for i in 0..7 {
        let (uid, _) = h.signup(&format!("staff{i}@clinic.example")).await;
        let status = if i % 3 == 0 { MemberStatus::Deactivated } else { MemberStatus::Active };
        h.add_member(&pid, &uid, "front_desk", status).await;
        expected.push(uid);
    }
    expected.sort();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let q = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let r = h.call("GET", &format!("/practices/{pid}/members?status=all&limit=3{q}"), Some(&d), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        seen.extend(r.body["items"].as_array().cloned().unwrap_or_default().iter().map(|m| s(&m["user_id"])));
        pages += 1;
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(pages < 10);
    }
    assert_eq!(seen, expected);

    let active = h.call("GET", &format!("/practices/{pid}/members"), Some(&d), None).await;
    assert_eq!(active.body["items"].as_array().map(Vec::len), Some(5));
    let deact = h.call("GET", &format!("/practices/{pid}/members?status=deactivated"), Some(&d), None).await;
    assert_eq!(deact.body["items"].as_array().map(Vec::len), Some(3));
    let q = h.call("GET", &format!("/practices/{pid}/members?status=all&q=STAFF4"), Some(&d), None).await;
    let emails: Vec<_> =
        q.body["items"].as_array().map(|a| a.iter().map(|m| s(&m["email"])).collect()).unwrap_or_default();
    assert_eq!(emails, vec!["staff4@clinic.example"]);
    let locked = h.call("GET", &format!("/practices/{pid}/members?status=locked"), Some(&d), None).await;
    assert_eq!(locked.body["items"], json!([]));
}

// Practice and location writes, like every other write, are conditioned on
// the acting member still holding the access the request was authorized
// with: a director whose access changed while the request ran cannot still
// rename the practice or change its locations.
#[tokio::test]
async fn practice_and_location_writes_need_the_acting_member_as_authorized() {
    use roster_domain::service::context::member_ctx;
    use roster_domain::service::practices::{self, LocationInput, PatchLocationInput, PatchPracticeInput};
    use roster_domain::service::session;
    use roster_domain::DomainError;
    let h = Harness::new().await;
    let (a_uid, a, pid) = h.director("a@clinic.example", "Harbour").await;
    let loc = h.first_location(&a, &pid).await;
    let body = json!({"email": "b@clinic.example", "kind": "staff", "role_id": "director", "primary_location_id": loc});
    assert_eq!(h.call("POST", &format!("/practices/{pid}/invitations"), Some(&a), Some(body)).await.status, 201);
    let r = h.register(&h.invite_token_for("b@clinic.example"), "Bea", "Bo", "another password 1").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let b = s(&r.body["session"]["token"]);

    // A's context, as A's request holds it once authorized...
    let found = session::authenticate(&h.app, &a, pid.parse().ok()).await.expect("A is signed in");
    let (practice, membership) = (found.practice.expect("the practice"), found.membership.expect("A's membership"));
    let ctx = member_ctx(&h.app, found.caller, practice, membership, None).await.expect("A's context");
    // ...then, before A's write commits, B changes A's access.
    let r = h.patch_member(&b, &pid, &a_uid, None, json!({"location_access": [loc]})).await;
    assert_eq!(r.status, 200, "{}", r.body);

    let rename = PatchPracticeInput { name: Some("Renamed".into()) };
    let r = practices::patch_practice(&h.app, &ctx, rename, None).await;
    assert!(matches!(r, Err(DomainError::Forbidden)), "{r:?}");
    let annex = LocationInput { name: Some("Annex".into()), ..Default::default() };
    let r = practices::create_location(&h.app, &ctx, annex).await;
    assert!(matches!(r, Err(DomainError::Forbidden)), "{r:?}");
    let closed = PatchLocationInput { active: Some(false), name: Some("Shut".into()), ..Default::default() };
    let r = practices::patch_location(&h.app, &ctx, loc.parse().expect("lid"), closed, None).await;
    assert!(matches!(r, Err(DomainError::Forbidden)), "{r:?}");

    // Nothing changed.
    let p = h.call("GET", &format!("/practices/{pid}"), Some(&b), None).await;
    assert_eq!((p.body["name"].clone(), p.body["version"].clone()), (json!("Harbour"), json!(1)), "{}", p.body);
    let l = h.call("GET", &format!("/practices/{pid}/locations"), Some(&b), None).await;
    assert_eq!(l.body["items"].as_array().map(Vec::len), Some(1), "{}", l.body);
    assert_eq!(
        (l.body["items"][0]["name"].clone(), l.body["items"][0]["active"].clone()),
        (json!("Main St"), json!(true))
    );
}

// Practice, location and role names may not pass for others with lookalike
// letters either (issue 11 item 9): 422 naming the field, nothing made.
#[tokio::test]
async fn practice_location_and_role_names_mixing_lookalike_scripts_are_422() {
    let h = Harness::new().await;
    let (_, token, pid) = h.director("d@clinic.example", "Harbour Clinic").await;
    for (body, field) in [
        (json!({"name": "H\u{430}rbour Clinic", "location": {"name": "Main St"}}), "name"),
        (json!({"name": "Quay Clinic", "location": {"name": "M\u{430}in St"}}), "location.name"),
    ] {
        let r = h.call("POST", "/practices", Some(&token), Some(body)).await;
        assert_eq!((r.status, r.field()), (422, field.to_string()), "{}", r.body);
    }
    let path = format!("/practices/{pid}");
    let r = h.req("PATCH", &path).token(&token).json(json!({"name": "Harb\u{3bf}ur"})).if_match(1).send().await;
    assert_eq!((r.status, r.field()), (422, "name".to_string()), "{}", r.body);
    let r = h.create_role(&token, &pid, "Office m\u{430}nager", &["users.view"]).await;
    assert_eq!((r.status, r.field()), (422, "name".to_string()), "{}", r.body);
    let me = h.call("GET", "/me", Some(&token), None).await;
    assert_eq!(me.body["memberships"].as_array().map(Vec::len), Some(1), "no practice made: {}", me.body);
    let roles = h.call("GET", &format!("/practices/{pid}/roles"), Some(&token), None).await;
    assert!(!roles.body.to_string().contains("Office"), "no role made: {}", roles.body);

    let r = h
        .call(
            "POST",
            "/practices",
            Some(&token),
            Some(json!({"name": "Κλινική Αθηνών", "location": {"name": "Οδός Ερμού"}})),
        )
        .await;
    assert_eq!(r.status, 201, "a Greek practice: {}", r.body);
    let r = h.create_role(&token, &pid, "Регистратор", &["users.view"]).await;
    assert_eq!(r.status, 201, "a Cyrillic role name: {}", r.body);
}
