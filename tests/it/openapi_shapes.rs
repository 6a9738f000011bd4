//! Real answers against `infra/openapi.yaml`: every field an answer carries
//! is a documented property of its schema, and every required property is
//! there. A field added to a view without the document (or the reverse)
//! fails here.

use crate::common::{repo_yaml, s, Harness};
use serde_json::{json, Value};
use serde_yaml::Value as Yaml;
use std::collections::BTreeSet;

fn schema<'a>(doc: &'a Yaml, name: &str) -> &'a Yaml {
    doc.get("components")
        .and_then(|c| c.get("schemas"))
        .and_then(|s| s.get(name))
        .unwrap_or_else(|| panic!("no schema {name}"))
}

fn resolve<'a>(doc: &'a Yaml, node: &'a Yaml) -> &'a Yaml {
    match node.get("$ref").and_then(Yaml::as_str) {
        Some(r) => schema(doc, r.rsplit('/').next().unwrap_or_default()),
        None => node,
    }
}

/// (properties, required) of a schema, through `$ref` and `allOf`.
fn fields(doc: &Yaml, node: &Yaml) -> (BTreeSet<String>, BTreeSet<String>) {
    let node = resolve(doc, node);
    let mut props = BTreeSet::new();
    let mut required = BTreeSet::new();
    if let Some(all) = node.get("allOf").and_then(Yaml::as_sequence) {
        for part in all {
            let (p, r) = fields(doc, part);
            props.extend(p);
            required.extend(r);
        }
    }
    if let Some(map) = node.get("properties").and_then(Yaml::as_mapping) {
        props.extend(map.keys().filter_map(Yaml::as_str).map(str::to_string));
    }
    if let Some(req) = node.get("required").and_then(Yaml::as_sequence) {
        required.extend(req.iter().filter_map(Yaml::as_str).map(str::to_string));
    }
    (props, required)
}

fn property<'a>(doc: &'a Yaml, name: &str, prop: &str) -> &'a Yaml {
    let mut node = resolve(doc, schema(doc, name));
    if let Some(all) = node.get("allOf").and_then(Yaml::as_sequence) {
        node = all
            .iter()
            .map(|p| resolve(doc, p))
            .find(|p| p.get("properties").and_then(|m| m.get(prop)).is_some())
            .unwrap_or(node);
    }
    node.get("properties").and_then(|m| m.get(prop)).unwrap_or_else(|| panic!("{name}.{prop} not documented"))
}

fn check(doc: &Yaml, name: &str, value: &Value) {
    let obj = value.as_object().unwrap_or_else(|| panic!("{name}: not an object: {value}"));
    let (props, required) = fields(doc, schema(doc, name));
    let actual: BTreeSet<String> = obj.keys().cloned().collect();
    let undocumented: Vec<_> = actual.difference(&props).collect();
    let missing: Vec<_> = required.difference(&actual).collect();
    assert!(
        undocumented.is_empty() && missing.is_empty(),
        "{name}: undocumented {undocumented:?}, missing required {missing:?} in {value}"
    );
}

