//! Concurrent changes through the real handlers, against DynamoDB Local:
//! the director floor (R15), optimistic versions (R18) and exact seat
//! counts (R20) must hold whatever order the requests commit in. DynamoDB
//! Local never raises TransactionConflict, so every outcome here is decided
//! by the transactions' condition expressions.

use crate::common::{s, Harness};
use futures::future::{join_all, LocalBoxFuture};
use futures::FutureExt;
use roster_domain::model::*;
use roster_domain::ports::{Record, Tx, Write};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// A user written straight to the store (no Argon2: the password hash is
/// irrelevant to these tests, nobody signs in as them).
async fn store_user(h: &Harness, email: &str, first: &str, last: &str) -> User {
    let u = User::new(email.into(), email.trim().to_lowercase(), first.into(), last.into(), "x".into(), h.app.now());
    let mut tx = Tx::new();
    tx.push(Write::Create(Record::EmailClaim(EmailClaim { email_norm: u.email_norm.clone(), user_id: u.id })))
        .push(Write::Create(Record::User(u.clone())));
    h.app.store.transact(tx).await.expect("create user");
    u
}

/// Every membership of the practice straight from the table: user id →
/// (kind, role, status).
async fn stored_members(h: &Harness, pid: &str) -> BTreeMap<String, (String, String, String)> {
    let attr = |i: &HashMap<String, aws_sdk_dynamodb::types::AttributeValue>, k: &str| {
        i.get(k).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default()
    };
    h.partition(&format!("PRACTICE#{pid}"))
        .await
        .iter()
        .filter(|i| attr(i, "SK").starts_with("MEMBER#"))
        .map(|i| (attr(i, "user_id"), (attr(i, "kind"), attr(i, "role_id"), attr(i, "status"))))
        .collect()
}

/// Every active member through the API (R22), walking the cursor with a
/// small page: user id → (kind, role).
async fn listed_active(h: &Harness, token: &str, pid: &str) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let path = match &cursor {
            Some(c) => format!("/practices/{pid}/members?status=active&limit=7&cursor={c}"),
            None => format!("/practices/{pid}/members?status=active&limit=7"),
        };
        let r = h.call("GET", &path, Some(token), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        for m in r.body["items"].as_array().cloned().unwrap_or_default() {
            assert_eq!(m["status"], "active");
            let prev = out.insert(s(&m["user_id"]), (s(&m["kind"]), s(&m["role_id"])));
            assert!(prev.is_none(), "{} listed twice", m["user_id"]);
        }
        cursor = r.body["next_cursor"].as_str().map(str::to_string);
        if cursor.is_none() {
            return out;
        }
    }
    panic!("the active members list never ended");
}

/// R20, R15: the practice's counters equal what the memberships say, both
/// in the table and as the API lists them.
async fn assert_counters_exact(h: &Harness, token: &str, pid: &str) -> Practice {
    let stored = stored_members(h, pid).await;
    let active: BTreeMap<String, (String, String)> = stored
        .iter()
        .filter(|(_, (_, _, st))| st == "active")
        .map(|(u, (k, r, _))| (u.clone(), (k.clone(), r.clone())))
        .collect();
    assert_eq!(listed_active(h, token, pid).await, active, "the API lists exactly the active memberships");
    let count = |kind: &str| active.values().filter(|(k, _)| k == kind).count() as i64;
    let directors = active.values().filter(|(_, r)| r == "director").count() as i64;
    let p = h.stored_practice(pid).await;
    assert_eq!(
        (p.seats.staff, p.seats.practitioner, p.directors),
        (count("staff"), count("practitioner"), directors),
        "counters (staff, practitioner, directors) against the active memberships {active:?}"
    );
    let api = h.call("GET", &format!("/practices/{pid}"), Some(token), None).await;
    assert_eq!(api.body["seats"], json!({"staff": p.seats.staff, "practitioner": p.seats.practitioner}));
    p
}

