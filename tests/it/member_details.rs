//! A practice's own name for its members (R14): `display_name` and `title`
//! set as a member joins, shown in the member resource and `GET /me`,
//! searched by the members list (R22), and changed by `users.manage` for any
//! member through `PATCH .../members/{uid}/details`; the user's own names
//! only for a user who belongs to the practice alone.

use crate::common::{items, s, Harness, Reply, DIRECTOR, PASSWORD};
use roster_domain::model::MemberStatus;
use serde_json::{json, Value};

fn details(pid: &str, uid: &str) -> String {
    format!("/practices/{pid}/members/{uid}/details")
}

async fn patch_details(h: &Harness, token: &str, pid: &str, uid: &str, if_match: Option<u64>, body: Value) -> Reply {
    let mut req = h.req("PATCH", &details(pid, uid)).token(token).json(body);
    if let Some(v) = if_match {
        req = req.if_match(v);
    }
    req.send().await
}

/// The user ids the members list of `pid` finds for `q`.
async fn found(h: &Harness, token: &str, pid: &str, q: &str) -> Vec<String> {
    let r = h.call("GET", &format!("/practices/{pid}/members?q={q}"), Some(token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    items(&r.body).iter().map(|m| s(&m["user_id"])).collect()
}

/// (display_name, title, first_name, last_name, version) of a member resource.
fn shown(m: &Value) -> (Value, Value, Value, Value, Value) {
    (
        m["display_name"].clone(),
        m["title"].clone(),
        m["first_name"].clone(),
        m["last_name"].clone(),
        m["version"].clone(),
    )
}

/// A member with a custom role holding users.manage (not a director).
async fn manager(h: &Harness, pid: &str, d: &str, email: &str) -> String {
    let role = h.create_role(d, pid, "Practice manager", &["users.manage", "users.view"]).await;
    assert_eq!(role.status, 201, "{}", role.body);
    let (_, token) = h.member(pid, email, &s(&role.body["id"]), MemberStatus::Active).await;
    token
}

// R14, R22, R2: a locum of two practices is named by one practice's manager
// (200), shown and searched so in that practice only; the manager may not
// change the locum's own names (403, nothing changes, not even a display
// name sent with them), while names sent unchanged are no change.
#[tokio::test]
async fn a_locum_is_named_by_one_practice_and_keeps_their_own_names() {
    let h = Harness::new().await;
    let (_, da, a) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (_, db, b) = h.director("b@bay.example", "Bay Clinic").await;
    let mgr = manager(&h, &a, &da, "manager@harbour.example").await;
    let (locum, locum_token) = h.member(&a, "locum@mail.example", "clinician", MemberStatus::Active).await;
    h.add_member(&b, &locum, "clinician", MemberStatus::Active).await;
    let before_b = h.get_member(&db, &b, &locum).await;
    assert_eq!(shown(&before_b), (json!("Ana Silva"), Value::Null, json!("Ana"), json!("Silva"), json!(1)));

    let r =
        patch_details(&h, &mgr, &a, &locum, None, json!({"display_name": "Dr Ana Marsh-Silva", "title": "Dr"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(shown(&r.body), (json!("Dr Ana Marsh-Silva"), json!("Dr"), json!("Ana"), json!("Silva"), json!(2)));
    assert_eq!(r.headers.get("etag").and_then(|v| v.to_str().ok()), Some("\"2\""));
    assert_eq!(shown(&h.get_member(&da, &a, &locum).await), shown(&r.body));
    assert_eq!(h.get_member(&db, &b, &locum).await, before_b);

    // The locum's own view: each practice's name for them.
    let me = h.call("GET", "/me", Some(&locum_token), None).await;
    let names: Vec<(String, Value)> = me.body["memberships"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| (s(&m["practice_name"]), m["display_name"].clone()))
        .collect();
    assert_eq!(
        names,
        vec![("Bay Clinic".into(), json!("Ana Silva")), ("Harbour Clinic".into(), json!("Dr Ana Marsh-Silva"))]
    );

    assert_eq!(found(&h, &da, &a, "marsh").await, vec![locum.clone()]);
    assert_eq!(found(&h, &da, &a, "ANA%20MARSH").await, vec![locum.clone()]);
    assert!(found(&h, &db, &b, "marsh").await.is_empty());
    // The user's own names and email are still searched beside it.
    assert_eq!(found(&h, &da, &a, "locum@").await, vec![locum.clone()]);

    let log = h.audit_log(&da, &a).await;
    let changed = log.iter().find(|e| e["action"] == "member.details_changed").cloned().unwrap_or_default();
    assert_eq!(
        (changed["before"]["display_name"].clone(), changed["after"]["display_name"].clone()),
        (json!("Ana Silva"), json!("Dr Ana Marsh-Silva"))
    );
    assert_eq!(s(&changed["target"]["id"]), locum);
    let events = h.events_of("MemberDetailsChanged");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["detail"]["after"]["title"], "Dr");
    assert!(h.audit_log(&db, &b).await.iter().all(|e| e["action"] != "member.details_changed"));

    // The person's own names are theirs: 403, and the display name sent
    // with them does not change either.
    for body in [json!({"first_name": "Anna"}), json!({"last_name": "Marsh", "display_name": "Someone Else"})] {
        let r = patch_details(&h, &mgr, &a, &locum, None, body.clone()).await;
        assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{body}: {}", r.body);
    }
    assert_eq!(
        shown(&h.get_member(&da, &a, &locum).await),
        (json!("Dr Ana Marsh-Silva"), json!("Dr"), json!("Ana"), json!("Silva"), json!(2))
    );
    let user = h.me(&locum_token).await;
    assert_eq!((user["first_name"].clone(), user["last_name"].clone()), (json!("Ana"), json!("Silva")));
    assert_eq!(h.events_of("MemberDetailsChanged").len(), 1);

    // A form that sends every field back unchanged still works.
    let r = patch_details(
        &h,
        &mgr,
        &a,
        &locum,
        Some(2),
        json!({"display_name": "Dr Ana Marsh-Silva", "title": null, "first_name": "Ana", "last_name": "Silva"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(shown(&r.body), (json!("Dr Ana Marsh-Silva"), Value::Null, json!("Ana"), json!("Silva"), json!(3)));
}

// R14: former staff elsewhere (a deactivated membership) are named by the
// practice they work in now, but their own names stay theirs.
#[tokio::test]
async fn a_deactivated_membership_elsewhere_still_keeps_the_own_names() {
    let h = Harness::new().await;
    let (_, da, a) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (_, _, b) = h.director("b@bay.example", "Bay Clinic").await;
    let (former, _) = h.member(&a, "former@mail.example", "front_desk", MemberStatus::Active).await;
    h.add_member(&b, &former, "front_desk", MemberStatus::Deactivated).await;
    let r = patch_details(&h, &da, &a, &former, None, json!({"display_name": "Ana S."})).await;
    assert_eq!((r.status, s(&r.body["display_name"])), (200, "Ana S.".into()), "{}", r.body);
    let r = patch_details(&h, &da, &a, &former, None, json!({"first_name": "Anna"})).await;
    assert_eq!(r.status, 403, "{}", r.body);
}

// R14, R18, R22: for a user who belongs to this practice alone, the
// practice's name and the user's own change together, in one write under
// the member's version; the search finds both at once, and a stale
// If-Match changes neither.
#[tokio::test]
async fn a_single_practice_member_has_both_names_changed_at_once() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (uid, token) = h.member(&pid, "sam@mail.example", "front_desk", MemberStatus::Active).await;
    let body =
        json!({"display_name": "Sam Quill", "title": "Nurse", "first_name": "Samantha", "last_name": "Quillfeather"});
    let r = patch_details(&h, &d, &pid, &uid, Some(1), body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        shown(&r.body),
        (json!("Sam Quill"), json!("Nurse"), json!("Samantha"), json!("Quillfeather"), json!(2))
    );
    assert_eq!(shown(&h.get_member(&d, &pid, &uid).await), shown(&r.body));
    let user = h.me(&token).await;
    assert_eq!(
        (user["first_name"].clone(), user["last_name"].clone(), user["title"].clone()),
        (json!("Samantha"), json!("Quillfeather"), Value::Null),
        "the title is the practice's, not the user's"
    );
    assert_eq!(found(&h, &d, &pid, "quillfeather").await, vec![uid.clone()]);
    assert_eq!(found(&h, &d, &pid, "sam%20quill").await, vec![uid.clone()]);
    assert!(!found(&h, &d, &pid, "ana%20silva").await.contains(&uid), "the old name is gone");
    let changed = h.events_of("MemberDetailsChanged");
    assert_eq!(changed.len(), 1);
    assert_eq!(
        changed[0]["detail"]["before"],
        json!({"display_name": "Ana Silva", "title": null, "first_name": "Ana", "last_name": "Silva"})
    );

    // R18: based on version 1, now stale: 412, and nothing changes.
    let stale = json!({"display_name": "Old Form", "first_name": "Old"});
    let r = patch_details(&h, &d, &pid, &uid, Some(1), stale).await;
    assert_eq!((r.status, r.code()), (412, "precondition_failed".into()), "{}", r.body);
    assert_eq!(
        shown(&h.get_member(&d, &pid, &uid).await),
        (json!("Sam Quill"), json!("Nurse"), json!("Samantha"), json!("Quillfeather"), json!(2))
    );
    assert_eq!(s(&h.me(&token).await["first_name"]), "Samantha");

    // Only the person's names: the member's version moves on too.
    let r = patch_details(&h, &d, &pid, &uid, Some(2), json!({"first_name": "Sammy"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(shown(&r.body), (json!("Sam Quill"), json!("Nurse"), json!("Sammy"), json!("Quillfeather"), json!(3)));
    assert_eq!(found(&h, &d, &pid, "sammy").await, vec![uid.clone()]);
}

// R14, R36: only users.manage changes details, a director's only a
// director; a manager's own are details, not access, and theirs to change.
// Names keep their rules (422 naming the field).
#[tokio::test]
async fn details_need_users_manage_and_keep_the_name_rules() {
    let h = Harness::new().await;
    let (duid, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (desk_uid, desk) = h.member(&pid, "desk@mail.example", "front_desk", MemberStatus::Active).await;
    let (other, _) = h.member(&pid, "other@mail.example", "clinician", MemberStatus::Active).await;
    for (target, body) in [(&other, json!({"display_name": "X Y"})), (&desk_uid, json!({"title": "Receptionist"}))] {
        let r = patch_details(&h, &desk, &pid, target, None, body).await;
        assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    }
    assert_eq!(shown(&h.get_member(&d, &pid, &other).await).0, json!("Ana Silva"));

    let mgr = manager(&h, &pid, &d, "manager@mail.example").await;
    let mgr_uid = s(&h.me(&mgr).await["id"]);
    let r = patch_details(&h, &mgr, &pid, &duid, None, json!({"title": "Dr"})).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    let r = patch_details(&h, &mgr, &pid, &mgr_uid, None, json!({"title": "Practice manager"})).await;
    assert_eq!((r.status, s(&r.body["title"])), (200, "Practice manager".into()), "{}", r.body);

    // Cyrillic "а" inside a Latin word passes for another name.
    let r = patch_details(&h, &d, &pid, &other, None, json!({"display_name": "P\u{0430}ul Smith"})).await;
    assert_eq!((r.status, r.field()), (422, "display_name".into()), "{}", r.body);
    for bad in [json!({"display_name": "  "}), json!({"display_name": "x".repeat(202)})] {
        let r = patch_details(&h, &d, &pid, &other, None, bad).await;
        assert_eq!((r.status, r.field()), (422, "display_name".into()), "{}", r.body);
    }
    let r = patch_details(&h, &d, &pid, &other, None, json!({"nickname": "X"})).await;
    assert_eq!(r.status, 400, "{}", r.body);
    // Fullwidth letters from an input method are the letters they dress up.
    let r = patch_details(&h, &d, &pid, &other, None, json!({"display_name": "Ｊｏ Ｂｌｏｇｇｓ"})).await;
    assert_eq!((r.status, s(&r.body["display_name"])), (200, "Jo Bloggs".into()), "{}", r.body);
}

// R14, R10, R13: a member's display name and title are the ones the practice
// typed on the invitation, whatever names the person registers with or
// already has; without them, the person's own.
#[tokio::test]
async fn members_are_named_as_invited() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let loc = h.first_location(&d, &pid).await;
    let invite = |email: &str, extra: Value| {
        let mut body = json!({"email": email, "kind": "staff", "role_id": "front_desk", "primary_location_id": loc});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let (h, d, pid) = (&h, d.clone(), pid.clone());
        async move { h.call("POST", &format!("/practices/{pid}/invitations"), Some(&d), Some(body)).await }
    };
    let named = json!({"first_name": "Joanna", "last_name": "Bloggs", "title": "Dr"});

    // Registering from the link with names of one's own.
    assert_eq!(invite("jo@mail.example", named.clone()).await.status, 201);
    let reg = h.register(&h.invite_token_for("jo@mail.example"), "Jo", "B", PASSWORD).await;
    assert_eq!(reg.status, 201, "{}", reg.body);
    assert_eq!(shown(&reg.body["member"]), (json!("Joanna Bloggs"), json!("Dr"), json!("Jo"), json!("B"), json!(1)));
    let uid = s(&reg.body["user"]["id"]);
    assert_eq!(shown(&h.get_member(&d, &pid, &uid).await), shown(&reg.body["member"]));
    assert_eq!(found(&h, &d, &pid, "joanna").await, vec![uid]);

    // Accepting as an existing user, by the link.
    let (_, ana) = h.signup("ana@mail.example").await;
    assert_eq!(
        invite("ana@mail.example", json!({"first_name": "Ana Maria", "last_name": "Silva Santos"})).await.status,
        201
    );
    let token = h.invite_token_for("ana@mail.example");
    let ok = h.call("POST", &format!("/invitations/{token}/accept"), Some(&ana), None).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(shown(&ok.body), (json!("Ana Maria Silva Santos"), Value::Null, json!("Ana"), json!("Silva"), json!(1)));

    // With a temporary password: the user is made from the invited names.
    let temp =
        json!({"first_name": "Tom", "last_name": "Temp", "title": "Mr", "temporary_password": "a long enough secret"});
    let r = invite("tom@mail.example", temp).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(shown(&r.body), (json!("Tom Temp"), json!("Mr"), json!("Tom"), json!("Temp"), json!(1)));

    // Nothing typed: the person's own name as they join.
    assert_eq!(invite("cy@mail.example", json!({})).await.status, 201);
    let reg = h.register(&h.invite_token_for("cy@mail.example"), "Cy", "Twombly", PASSWORD).await;
    assert_eq!(reg.status, 201, "{}", reg.body);
    assert_eq!(
        (s(&reg.body["member"]["display_name"]), reg.body["member"]["title"].clone()),
        ("Cy Twombly".into(), Value::Null)
    );
}

// R14: a membership stored before practices named their members shows the
// user's name and title, is found by them, and takes a name of the
// practice's own like any other; nothing stored needed migrating.
#[tokio::test]
async fn a_member_stored_before_practice_names_shows_the_users_name() {
    use roster_domain::model::*;
    use roster_domain::ports::{Record, Tx, Write};
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let mut user = h.put_user("old@mail.example").await;
    let pid_id: roster_domain::ids::PracticeId = pid.parse().expect("pid");
    let location = h.app.store.locations(pid_id).await.expect("locations")[0].id;
    user.title = Some("Dr".into());
    user.version += 1;
    let mut tx = Tx::new();
    tx.push(Write::Replace { record: Record::User(user.clone()), expected_version: user.version - 1 });
    let m = Membership {
        name: None,
        ..Membership::new(pid_id, &user, Access::new(Kind::Staff, "front_desk", location), h.app.now())
    };
    tx.push(Write::AdjustCounters { practice_id: pid_id, delta: m.access.joining() })
        .push(Write::Create(Record::Membership(m)));
    h.app.store.transact(tx).await.expect("an old membership");
    let uid = user.id.to_string();
    let stored = h.partition(&format!("PRACTICE#{pid}")).await;
    let item = stored.iter().find(|i| i.get("SK").and_then(|v| v.as_s().ok()) == Some(&format!("MEMBER#{uid}")));
    assert!(item.is_some_and(|i| !i.contains_key("display_name") && !i.contains_key("display_search")));

    assert_eq!(
        shown(&h.get_member(&d, &pid, &uid).await),
        (json!("Dana Reyes"), json!("Dr"), json!("Dana"), json!("Reyes"), json!(1))
    );
    assert_eq!(found(&h, &d, &pid, "dana%20reyes").await, vec![uid.clone()]);
    let r = patch_details(&h, &d, &pid, &uid, Some(1), json!({"title": "Prof"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(shown(&r.body), (json!("Dana Reyes"), json!("Prof"), json!("Dana"), json!("Reyes"), json!(2)));
}
