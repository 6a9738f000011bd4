//! A practice's own name for its members (R14): `display_name` and `title`
//! set as a member joins, shown in the member resource and searched by the
//! members list (R22).

use crate::common::{items, s, Harness, DIRECTOR, PASSWORD};
use serde_json::{json, Value};

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
}