// R15: two directors demoting each other at the same moment leave exactly
// one director; the loser's request is refused (409 last_director when its
// transaction meets the floor, 403 when it finds its own access gone).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mutual_demotion_leaves_one_director() {
    let h = Harness::new().await;
    let (a, ta) = h.signup("alpha@clinic.example").await;
    let (b, tb) = h.signup("bravo@clinic.example").await;
    for round in 0..4 {
        let pid = h.practice(&ta, &format!("Clinic {round}")).await;
        h.add_member(&pid, &b, "director", MemberStatus::Active).await;
        assert_eq!(h.stored_practice(&pid).await.directors, 2, "round {round}: two directors to start with");
        let va = h.get_member(&ta, &pid, &a).await["version"].as_u64();
        let vb = h.get_member(&tb, &pid, &b).await["version"].as_u64();
        let demote = json!({"role_id": "clinician"});
        let (ra, rb) = tokio::join!(
            h.patch_member(&ta, &pid, &b, vb, demote.clone()),
            h.patch_member(&tb, &pid, &a, va, demote.clone()),
        );
        let ok: Vec<bool> = [&ra, &rb].iter().map(|r| r.status == 200).collect();
        assert_eq!(
            ok.iter().filter(|x| **x).count(),
            1,
            "round {round}: exactly one demotion succeeds; got {} {} and {} {}",
            ra.status,
            ra.body,
            rb.status,
            rb.body
        );
        let loser = if ok[0] { &rb } else { &ra };
        let code = s(&loser.body["code"]);
        assert!(
            (loser.status, code.as_str()) == (409, "last_director")
                || (loser.status, code.as_str()) == (403, "forbidden"),
            "round {round}: the losing demotion got {} {}",
            loser.status,
            loser.body
        );
        // The winner demoted the other and is still director.
        let (winner, winner_token, demoted) = if ok[0] { (&a, &ta, &b) } else { (&b, &tb, &a) };
        let w = h.get_member(winner_token, &pid, winner).await;
        let d = h.get_member(winner_token, &pid, demoted).await;
        assert_eq!((s(&w["role_id"]), s(&d["role_id"])), ("director".into(), "clinician".into()), "round {round}");
        assert_eq!(
            [&w, &d].iter().filter(|m| m["role_id"] == "director" && m["status"] == "active").count(),
            1,
            "round {round}"
        );
        let p = assert_counters_exact(&h, winner_token, &pid).await;
        assert_eq!(p.directors, 1, "round {round}: the director counter");
    }
}

// R18: eight concurrent changes based on the same version: one wins, seven
// get 412 precondition_failed, and the version moves by exactly one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn same_version_patches_let_exactly_one_through() {
    let h = Harness::new().await;
    let (_, d) = h.signup("director@clinic.example").await;
    let pid = h.practice(&d, "Harbour Clinic").await;
    let loc = h.first_location(&d, &pid).await;
    let m = store_user(&h, "target@clinic.example", "Tara", "Get").await;
    let uid = m.id.to_string();
    h.add_member(&pid, &uid, "front_desk", MemberStatus::Active).await;
    let before = h.get_member(&d, &pid, &uid).await;
    let v = before["version"].as_u64().expect("version");
    // Each body changes something (a no-op change answers 200 without a
    // write, which would prove nothing).
    let bodies = [
        json!({"access_billing": false}),
        json!({"mfa_required": true}),
        json!({"access_billing": false, "mfa_required": true}),
        json!({"role_id": "administrative"}),
        json!({"role_id": "billing_manager", "mfa_required": true}),
        json!({"overrides": {"grant": ["audit.view"], "revoke": []}}),
        json!({"overrides": {"grant": [], "revoke": ["inbox"]}}),
        json!({"location_access": [loc]}),
    ];
    let replies = join_all(bodies.iter().map(|b| h.patch_member(&d, &pid, &uid, Some(v), b.clone()))).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|x| **x == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|x| **x == 412).count(), 7, "{statuses:?}");
    for r in replies.iter().filter(|r| r.status == 412) {
        assert_eq!(r.body["code"], "precondition_failed");
    }
    let (i, won) = replies.iter().enumerate().find(|(_, r)| r.status == 200).expect("a winner");
    assert_eq!(won.body["version"].as_u64(), Some(v + 1));
    assert_eq!(won.headers["etag"], format!("\"{}\"", v + 1));
    // What is stored is the winner's change and nothing of the losers'.
    let after = h.get_member(&d, &pid, &uid).await;
    assert_eq!(after["version"].as_u64(), Some(v + 1));
    assert_eq!(after, won.body);
    for (field, value) in bodies[i].as_object().expect("object") {
        assert_eq!(&after[field], value, "{field} from the winning body {}", bodies[i]);
    }
    let stored = h.app.store.membership(pid.parse().expect("pid"), m.id).await.expect("read").expect("member");
    assert_eq!(stored.version, v + 1);
    // The stale version stays stale.
    let late = h.patch_member(&d, &pid, &uid, Some(v), json!({"mfa_required": false})).await;
    assert_eq!((late.status, s(&late.body["code"])), (412, "precondition_failed".into()));
    assert_counters_exact(&h, &d, &pid).await;
}

type Outcome = (String, Vec<u16>);

