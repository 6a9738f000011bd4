//! R36, nobody grants more than they hold: a member with `users.manage` who
//! is no director, limited to one location and restricted to assigned
//! clients, tries every way the adversarial review found to widen access.
//! Each is 403, and a director doing the same succeeds.

use crate::common::{s, Harness, Reply};
use roster_domain::model::MemberStatus;
use serde_json::{json, Value};

struct Clinic {
    h: Harness,
    pid: String,
    director: String,
    manager: (String, String),
    main: String,
}

impl Clinic {
    async fn new() -> Self {
        let h = Harness::new().await;
        let (_, director, pid) = h.director("d@clinic.example", "Harbour").await;
        let main = h.first_location(&director, &pid).await;
        let r = h
            .call("POST", &format!("/practices/{pid}/locations"), Some(&director), Some(json!({"name": "Annex"})))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let keys = ["users.manage", "users.view", "clinical.charts", "clinical.assigned_clients_only"];
        let role = s(&h.create_role(&director, &pid, "Clinic manager", &keys).await.body["id"]);
        let manager = h.member(&pid, "m@clinic.example", &role, MemberStatus::Active).await;
        h.verify("m@clinic.example").await;
        let c = Self { h, pid, director, manager, main };
        c.set(&c.manager.0.clone(), json!({"location_access": [c.main]})).await;
        c
    }

    /// A change by the director, which must succeed.
    async fn set(&self, uid: &str, body: Value) {
        let r = self.h.patch_member(&self.director, &self.pid, uid, None, body).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    async fn patch_by(&self, token: &str, uid: &str, body: Value) -> Reply {
        self.h.patch_member(token, &self.pid, uid, None, body).await
    }

    async fn invite_by(&self, token: &str, email: &str, role: &str, extra: Value) -> Reply {
        let mut body = json!({"email": email, "kind": "staff", "role_id": role, "primary_location_id": self.main});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        self.h.call("POST", &format!("/practices/{}/invitations", self.pid), Some(token), Some(body)).await
    }
}

fn forbidden(r: &Reply, what: &str) {
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{what}: {}", r.body);
}

#[tokio::test]
async fn a_manager_never_changes_their_own_access() {
    let c = Clinic::new().await;
    let (uid, token) = c.manager.clone();
    forbidden(&c.patch_by(&token, &uid, json!({"location_access": "all"})).await, "own locations");
    forbidden(&c.patch_by(&token, &uid, json!({"access_billing": false})).await, "own flags");
    let me = c.h.get_member(&c.director, &c.pid, &uid).await;
    assert_eq!(me["location_access"], json!([c.main]), "{me}");
}

#[tokio::test]
async fn locations_and_the_second_factor_are_grants_too() {
    let c = Clinic::new().await;
    let token = c.manager.1.clone();
    let (n, _) = c.h.member(&c.pid, "n@clinic.example", "front_desk", MemberStatus::Active).await;
    c.set(&n, json!({"location_access": [c.main], "mfa_required": true})).await;
    forbidden(&c.patch_by(&token, &n, json!({"location_access": "all"})).await, "widening another's locations");
    forbidden(&c.patch_by(&token, &n, json!({"mfa_required": false})).await, "clearing mfa_required");
    let viewer = s(&c.h.create_role(&c.director, &c.pid, "Viewer", &["users.view"]).await.body["id"]);
    forbidden(&c.invite_by(&token, "x@clinic.example", &viewer, json!({})).await, "inviting to every location");
    let r = c.invite_by(&token, "x@clinic.example", &viewer, json!({"location_access": [c.main]})).await;
    assert_eq!(r.status, 201, "within the manager's own locations: {}", r.body);
    // The director may.
    c.set(&n, json!({"location_access": "all", "mfa_required": false})).await;
}

#[tokio::test]
async fn restrictive_keys_are_neither_removed_nor_left_behind() {
    let c = Clinic::new().await;
    let token = c.manager.1.clone();
    let (clinician, _) = c.h.member(&c.pid, "c@clinic.example", "clinician", MemberStatus::Active).await;
    let revoke = json!({"overrides": {"revoke": ["clinical.assigned_clients_only"]}});
    forbidden(&c.patch_by(&token, &clinician, revoke.clone()).await, "removing a restrictive key");
    // A new member with charts but without the manager's restriction would
    // reach more clients than the manager does.
    let charts = s(&c.h.create_role(&c.director, &c.pid, "Charts", &["clinical.charts"]).await.body["id"]);
    let r = c.invite_by(&token, "y@clinic.example", &charts, json!({"location_access": [c.main]})).await;
    forbidden(&r, "charts without the restriction");
    let perms = c.h.call("GET", "/permissions", Some(&c.director), None).await;
    let restrictive: Vec<String> = perms
        .body
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["restrictive"] == true)
        .map(|p| s(&p["key"]))
        .collect();
    assert_eq!(restrictive, vec!["clinical.assigned_clients_only".to_string()], "{}", perms.body);
    c.set(&clinician, revoke).await;
}