#[tokio::test]
async fn answers_match_the_documented_schemas() {
    let doc = repo_yaml("infra/openapi.yaml");
    let h = Harness::new().await;
    let signup = h
        .call("POST", "/auth/signup", None, Some(json!({"email": "d@clinic.example", "password": "correct horse battery", "first_name": "D", "last_name": "R"})))
        .await;
    check(&doc, "SignupResponse", &signup.body);
    check(&doc, "User", &signup.body["user"]);
    check(&doc, "Session", &signup.body["session"]);
    let token = s(&signup.body["session"]["token"]);

    let login = h.login_with("d@clinic.example", "correct horse battery").await;
    assert_eq!(
        login.body.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["session".to_string()])
    );
    check(&doc, "Session", &login.body["session"]);

    let practice =
        h.call("POST", "/practices", Some(&token), Some(json!({"name": "C", "location": {"name": "L"}}))).await;
    check(&doc, "Practice", &practice.body);
    check(&doc, "Seats", &practice.body["seats"]);
    let pid = s(&practice.body["id"]);
    h.verify("d@clinic.example").await;

    let me = h.call("GET", "/me", Some(&token), None).await;
    check(&doc, "Me", &me.body);
    check(&doc, "MembershipWithPractice", &me.body["memberships"][0]);
    check(&doc, "Overrides", &me.body["memberships"][0]["overrides"]);
    check(&doc, "User", &h.call("PATCH", "/me", Some(&token), Some(json!({"first_name": "E"}))).await.body);

    let locations = h.call("GET", &format!("/practices/{pid}/locations"), Some(&token), None).await;
    check(&doc, "LocationList", &locations.body);
    check(&doc, "Location", &locations.body["items"][0]);
    let created =
        h.call("POST", &format!("/practices/{pid}/locations"), Some(&token), Some(json!({"name": "Annex"}))).await;
    check(&doc, "Location", &created.body);

    let roles = h.call("GET", &format!("/practices/{pid}/roles"), Some(&token), None).await;
    check(&doc, "RoleList", &roles.body);
    check(&doc, "Role", &roles.body["items"][0]);

    let perms = h.call("GET", "/permissions", Some(&token), None).await;
    check(&doc, "PermissionEntry", &perms.body[0]);

    let members = h.call("GET", &format!("/practices/{pid}/members"), Some(&token), None).await;
    check(&doc, "MemberList", &members.body);
    check(&doc, "Member", &members.body["items"][0]);

    // Invitations.
    let loc = s(&locations.body["items"][0]["id"]);
    let inv = h
        .call("POST", &format!("/practices/{pid}/invitations"), Some(&token),
            Some(json!({"email": "new@clinic.example", "kind": "staff", "role_id": "front_desk", "primary_location_id": loc})))
        .await;
    check(&doc, "Invitation", &inv.body);
    check(&doc, "InvitedBy", &inv.body["invited_by"]);
    check(
        &doc,
        "InvitationList",
        &h.call("GET", &format!("/practices/{pid}/invitations"), Some(&token), None).await.body,
    );
    let link = h.last_invite_token();
    let preview = h.call("GET", &format!("/invitations/{link}"), None, None).await;
    check(&doc, "InvitationPreview", &preview.body);
    let (_, other) = h.signup("other@clinic.example").await;
    h.verify("other@clinic.example").await;
    h.call("POST", &format!("/practices/{pid}/invitations"), Some(&token),
        Some(json!({"email": "other@clinic.example", "kind": "staff", "role_id": "front_desk", "primary_location_id": loc})))
        .await;
    let mine = h.call("GET", "/me/invitations", Some(&other), None).await;
    check(&doc, "MyInvitationList", &mine.body);
    check(&doc, "MyInvitation", &mine.body["items"][0]);
    let reg = h.register(&link, "N", "P", "a long enough secret").await;
    check(&doc, "RegisterResponse", &reg.body);
    check(&doc, "Member", &reg.body["member"]);

    // Custom roles, access changes, deactivation and reactivation.
    let role = h.create_role(&token, &pid, "Ops", &["inbox"]).await;
    check(&doc, "Role", &role.body);
    let uid = s(&reg.body["member"]["user_id"]);
    let member = format!("/practices/{pid}/members/{uid}");
    let changed = h.call("PATCH", &member, Some(&token), Some(json!({"role_id": role.body["id"]}))).await;
    check(&doc, "Member", &changed.body);
    let off = h.call("POST", &format!("{member}/deactivate"), Some(&token), None).await;
    check(&doc, "Member", &off.body);
    let bulk = h
        .call(
            "POST",
            &format!("/practices/{pid}/members/reactivate"),
            Some(&token),
            Some(json!({"user_ids": [uid, "nobody"]})),
        )
        .await;
    check(&doc, "BulkReactivateResult", &bulk.body);
    check(&doc, "Member", &bulk.body["results"][0]["member"]);
    check(&doc, "Problem", &bulk.body["results"][1]["error"]);

    let audit = h.call("GET", &format!("/practices/{pid}/audit"), Some(&token), None).await;
    check(&doc, "AuditList", &audit.body);
    check(&doc, "AuditEvent", &audit.body["items"][0]);

    // Problems, with and without field errors.
    let bad = h.call("POST", "/auth/signup", None, Some(json!({}))).await;
    check(&doc, "Problem", &bad.body);
    check(&doc, "Problem", &h.call("GET", "/me", None, None).await.body);

    // Every code the server can send is documented.
    let codes = property(&doc, "Problem", "code");
    let documented = serde_yaml::to_string(codes).unwrap_or_default();
    for code in [
        "validation_failed",
        "unauthenticated",
        "malformed_request",
        "last_active_location",
        "token_gone",
        "email_unverified",
        "method_not_allowed",
        "payload_too_large",
    ] {
        assert!(documented.contains(code), "problem code {code} is not in the OpenAPI document");
    }
}