// R20, R15: a burst of joins (invite + register), deactivations,
// reactivations, duplicated and crossing requests, and a director's
// deactivation racing their demotion: afterwards the seat counters equal
// the active memberships per kind, and the director counter the active
// directors.
#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn seat_counts_survive_a_burst() {
    let h = Harness::new().await;
    let (_, d) = h.signup("director@clinic.example").await;
    let pid = h.practice(&d, "Harbour Clinic").await;
    let loc = h.first_location(&d, &pid).await;

    // Before the burst: active staff and practitioners, deactivated ones, a
    // second director.
    let mut users: HashMap<String, User> = HashMap::new();
    let setup: Vec<(&str, Kind, &str, MemberStatus)> = vec![
        ("s0", Kind::Staff, "front_desk", MemberStatus::Active),
        ("s1", Kind::Staff, "front_desk", MemberStatus::Active),
        ("s2", Kind::Staff, "administrative", MemberStatus::Active),
        ("s3", Kind::Staff, "billing_manager", MemberStatus::Active),
        ("s4", Kind::Staff, "front_desk", MemberStatus::Active),
        ("s5", Kind::Staff, "front_desk", MemberStatus::Active),
        ("p0", Kind::Practitioner, "clinician", MemberStatus::Active),
        ("p1", Kind::Practitioner, "supervisor", MemberStatus::Active),
        ("p2", Kind::Practitioner, "clinician", MemberStatus::Active),
        ("r0", Kind::Staff, "front_desk", MemberStatus::Deactivated),
        ("r1", Kind::Staff, "administrative", MemberStatus::Deactivated),
        ("r2", Kind::Staff, "front_desk", MemberStatus::Deactivated),
        ("r3", Kind::Staff, "front_desk", MemberStatus::Deactivated),
        ("rp0", Kind::Practitioner, "clinician", MemberStatus::Deactivated),
        ("rp1", Kind::Practitioner, "clinician", MemberStatus::Deactivated),
        ("x0", Kind::Staff, "front_desk", MemberStatus::Active),
        ("x1", Kind::Practitioner, "clinician", MemberStatus::Deactivated),
        ("d2", Kind::Staff, "director", MemberStatus::Active),
    ];
    for (name, kind, role, status) in &setup {
        let u = store_user(&h, &format!("{name}@clinic.example"), "Member", &name.to_uppercase()).await;
        h.put_member(&pid, &u, *kind, role, *status).await;
        users.insert(name.to_string(), u);
    }
    let h = &h;
    let before = assert_counters_exact(h, &d, &pid).await;
    assert_eq!((before.seats.staff, before.seats.practitioner, before.directors), (9, 3, 2));
    let id = |name: &str| users[name].id.to_string();

    let deactivate = |name: &'static str| {
        let path = format!("/practices/{pid}/members/{}/deactivate", id(name));
        let d = &d;
        async move { (format!("deactivate {name}"), vec![h.call("POST", &path, Some(d), None).await.status]) }
            .boxed_local()
    };
    let reactivate = |name: &'static str| {
        let path = format!("/practices/{pid}/members/{}/reactivate", id(name));
        let d = &d;
        async move {
            let r = h.call("POST", &path, Some(d), Some(json!({"accept_license_terms": true}))).await;
            (format!("reactivate {name}"), vec![r.status])
        }
        .boxed_local()
    };
    let join = |n: usize, practitioner: bool| {
        let (pid, loc, d) = (&pid, &loc, &d);
        async move {
            let email = format!("new{n}@mail.example");
            let body = if practitioner {
                json!({"email": email, "kind": "practitioner", "role_id": "clinician", "primary_location_id": loc,
                    "accept_license_terms": true})
            } else {
                json!({"email": email, "kind": "staff", "role_id": "front_desk", "primary_location_id": loc})
            };
            let inv = h.call("POST", &format!("/practices/{pid}/invitations"), Some(d), Some(body)).await;
            if inv.status != 201 {
                return (format!("join {email}"), vec![inv.status]);
            }
            let token = h.invite_token_for(&email);
            let reg = h.register(&token, "New", &format!("Person{n}"), "correct horse battery").await;
            (format!("join {email}"), vec![inv.status, reg.status])
        }
        .boxed_local()
    };
    let demote = |name: &'static str| {
        let (pid, d) = (&pid, &d);
        let uid = id(name);
        async move {
            let r = h.patch_member(d, pid, &uid, None, json!({"role_id": "clinician"})).await;
            (format!("demote {name}"), vec![r.status])
        }
        .boxed_local()
    };

    let mut ops: Vec<LocalBoxFuture<'_, Outcome>> = Vec::new();
    for n in 0..6 {
        ops.push(join(n, n % 3 == 2));
    }
    for name in ["s0", "s1", "s2", "p0", "p1"] {
        ops.push(deactivate(name));
    }
    for name in ["r0", "r1", "r2", "rp0"] {
        ops.push(reactivate(name));
    }
    // Duplicates racing each other.
    for name in ["s0", "s0", "p0"] {
        ops.push(deactivate(name));
    }
    for name in ["r0", "r0", "rp0", "rp1", "rp1"] {
        ops.push(reactivate(name));
    }
    // Crossing requests: the end state may be either, the counts must not
    // care.
    ops.push(deactivate("x0"));
    ops.push(reactivate("x0"));
    ops.push(reactivate("x1"));
    ops.push(deactivate("x1"));
    // A director deactivated and demoted at once (the practice keeps its
    // creator, so R15 allows both).
    ops.push(deactivate("d2"));
    ops.push(demote("d2"));
    let outcomes: Vec<Outcome> = join_all(ops).await;

    let mut by_label: BTreeMap<String, Vec<Vec<u16>>> = BTreeMap::new();
    for (label, statuses) in &outcomes {
        by_label.entry(label.clone()).or_default().push(statuses.clone());
    }
    for (label, runs) in &by_label {
        if label.starts_with("join") {
            assert_eq!(runs, &vec![vec![201, 201]], "{label}: invite then register");
            continue;
        }
        // Without If-Match a lost version race is retried on a fresh read,
        // so a duplicate finds the change made and answers 200 too. A
        // demotion that finds its target deactivated is refused with 409
        // member_deactivated.
        for r in runs {
            let refused = label == "demote d2" && r[0] == 409;
            assert!(r.len() == 1 && (r[0] == 200 || refused), "{label}: {runs:?}");
        }
        let single = !["x0", "x1", "d2"].iter().any(|x| label.ends_with(x));
        if single {
            assert!(runs.iter().any(|r| r[0] == 200), "{label}: someone succeeds: {runs:?}");
        }
    }

    let stored = stored_members(h, &pid).await;
    let status_of = |name: &str| stored[&id(name)].2.clone();
    for name in ["s0", "s1", "s2", "p0", "p1"] {
        assert_eq!(status_of(name), "deactivated", "{name}");
    }
    for name in ["r0", "r1", "r2", "rp0", "rp1", "s3", "s4", "s5", "p2"] {
        assert_eq!(status_of(name), "active", "{name}");
    }
    assert_eq!(status_of("r3"), "deactivated");
    // d2 ends as some serial order of the two requests left it: deactivated
    // as director, demoted, or demoted and then deactivated; never neither,
    // and each 200 is a change that stuck.
    let d2 = &stored[&id("d2")];
    let (deactivated_ok, demoted_ok) = (by_label["deactivate d2"][0][0] == 200, by_label["demote d2"][0][0] == 200);
    let want_d2 = match (deactivated_ok, demoted_ok) {
        (true, false) => ("director", "deactivated"),
        (false, true) => ("clinician", "active"),
        (true, true) => ("clinician", "deactivated"),
        (false, false) => panic!("neither change of d2 went through"),
    };
    assert_eq!((d2.1.as_str(), d2.2.as_str()), want_d2, "d2 after deactivate {deactivated_ok} / demote {demoted_ok}");
    let accepted = h
        .partition(&format!("PRACTICE#{pid}"))
        .await
        .iter()
        .filter(|i| i.get("SK").and_then(|v| v.as_s().ok()).is_some_and(|k| k.starts_with("INVITE#")))
        .filter(|i| i.get("status").and_then(|v| v.as_s().ok()).is_some_and(|v| v == "accepted"))
        .count();
    assert_eq!(accepted, 6, "every invitation of the burst is accepted");

    let after = assert_counters_exact(h, &d, &pid).await;
    // The deterministic part of the arithmetic (the crossing pairs may end
    // either way; x0 staff, x1 practitioner, d2 staff).
    let x0 = i64::from(status_of("x0") == "active");
    let x1 = i64::from(status_of("x1") == "active");
    let d2_active = i64::from(d2.2 == "active");
    // staff: 9 - s0 s1 s2 + r0 r1 r2 + 4 joined, x0 and d2 as they ended.
    assert_eq!(after.seats.staff, 9 - 3 + 3 + 4 - 1 + x0 - 1 + d2_active);
    // practitioners: 3 - p0 p1 + rp0 rp1 + 2 joined, x1 as it ended.
    assert_eq!(after.seats.practitioner, 3 - 2 + 2 + 2 + x1);
    assert_eq!(after.directors, 1);
}