#[tokio::test]
async fn reactivating_a_snapshot_the_manager_could_not_grant_is_403() {
    let c = Clinic::new().await;
    let (clinician, _) = c.h.member(&c.pid, "c@clinic.example", "clinician", MemberStatus::Active).await;
    let path = format!("/practices/{}/members/{clinician}", c.pid);
    let r = c.h.call("POST", &format!("{path}/deactivate"), Some(&c.director), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let body = json!({"accept_license_terms": true});
    let r = c.h.call("POST", &format!("{path}/reactivate"), Some(&c.manager.1), Some(body.clone())).await;
    forbidden(&r, "restoring keys the manager lacks");
    let r = c.h.call("POST", &format!("{path}/reactivate"), Some(&c.director), Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

// The stored override lists are grants too, not only what they grant today:
// a billing key granted to a member without billing access, a key granted
// that the role holds already, or a restriction revoked from a member whose
// role lacks the keys it restricts, would each take effect the day a
// director ticks billing or changes the role.
#[tokio::test]
async fn overrides_that_grant_nothing_yet_are_grants_too() {
    let c = Clinic::new().await;
    let token = c.manager.1.clone();
    let (clinician, _) = c.h.member(&c.pid, "c@clinic.example", "clinician", MemberStatus::Active).await;
    let (desk, _) = c.h.member(&c.pid, "f@clinic.example", "front_desk", MemberStatus::Active).await;
    c.set(&clinician, json!({"access_billing": false, "location_access": [c.main]})).await;
    c.set(&desk, json!({"location_access": [c.main]})).await;

    let r = c.patch_by(&token, &clinician, json!({"overrides": {"grant": ["billing.refunds"], "revoke": []}})).await;
    forbidden(&r, "a billing key stored while billing is off");
    let r =
        c.patch_by(&token, &clinician, json!({"overrides": {"grant": ["clinical.prescriptions"], "revoke": []}})).await;
    forbidden(&r, "a key the role holds, stored as a grant of its own");
    let restriction = json!({"overrides": {"grant": [], "revoke": ["clinical.assigned_clients_only"]}});
    let r = c.patch_by(&token, &desk, restriction.clone()).await;
    forbidden(&r, "a restriction revoked ahead of a role change");
    let r = c
        .invite_by(&token, "b@clinic.example", "front_desk", json!({"access_billing": false,
            "overrides": {"grant": ["billing.payments", "billing.refunds"], "revoke": []}, "location_access": [c.main]}))
        .await;
    forbidden(&r, "an invitation holding billing keys for later");
    let r = c.patch_by(&token, &clinician, json!({"access_billing": true})).await;
    forbidden(&r, "billing ticked back on by a manager without billing access");
    let stored = c.h.get_member(&c.director, &c.pid, &clinician).await;
    assert_eq!(stored["overrides"], json!({"grant": [], "revoke": []}), "nothing stored");
    assert_eq!(stored["access_billing"], false);

    // What the manager holds they may store; the director may store anything.
    let r = c.patch_by(&token, &desk, json!({"overrides": {"grant": ["users.view"], "revoke": []}})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    c.set(&desk, restriction).await;
}

// A resend issues the access again with a fresh link: only who could have
// sent the invitation may.
#[tokio::test]
async fn resending_an_invitation_the_manager_could_not_send_is_403() {
    let c = Clinic::new().await;
    let r = c.invite_by(&c.director, "new.director@clinic.example", "director", json!({})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let path = format!("/practices/{}/invitations/{}/resend", c.pid, s(&r.body["id"]));
    forbidden(&c.h.call("POST", &path, Some(&c.manager.1), None).await, "resending a director's invitation");
    assert_eq!(c.h.call("POST", &path, Some(&c.director), None).await.status, 200);
}
