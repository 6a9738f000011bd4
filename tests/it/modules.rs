//! Licensed modules per practitioner (R46) and the license consent every
//! paid seat needs (R45): what a member holds, what the practice counts,
//! the events billing reads, and who accepted which terms when.

use crate::common::{s, with_action, Harness, Reply, DIRECTOR, LICENSE_TERMS_VERSION, PASSWORD};
use chrono::{DateTime, Duration, Utc};
use futures::future::{join_all, LocalBoxFuture};
use futures::FutureExt;
use roster_domain::model::{Kind, MemberStatus, Membership, Module};
use roster_domain::ports::MemberFilter;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// A practice with its director (whose names are "Ana Silva", as
/// `Harness::signup` gives everyone).
struct Clinic {
    h: Harness,
    d: String,
    duid: String,
    pid: String,
    loc: String,
}

impl Clinic {
    async fn new() -> Self {
        let h = Harness::new().await;
        let (duid, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
        let loc = h.first_location(&d, &pid).await;
        Self { h, d, duid, pid, loc }
    }

    /// `POST /practices/{pid}/invitations` as `token`: a practitioner
    /// (clinician) at the first location, with `extra` on top.
    async fn invite_as(&self, token: &str, email: &str, extra: Value) -> Reply {
        let mut body =
            json!({"email": email, "kind": "practitioner", "role_id": "clinician", "primary_location_id": self.loc});
        if let (Some(b), Some(x)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(x.clone());
        }
        self.h.call("POST", &format!("/practices/{}/invitations", self.pid), Some(token), Some(body)).await
    }

    async fn invite(&self, email: &str, extra: Value) -> Reply {
        self.invite_as(&self.d, email, extra).await
    }

    /// A practitioner holding `modules`, invited by the director (terms
    /// accepted) and registered from the link; their user id.
    async fn practitioner(&self, email: &str, modules: Value) -> String {
        let r = self.invite(email, json!({"modules": modules, "accept_license_terms": true})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let reg = self.h.register(&self.h.invite_token_for(email), "Pat", "Lee", PASSWORD).await;
        assert_eq!(reg.status, 201, "{}", reg.body);
        s(&reg.body["user"]["id"])
    }

    async fn patch(&self, uid: &str, body: Value) -> Reply {
        self.h.patch_member(&self.d, &self.pid, uid, None, body).await
    }

    async fn post(&self, path: &str, body: Option<Value>) -> Reply {
        self.h.call("POST", &format!("/practices/{}/{path}", self.pid), Some(&self.d), body).await
    }

    /// `module_seats` as `GET /practices/{pid}` shows them.
    async fn module_seats(&self) -> Value {
        let r = self.h.call("GET", &format!("/practices/{}", self.pid), Some(&self.d), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["module_seats"].clone()
    }

    /// `(detail type, module)` of every module event about `uid`, oldest first.
    fn module_events(&self, uid: &str) -> Vec<(String, String)> {
        self.h
            .events()
            .into_iter()
            .filter(|e| e["detail_type"] == "ModuleAdded" || e["detail_type"] == "ModuleRemoved")
            .filter(|e| e["detail"]["user_id"] == uid)
            .map(|e| (s(&e["detail_type"]), s(&e["detail"]["module"])))
            .collect()
    }

    /// `SeatAdded` events, oldest first, but the director's own staff seat
    /// from creating the practice.
    fn seats_added(&self) -> Vec<Value> {
        self.h.events_of("SeatAdded").into_iter().filter(|e| e["detail"]["user_id"] != self.duid).collect()
    }

    /// The newest audit entry of `action`.
    async fn audited(&self, action: &str) -> Value {
        let log = self.h.audit_log(&self.d, &self.pid).await;
        with_action(&log, action).into_iter().next().unwrap_or_else(|| panic!("no {action} in the audit log"))
    }
}

/// Every module of the catalogue, with the counts given and 0 for the rest.
fn seats(counts: &[(&str, i64)]) -> Value {
    let mut all = json!({"billing": 0, "telehealth": 0, "eprescribing": 0, "patient_portal": 0, "analytics": 0});
    for (m, n) in counts {
        all[*m] = json!(n);
    }
    all
}

fn added(modules: &[&str]) -> Vec<(String, String)> {
    modules.iter().map(|m| ("ModuleAdded".to_string(), m.to_string())).collect()
}

fn removed(modules: &[&str]) -> Vec<(String, String)> {
    modules.iter().map(|m| ("ModuleRemoved".to_string(), m.to_string())).collect()
}

/// R45: the director (Ana Silva, `DIRECTOR`) accepted the configured terms
/// at `at`.
#[track_caller]
fn assert_directors_consent(consent: &Value, duid: &str, at: DateTime<Utc>) {
    assert_eq!(
        (s(&consent["user_id"]), s(&consent["name"]), s(&consent["email"]), s(&consent["terms_version"])),
        (duid.to_string(), "Ana Silva".to_string(), DIRECTOR.to_string(), LICENSE_TERMS_VERSION.to_string()),
        "{consent}"
    );
    let when = DateTime::parse_from_rfc3339(&s(&consent["accepted_at"])).map(|t| t.with_timezone(&Utc));
    assert_eq!(when, Ok(at), "{consent}");
}

// R46, R45: an invitation offers modules with the inviter's consent; the
// pending invitation counts no seat, and accepting it counts the
// practitioner's seat and each module's, with one ModuleAdded per module
// and SeatAdded carrying the consent given at invite time.
#[tokio::test]
async fn invited_practitioners_modules_count_once_accepted() {
    let c = Clinic::new().await;
    let invited_at = c.h.app.now();
    let r = c
        .invite(
            "pat@mail.example",
            json!({"modules": ["telehealth", "billing", "telehealth"], "accept_license_terms": true}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["modules"], json!(["billing", "telehealth"]), "a set, in the catalogue's order");
    let created = c.audited("invitation.created").await;
    assert_directors_consent(&created["after"]["license_consent"], &c.duid, invited_at);
    // A pending invitation takes no seat (R20) and no module seat.
    assert_eq!(c.module_seats().await, seats(&[]));
    assert!(c.seats_added().is_empty() && c.h.events_of("ModuleAdded").is_empty());

    c.h.clock.advance(Duration::hours(2));
    // Two hours idle is past the practice's limit (R48): the director signs in again.
    let c = Clinic { d: c.h.login(DIRECTOR).await, ..c };
    let reg = c.h.register(&c.h.invite_token_for("pat@mail.example"), "Pat", "Lee", PASSWORD).await;
    assert_eq!(reg.status, 201, "{}", reg.body);
    let uid = s(&reg.body["user"]["id"]);
    assert_eq!(reg.body["member"]["modules"], json!(["billing", "telehealth"]));
    assert_eq!(c.h.get_member(&c.d, &c.pid, &uid).await["modules"], json!(["billing", "telehealth"]));
    assert_eq!(c.module_seats().await, seats(&[("billing", 1), ("telehealth", 1)]));
    assert_eq!(c.h.stored_practice(&c.pid).await.seats.practitioner, 1);

    assert_eq!(c.module_events(&uid), added(&["billing", "telehealth"]));
    for e in c.h.events_of("ModuleAdded") {
        assert_eq!(e["detail"]["practice_id"], json!(c.pid));
        assert_directors_consent(&e["detail"]["license_consent"], &c.duid, invited_at);
    }
    let seat = c.seats_added();
    assert_eq!(seat.len(), 1);
    assert_eq!(
        (seat[0]["detail"]["user_id"].clone(), seat[0]["detail"]["kind"].clone()),
        (json!(uid), json!("practitioner"))
    );
    // Recorded again when the seat is added, as given when invited.
    assert_directors_consent(&seat[0]["detail"]["license_consent"], &c.duid, invited_at);
    let joined = c.audited("member.joined").await;
    assert_eq!(joined["after"]["modules"], json!(["billing", "telehealth"]));
    assert_directors_consent(&joined["after"]["license_consent"], &c.duid, invited_at);
}

// R46 (like R16): modules are a practitioner's. Staff asking for any, or a
// name outside the catalogue, is 422 naming `modules`; a change of kind to
// staff drops them, counts them down and says so.
#[tokio::test]
async fn staff_hold_no_modules() {
    let c = Clinic::new().await;
    let staff = json!({"kind": "staff", "role_id": "front_desk", "modules": ["billing"]});
    let r = c.invite("desk@mail.example", staff).await;
    assert_eq!((r.status, r.field()), (422, "modules".into()), "{}", r.body);
    let r = c.invite("odd@mail.example", json!({"modules": ["radiology"], "accept_license_terms": true})).await;
    assert_eq!((r.status, r.field()), (422, "modules".into()), "{}", r.body);
    let (desk, _) = c.h.member(&c.pid, "desk@clinic.example", "front_desk", MemberStatus::Active).await;
    let r = c.patch(&desk, json!({"modules": ["telehealth"], "accept_license_terms": true})).await;
    assert_eq!((r.status, r.field()), (422, "modules".into()), "{}", r.body);
    assert_eq!(c.h.get_member(&c.d, &c.pid, &desk).await["modules"], json!([]));

    let uid = c.practitioner("pat@mail.example", json!(["eprescribing", "analytics"])).await;
    assert_eq!(c.module_seats().await, seats(&[("eprescribing", 1), ("analytics", 1)]));
    let r = c.patch(&uid, json!({"kind": "staff"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["modules"], json!([]));
    assert_eq!(c.module_seats().await, seats(&[]));
    assert_eq!(
        c.module_events(&uid),
        [added(&["eprescribing", "analytics"]), removed(&["eprescribing", "analytics"])].concat()
    );
    // The staff seat it takes costs nothing: no consent was asked or recorded.
    let staff_seat = c.seats_added().into_iter().last().expect("SeatAdded");
    assert_eq!(
        (staff_seat["detail"]["kind"].clone(), staff_seat["detail"]["license_consent"].clone()),
        (json!("staff"), Value::Null)
    );
}

// R46, R45: an access change sets the whole set; a module added is a paid
// seat (422 license_terms_required without the terms, and nothing moves),
// one taken away is not; each module moved is one event and one count.
#[tokio::test]
async fn access_changes_add_and_remove_modules() {
    let c = Clinic::new().await;
    let uid = c.practitioner("pat@mail.example", json!(["telehealth"])).await;
    let events_before = c.h.events().len();

    let more = json!({"modules": ["telehealth", "eprescribing", "analytics"]});
    let r = c.patch(&uid, more.clone()).await;
    assert_eq!((r.status, r.code()), (422, "license_terms_required".into()), "{}", r.body);
    let r = c.patch(&uid, json!({"modules": ["analytics"], "accept_license_terms": false})).await;
    assert_eq!((r.status, r.code()), (422, "license_terms_required".into()), "{}", r.body);
    assert_eq!(c.h.events().len(), events_before, "a refused change emits nothing");
    assert_eq!(c.module_seats().await, seats(&[("telehealth", 1)]));

    let at = c.h.app.now();
    let mut with_terms = more.clone();
    with_terms["accept_license_terms"] = json!(true);
    let r = c.patch(&uid, with_terms).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["modules"], json!(["telehealth", "eprescribing", "analytics"]));
    assert_eq!(c.module_seats().await, seats(&[("telehealth", 1), ("eprescribing", 1), ("analytics", 1)]));
    assert_eq!(c.module_events(&uid), [added(&["telehealth"]), added(&["eprescribing", "analytics"])].concat());
    for e in c.h.events_of("ModuleAdded").iter().skip(1) {
        assert_directors_consent(&e["detail"]["license_consent"], &c.duid, at);
    }
    assert_eq!(c.seats_added().len(), 1, "no practitioner seat added by a module change");
    let changed = c.audited("member.access_changed").await;
    assert_eq!(changed["after"]["modules"], json!(["telehealth", "eprescribing", "analytics"]));
    assert_directors_consent(&changed["after"]["license_consent"], &c.duid, at);

    // Taking modules away costs nothing: no terms needed.
    let r = c.patch(&uid, json!({"modules": ["analytics"]})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(c.module_seats().await, seats(&[("analytics", 1)]));
    let events = c.module_events(&uid);
    assert_eq!(events[3..], removed(&["telehealth", "eprescribing"]));
    let removal = c.h.events_of("ModuleRemoved");
    assert_eq!(removal[0]["detail"], json!({"practice_id": c.pid, "user_id": uid, "module": "telehealth"}));
    assert_eq!(c.audited("member.access_changed").await["after"]["license_consent"], Value::Null);

    // The same set again changes nothing and says nothing.
    let count = c.h.events().len();
    assert_eq!(c.patch(&uid, json!({"modules": ["analytics"]})).await.status, 200);
    assert_eq!(c.h.events().len(), count);
}

// R19, R46, R45: deactivation frees the module seats and keeps the modules
// in the snapshot; reactivation needs the terms and restores them.
#[tokio::test]
async fn deactivation_frees_modules_and_reactivation_restores_them() {
    let c = Clinic::new().await;
    let uid = c.practitioner("pat@mail.example", json!(["billing", "patient_portal"])).await;
    let other = c.practitioner("sam@mail.example", json!(["billing"])).await;
    assert_eq!(c.module_seats().await, seats(&[("billing", 2), ("patient_portal", 1)]));

    let r = c.post(&format!("members/{uid}/deactivate"), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["modules"], json!(["billing", "patient_portal"]), "kept in the snapshot");
    assert_eq!(c.module_seats().await, seats(&[("billing", 1)]));
    assert_eq!(
        c.module_events(&uid),
        [added(&["billing", "patient_portal"]), removed(&["billing", "patient_portal"])].concat()
    );

    let r = c.post(&format!("members/{uid}/reactivate"), None).await;
    assert_eq!((r.status, r.code()), (422, "license_terms_required".into()), "{}", r.body);
    assert_eq!(c.module_seats().await, seats(&[("billing", 1)]));

    c.h.clock.advance(Duration::minutes(5));
    let at = c.h.app.now();
    let r = c.post(&format!("members/{uid}/reactivate"), Some(json!({"accept_license_terms": true}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["modules"], json!(["billing", "patient_portal"]));
    assert_eq!(c.module_seats().await, seats(&[("billing", 2), ("patient_portal", 1)]));
    let events = c.module_events(&uid);
    assert_eq!(events[4..], added(&["billing", "patient_portal"]));
    let restored: Vec<Value> =
        c.h.events_of("ModuleAdded").into_iter().filter(|e| e["detail"]["user_id"] == uid).skip(2).collect();
    for e in &restored {
        assert_directors_consent(&e["detail"]["license_consent"], &c.duid, at);
    }
    let seat = c.seats_added().into_iter().last().expect("SeatAdded");
    assert_eq!(seat["detail"]["user_id"], json!(uid));
    assert_directors_consent(&seat["detail"]["license_consent"], &c.duid, at);
    assert_directors_consent(&c.audited("member.reactivated").await["after"]["license_consent"], &c.duid, at);
    assert!(c.module_events(&other).iter().all(|(t, _)| t == "ModuleAdded"), "the other practitioner is untouched");
}

// R36, R46: a module is a grant. A manager who is no director adds only
// modules they hold themselves (403 otherwise, inviting or changing
// access), and may take away any; a director adds any.
#[tokio::test]
async fn a_manager_grants_only_modules_they_hold() {
    let c = Clinic::new().await;
    let lead = c.h.create_role(&c.d, &c.pid, "Lead", &["users.manage", "users.view", "calendar.view"]).await;
    let lead = s(&lead.body["id"]);
    let r = c
        .invite("lead@mail.example", json!({"role_id": lead, "modules": ["telehealth"], "accept_license_terms": true}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let reg = c.h.register(&c.h.invite_token_for("lead@mail.example"), "Lee", "Lead", PASSWORD).await;
    assert_eq!(reg.status, 201, "{}", reg.body);
    let manager = s(&reg.body["session"]["token"]);
    let target = c.practitioner("pat@mail.example", json!([])).await;
    let by_manager = |body: Value| {
        let (manager, pid, target) = (manager.clone(), c.pid.clone(), target.clone());
        let h = &c.h;
        async move { h.patch_member(&manager, &pid, &target, None, body).await }
    };

    let r = by_manager(json!({"modules": ["billing"], "accept_license_terms": true})).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    let r = by_manager(json!({"modules": ["telehealth", "billing"], "accept_license_terms": true})).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    let extra = json!({"role_id": lead, "modules": ["analytics"], "accept_license_terms": true});
    let r = c.invite_as(&manager, "new@mail.example", extra).await;
    assert_eq!((r.status, r.code()), (403, "forbidden".into()), "{}", r.body);
    assert_eq!(c.module_seats().await, seats(&[("telehealth", 1)]), "nothing counted for the refused");

    let r = by_manager(json!({"modules": ["telehealth"], "accept_license_terms": true})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let extra = json!({"role_id": lead, "modules": ["telehealth"], "accept_license_terms": true});
    assert_eq!(c.invite_as(&manager, "new@mail.example", extra).await.status, 201);

    // The director adds what the manager lacks; the manager may take it away.
    let r = c.patch(&target, json!({"modules": ["telehealth", "billing"], "accept_license_terms": true})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = by_manager(json!({"modules": ["telehealth"]})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(c.module_seats().await, seats(&[("telehealth", 2)]));
}

// R45: every administrator action that adds a practitioner seat needs the
// terms (inviting one, a temporary-password one, a change of kind to
// practitioner), and records who accepted which terms when in the audit
// event and in SeatAdded. Staff seats need none.
#[tokio::test]
async fn every_practitioner_seat_needs_the_license_terms() {
    let c = Clinic::new().await;
    for extra in [json!({}), json!({"accept_license_terms": false})] {
        let r = c.invite("pat@mail.example", extra).await;
        assert_eq!((r.status, r.code()), (422, "license_terms_required".into()), "{}", r.body);
    }
    let temp = json!({"first_name": "Tia", "last_name": "Mo", "temporary_password": "Temporary-Pass-1"});
    let r = c.invite("temp@mail.example", temp.clone()).await;
    assert_eq!((r.status, r.code()), (422, "license_terms_required".into()), "{}", r.body);
    let invitations = c.h.call("GET", &format!("/practices/{}/invitations", c.pid), Some(&c.d), None).await;
    assert_eq!(invitations.body["items"], json!([]), "a refused invitation leaves nothing");
    assert!(c.seats_added().is_empty());

    // Staff cost nothing: no terms needed, none recorded.
    let staff = json!({"kind": "staff", "role_id": "front_desk"});
    assert_eq!(c.invite("desk@mail.example", staff).await.status, 201);

    let at = c.h.app.now();
    let r = c.invite("pat@mail.example", json!({"accept_license_terms": true})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_directors_consent(&c.audited("invitation.created").await["after"]["license_consent"], &c.duid, at);

    let mut temp_ok = temp.clone();
    temp_ok["accept_license_terms"] = json!(true);
    let r = c.invite("temp@mail.example", temp_ok).await;
    assert_eq!((r.status, s(&r.body["status"])), (201, "active".into()), "{}", r.body);
    let temp_uid = s(&r.body["user_id"]);
    let created = c.audited("member.created_with_temporary_password").await;
    assert_directors_consent(&created["after"]["license_consent"], &c.duid, at);
    let seat = c.seats_added();
    assert_eq!((seat.len(), seat[0]["detail"]["user_id"].clone()), (1, json!(temp_uid)));
    assert_directors_consent(&seat[0]["detail"]["license_consent"], &c.duid, at);

    // A change of kind to practitioner.
    let (desk, _) = c.h.member(&c.pid, "front@clinic.example", "front_desk", MemberStatus::Active).await;
    let to_practitioner = json!({"kind": "practitioner", "role_id": "clinician"});
    let r = c.patch(&desk, to_practitioner.clone()).await;
    assert_eq!((r.status, r.code()), (422, "license_terms_required".into()), "{}", r.body);
    assert_eq!(c.h.get_member(&c.d, &c.pid, &desk).await["kind"], "staff");
    c.h.clock.advance(Duration::minutes(3));
    let at = c.h.app.now();
    let mut with_terms = to_practitioner;
    with_terms["accept_license_terms"] = json!(true);
    let r = c.patch(&desk, with_terms).await;
    assert_eq!((r.status, s(&r.body["kind"])), (200, "practitioner".into()), "{}", r.body);
    assert_directors_consent(&c.audited("member.access_changed").await["after"]["license_consent"], &c.duid, at);
    let seat = c.seats_added().into_iter().last().expect("SeatAdded");
    assert_eq!(
        (seat["detail"]["user_id"].clone(), seat["detail"]["kind"].clone()),
        (json!(desk), json!("practitioner"))
    );
    assert_directors_consent(&seat["detail"]["license_consent"], &c.duid, at);
    assert_eq!(c.h.stored_practice(&c.pid).await.seats.practitioner, 2);
}

/// Every membership of the practice, as stored.
async fn stored_memberships(c: &Clinic) -> Vec<Membership> {
    let pid = c.pid.parse().expect("pid");
    let page = c.h.app.store.members(pid, &MemberFilter::default(), 100, None).await.expect("members");
    assert!(page.next.is_none());
    page.items
}

// R46 like R20: twenty concurrent changes (module sets replaced, members
// deactivated and reactivated, several on the same member at once) leave
// the practice's module seats equal to the modules the active members
// hold, in the table and in the API, and equal to the events' sum.
#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn module_seats_stay_exact_under_concurrent_changes() {
    let c = Clinic::new().await;
    let mut uids = Vec::new();
    for i in 0..4 {
        let u = c.h.put_user(&format!("p{i}@clinic.example")).await;
        c.h.put_member(&c.pid, &u, Kind::Practitioner, "clinician", MemberStatus::Active).await;
        let r = c
            .patch(&u.id.to_string(), json!({"modules": ["billing", "telehealth"], "accept_license_terms": true}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        uids.push(u.id.to_string());
    }
    assert_eq!(c.module_seats().await, seats(&[("billing", 4), ("telehealth", 4)]));

    let sets = [
        json!(["analytics"]),
        json!([]),
        json!(["telehealth", "eprescribing", "patient_portal"]),
        json!(["billing", "analytics", "patient_portal"]),
    ];
    let c = &c;
    let mut ops: Vec<LocalBoxFuture<'_, (String, u16)>> = Vec::new();
    for (i, uid) in uids.iter().enumerate() {
        for k in 0..3 {
            let body = json!({"modules": sets[(i + k) % sets.len()], "accept_license_terms": true});
            let uid = uid.clone();
            ops.push(async move { (format!("patch {uid}"), c.patch(&uid, body).await.status) }.boxed_local());
        }
        let off = format!("members/{uid}/deactivate");
        let on = format!("members/{uid}/reactivate");
        ops.push(async move { (off.clone(), c.post(&off, None).await.status) }.boxed_local());
        let body = json!({"accept_license_terms": true});
        ops.push(async move { (on.clone(), c.post(&on, Some(body)).await.status) }.boxed_local());
    }
    assert_eq!(ops.len(), 20);
    let outcomes = join_all(ops).await;
    // A change loses a version race at most a few times before it gives up
    // (412), and one meeting its member deactivated is 409; none is an
    // error, and most go through.
    for (label, status) in &outcomes {
        assert!([200, 409, 412].contains(status), "{label}: {status}");
    }
    assert!(outcomes.iter().filter(|(_, st)| *st == 200).count() >= 10, "{outcomes:?}");

    // The outbox items whose delivery the burst left behind are due a
    // minute later; the sweep delivers them.
    c.h.sweep_at(c.h.app.now() + Duration::minutes(2)).await;

    let members = stored_memberships(c).await;
    let mut want: BTreeMap<Module, i64> = Module::ALL.into_iter().map(|m| (m, 0)).collect();
    for m in members.iter().filter(|m| m.is_active()) {
        for module in &m.access.modules {
            *want.entry(*module).or_default() += 1;
        }
    }
    let stored = c.h.stored_practice(&c.pid).await.module_seats;
    let got: BTreeMap<Module, i64> = Module::ALL.into_iter().map(|m| (m, stored.get(m))).collect();
    assert_eq!(got, want, "module seats against the active memberships {members:?}");
    let api: BTreeMap<String, i64> = serde_json::from_value(c.module_seats().await).expect("counts");
    assert_eq!(api, want.iter().map(|(m, n)| (m.as_str().to_string(), *n)).collect::<BTreeMap<_, _>>());

    // Each committed change published exactly its own moves: the events
    // add up to the counts (an event redelivered keeps its id).
    let mut seen = BTreeSet::new();
    let mut sums: BTreeMap<String, i64> = Module::ALL.into_iter().map(|m| (m.as_str().to_string(), 0)).collect();
    for e in c.h.events() {
        if !seen.insert(s(&e["id"])) {
            continue;
        }
        let d = match s(&e["detail_type"]).as_str() {
            "ModuleAdded" => 1,
            "ModuleRemoved" => -1,
            _ => continue,
        };
        *sums.entry(s(&e["detail"]["module"])).or_default() += d;
    }
    assert_eq!(sums, api);
}
