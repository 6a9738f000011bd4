//! Support access through the real handlers, against DynamoDB Local: grants
//! for 7 days by `support_access.manage` (R30), read-only agents (R31), every
//! agent read audited (R32), events (R33) and the sweep ending grants (R34).

use crate::common::{items, s, with_action, Harness, Reply, DIRECTOR, SUPPORT_AGENT};
use chrono::{DateTime, Duration, Utc};
use roster_domain::model::MemberStatus;
use serde_json::{json, Value};

/// Director and practice, plus the signed-up, verified support agent:
/// (director id, director session, practice id, agent id, agent session).
async fn setup(h: &Harness) -> (String, String, String, String, String) {
    let (duid, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (auid, agent) = h.signup(SUPPORT_AGENT).await;
    // The agent proves the address (an unproven one would make whoever signed
    // up first with it the agent).
    h.verify(SUPPORT_AGENT).await;
    (duid, d, pid, auid, agent)
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&s(v)).unwrap_or_else(|e| panic!("RFC 3339 time {v}: {e}")).with_timezone(&Utc)
}

fn support_path(pid: &str) -> String {
    format!("/practices/{pid}/support-access")
}

async fn grant(h: &Harness, token: &str, pid: &str) -> Reply {
    h.call("PUT", &support_path(pid), Some(token), None).await
}

async fn support_state(h: &Harness, token: &str, pid: &str) -> Reply {
    h.call("GET", &support_path(pid), Some(token), None).await
}

/// The GET routes a support agent may use inside `pid` (R30).
fn read_paths(pid: &str, uid: &str) -> Vec<String> {
    vec![
        format!("/practices/{pid}"),
        format!("/practices/{pid}/locations"),
        format!("/practices/{pid}/roles"),
        format!("/practices/{pid}/members"),
        format!("/practices/{pid}/members/{uid}"),
        format!("/practices/{pid}/invitations"),
        format!("/practices/{pid}/audit"),
        support_path(pid),
    ]
}

/// A GET inside the practice.
async fn read(h: &Harness, token: &str, path: &str) -> Reply {
    h.call("GET", path, Some(token), None).await
}

// R2, R30: before any grant the agent is a stranger to the practice: 404 for
// every read and write under it, and nothing audited; outside a practice the
// agent is an ordinary user.
#[tokio::test]
async fn agent_sees_nothing_before_a_grant() {
    let h = Harness::new().await;
    let (duid, d, pid, _, agent) = setup(&h).await;
    let me = h.call("GET", "/me", Some(&agent), None).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["user"]["email"], SUPPORT_AGENT);
    assert_eq!(me.body["memberships"], json!([]));

    for path in read_paths(&pid, &duid) {
        let r = read(&h, &agent, &path).await;
        assert_eq!((r.status, r.code()), (404, "not_found".into()), "GET {path}: {}", r.body);
    }
    let r = h.call("PATCH", &format!("/practices/{pid}"), Some(&agent), Some(json!({"name": "Mine"}))).await;
    assert_eq!((r.status, r.code()), (404, "not_found".into()), "{}", r.body);
    let r = grant(&h, &agent, &pid).await;
    assert_eq!((r.status, r.code()), (404, "not_found".into()), "{}", r.body);

    // The director still sees no grant and no agent reads in the log.
    let state = support_state(&h, &d, &pid).await;
    assert_eq!(state.status, 200, "{}", state.body);
    assert_eq!(state.body, json!({"active": false, "granted_by": null, "granted_at": null, "expires_at": null}));
    assert!(with_action(&h.audit_log(&d, &pid).await, "support.read").is_empty());
}

// R30, R32, R33: a director grants support access for exactly 7 days; every
// active director is mailed; the grant is an event and an audit entry.
#[tokio::test]
async fn a_director_grants_support_access_for_seven_days() {
    let h = Harness::new().await;
    let (duid, d, pid, _, _) = setup(&h).await;
    let (d2uid, _) = h.member(&pid, "second.director@clinic.example", "director", MemberStatus::Active).await;
    h.member(&pid, "former.director@clinic.example", "director", MemberStatus::Deactivated).await;
    h.member(&pid, "desk@clinic.example", "front_desk", MemberStatus::Active).await;

    let none = support_state(&h, &d, &pid).await;
    assert_eq!(none.status, 200, "{}", none.body);
    assert_eq!(none.body, json!({"active": false, "granted_by": null, "granted_at": null, "expires_at": null}));

    let mails_before = h.mails().len();
    let r = grant(&h, &d, &pid).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["active"], true);
    assert_eq!(s(&r.body["granted_by"]["user_id"]), duid);
    assert_eq!(r.body["granted_by"]["name"], "Ana Silva");
    let granted_at = time(&r.body["granted_at"]);
    let expires_at = time(&r.body["expires_at"]);
    assert!((granted_at - h.app.now()).num_milliseconds().abs() < 1000, "granted_at {granted_at} is now");
    assert_eq!(expires_at - granted_at, Duration::days(7));

    // Read back: the same grant.
    let state = support_state(&h, &d, &pid).await;
    assert_eq!(state.status, 200, "{}", state.body);
    assert_eq!(state.body, r.body);

    // Mail to each active director, and only to them.
    let mails: Vec<Value> = h.mails().into_iter().skip(mails_before).collect();
    let granted: Vec<&Value> = mails.iter().filter(|m| m["template"] == "support_access_granted").collect();
    let mut to: Vec<String> = granted.iter().map(|m| s(&m["to"])).collect();
    to.sort();
    assert_eq!(to, vec![DIRECTOR.to_string(), "second.director@clinic.example".to_string()], "{mails:?}");
    for m in &granted {
        assert!(!s(&m["subject"]).is_empty(), "subject: {m}");
        assert!(!s(&m["text"]).is_empty(), "text: {m}");
    }
    assert_eq!(mails.len(), 2, "no other mail: {mails:?}");

    let events = h.events_of("SupportAccessGranted");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(s(&events[0]["detail"]["practice_id"]), pid);
    assert_eq!(time(&events[0]["detail"]["expires_at"]), expires_at);
    assert_eq!(events[0]["source"], "roster");

    let log = h.audit_log(&d, &pid).await;
    assert_eq!(log[0]["action"], "support_access.granted", "newest first: {:?}", log[0]);
    assert_eq!(s(&log[0]["actor"]["user_id"]), duid);
    assert_eq!(log[0]["actor"]["support"], false);
    assert_eq!(with_action(&log, "support_access.granted").len(), 1);

    // The second director sees the same grant.
    let d2 = h.login("second.director@clinic.example").await;
    let seen = support_state(&h, &d2, &pid).await;
    assert_eq!((seen.status, seen.body.clone()), (200, r.body.clone()), "{d2uid}");
}

// R1, R30: only `support_access.manage` grants, reads or revokes the grant
// (403 forbidden otherwise, with nothing changed); the permission counts,
// not the role.
#[tokio::test]
async fn only_support_access_manage_grants() {
    let h = Harness::new().await;
    let (_, d, pid, _, agent) = setup(&h).await;
    let (_, desk) = h.member(&pid, "desk@clinic.example", "front_desk", MemberStatus::Active).await;
    let role = h.create_role(&d, &pid, "Manager", &["users.manage", "users.view", "audit.view"]).await;
    assert_eq!(role.status, 201, "{}", role.body);
    let (_, manager) = h.member(&pid, "manager@clinic.example", &s(&role.body["id"]), MemberStatus::Active).await;

    for (who, token) in [("front desk", &desk), ("manager", &manager)] {
        let r = grant(&h, token, &pid).await;
        assert_eq!((r.status, r.code()), (403, "forbidden".into()), "PUT as {who}: {}", r.body);
        let r = support_state(&h, token, &pid).await;
        assert_eq!((r.status, r.code()), (403, "forbidden".into()), "GET as {who}: {}", r.body);
        let r = h.call("DELETE", &support_path(&pid), Some(token), None).await;
        assert_eq!((r.status, r.code()), (403, "forbidden".into()), "DELETE as {who}: {}", r.body);
    }
    assert_eq!(support_state(&h, &d, &pid).await.body["active"], false);
    assert!(h.mails().iter().all(|m| m["template"] != "support_access_granted"));
    assert!(h.events_of("SupportAccessGranted").is_empty());
    assert!(with_action(&h.audit_log(&d, &pid).await, "support_access.granted").is_empty());
    assert_eq!(read(&h, &agent, &format!("/practices/{pid}")).await.status, 404);

    // Granted the permission by override, the front desk member may grant.
    let desk_id = s(&h.call("GET", "/me", Some(&desk), None).await.body["user"]["id"]);
    let r = h
        .call(
            "PATCH",
            &format!("/practices/{pid}/members/{desk_id}"),
            Some(&d),
            Some(json!({"overrides": {"grant": ["support_access.manage"]}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = grant(&h, &desk, &pid).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(s(&r.body["granted_by"]["user_id"]), desk_id);
    assert_eq!(read(&h, &agent, &format!("/practices/{pid}")).await.status, 200);
}

// R30, R31, R32: during a grant the agent reads practice, locations, roles,
// members (list and one), invitations, audit and the grant itself; each read
// is one "support.read" audit entry with a support actor.
#[tokio::test]
async fn agent_reads_everything_during_a_grant_and_each_read_is_audited() {
    let h = Harness::new().await;
    let (duid, d, pid, auid, agent) = setup(&h).await;
    let (uid, _) = h.member(&pid, "desk@clinic.example", "front_desk", MemberStatus::Active).await;
    assert_eq!(h.invite(&d, &pid, "invitee@mail.example").await.status, 201);
    let granted = grant(&h, &d, &pid).await;
    assert_eq!(granted.status, 200, "{}", granted.body);
    let reads_before = with_action(&h.audit_log(&d, &pid).await, "support.read").len();
    assert_eq!(reads_before, 0, "the director's reads are not support reads");

    let paths = read_paths(&pid, &uid);
    let mut replies = Vec::new();
    for path in &paths {
        let r = read(&h, &agent, path).await;
        assert_eq!(r.status, 200, "GET {path}: {}", r.body);
        replies.push(r.body);
    }
    assert_eq!(s(&replies[0]["id"]), pid);
    assert_eq!(replies[0]["name"], "Harbour Clinic");
    assert_eq!(items(&replies[1])[0]["name"], "Main St");
    assert!(items(&replies[2]).iter().any(|r| r["id"] == "director"), "{}", replies[2]);
    let listed: Vec<String> = items(&replies[3]).iter().map(|m| s(&m["user_id"])).collect();
    assert!(listed.contains(&duid) && listed.contains(&uid), "{listed:?}");
    assert!(!listed.contains(&auid), "the agent is not a member: {listed:?}");
    assert_eq!((s(&replies[4]["user_id"]), s(&replies[4]["email"])), (uid.clone(), "desk@clinic.example".into()));
    assert!(items(&replies[5]).iter().any(|i| i["email"] == "invitee@mail.example"), "{}", replies[5]);
    assert!(items(&replies[6]).iter().any(|e| e["action"] == "support_access.granted"), "{}", replies[6]);
    assert_eq!(replies[7], granted.body);

    // Reads by members are not support reads; the agent's are, one each.
    for path in &paths {
        assert_eq!(read(&h, &d, path).await.status, 200, "GET {path} as director");
    }
    let log = h.audit_log(&d, &pid).await;
    let reads = with_action(&log, "support.read");
    assert_eq!(reads.len(), paths.len(), "one support.read per agent read: {reads:?}");
    for e in &reads {
        assert_eq!(e["actor"]["support"], true, "{e}");
        assert_eq!(s(&e["actor"]["user_id"]), auid, "{e}");
        assert_eq!(e["actor"]["email"], SUPPORT_AGENT, "{e}");
    }
    // Nothing else in the log carries a support actor.
    assert!(log.iter().filter(|e| e["actor"]["support"] == true).all(|e| e["action"] == "support.read"));
    // The agent's reads change nothing for the grant.
    assert_eq!(support_state(&h, &d, &pid).await.body, granted.body);
}

// R31: an agent under an active grant can change nothing: every write inside
// the practice is 403 support_read_only, and nothing changed afterwards.
#[tokio::test]
async fn agent_writes_are_refused_and_change_nothing() {
    let h = Harness::new().await;
    let (duid, d, pid, _, agent) = setup(&h).await;
    let lid = h.first_location(&d, &pid).await;
    let (uid, _) = h.member(&pid, "desk@clinic.example", "front_desk", MemberStatus::Active).await;
    let (gone, _) = h.member(&pid, "gone@clinic.example", "front_desk", MemberStatus::Deactivated).await;
    let role = h.create_role(&d, &pid, "Spare", &["calendar.view"]).await;
    assert_eq!(role.status, 201, "{}", role.body);
    let rid = s(&role.body["id"]);
    let inv = h.invite(&d, &pid, "invitee@mail.example").await;
    assert_eq!(inv.status, 201, "{}", inv.body);
    let iid = s(&inv.body["id"]);
    let granted = grant(&h, &d, &pid).await;
    assert_eq!(granted.status, 200, "{}", granted.body);

    let before = snapshot(&h, &d, &pid, &[uid.as_str(), gone.as_str(), duid.as_str()]).await;
    let audit_before = h.audit_log(&d, &pid).await.len();
    let (mails_before, events_before) = (h.mails().len(), h.events().len());

    let p = format!("/practices/{pid}");
    let m = format!("{p}/members/{uid}");
    let a = Some(agent.as_str());
    let attempts: Vec<(&str, Reply)> = vec![
        ("PATCH practice", h.call("PATCH", &p, a, Some(json!({"name": "Taken over"}))).await),
        ("POST location", h.call("POST", &format!("{p}/locations"), a, Some(json!({"name": "Annex"}))).await),
        ("PATCH location", h.call("PATCH", &format!("{p}/locations/{lid}"), a, Some(json!({"name": "Elm St"}))).await),
        (
            "POST role",
            h.call("POST", &format!("{p}/roles"), a, Some(json!({"name": "Agents", "permissions": []}))).await,
        ),
        (
            "PATCH role",
            h.call("PATCH", &format!("{p}/roles/{rid}"), a, Some(json!({"permissions": ["users.manage"]}))).await,
        ),
        ("DELETE role", h.call("DELETE", &format!("{p}/roles/{rid}"), a, None).await),
        ("invite", h.invite(&agent, &pid, "friend@support.test").await),
        ("resend", h.call("POST", &format!("{p}/invitations/{iid}/resend"), a, None).await),
        ("revoke invitation", h.call("DELETE", &format!("{p}/invitations/{iid}"), Some(&agent), None).await),
        ("update access", h.call("PATCH", &m, a, Some(json!({"access_billing": false}))).await),
        ("update details", h.call("PATCH", &format!("{m}/details"), a, Some(json!({"title": "Dr"}))).await),
        ("deactivate", h.call("POST", &format!("{m}/deactivate"), a, None).await),
        ("reactivate", h.call("POST", &format!("{p}/members/{gone}/reactivate"), a, None).await),
        (
            "bulk reactivate",
            h.call("POST", &format!("{p}/members/reactivate"), a, Some(json!({"user_ids": [gone]}))).await,
        ),
        ("unlock", h.call("POST", &format!("{m}/unlock"), a, None).await),
        (
            "unlock with password",
            h.call("POST", &format!("{m}/unlock"), a, Some(json!({"temporary_password": "agent chose this"}))).await,
        ),
        (
            "temporary password",
            h.call(
                "POST",
                &format!("{m}/temporary-password"),
                a,
                Some(json!({"temporary_password": "agent chose this"})),
            )
            .await,
        ),
        ("leave", h.call("POST", &format!("{p}/leave"), a, None).await),
        ("grant support", grant(&h, &agent, &pid).await),
        ("revoke support", h.call("DELETE", &support_path(&pid), Some(&agent), None).await),
    ];
    let wrong: Vec<String> = attempts
        .iter()
        .filter(|(_, r)| (r.status, r.code()) != (403, "support_read_only".into()))
        .map(|(what, r)| format!("{what}: {} {}", r.status, r.body))
        .collect();
    assert!(wrong.is_empty(), "writes not refused as support_read_only:\n{}", wrong.join("\n"));

    // Nothing changed: the same practice, locations, roles, members,
    // invitations and grant; no mail, no event, no audit entry but reads.
    assert_eq!(h.mails().len(), mails_before, "{:?}", h.mails());
    assert_eq!(h.events().len(), events_before, "{:?}", h.events());
    let log = h.audit_log(&d, &pid).await;
    let new: Vec<&Value> = log.iter().take(log.len().saturating_sub(audit_before)).collect();
    assert!(new.iter().all(|e| e["action"] == "support.read"), "only reads were audited: {new:?}");
    let after = snapshot(&h, &d, &pid, &[uid.as_str(), gone.as_str(), duid.as_str()]).await;
    assert_eq!(after, before);
    assert_eq!(after[0]["name"], "Harbour Clinic");
    assert_eq!(after[4]["status"], "deactivated");
    assert_eq!(s(&after[5]["user_id"]), duid);
    // The member's password is untouched: the old one still signs in, with no
    // change demanded.
    let desk = h.login("desk@clinic.example").await;
    let me = h.call("GET", "/me", Some(&desk), None).await;
    assert_eq!((me.status, me.body["user"]["must_change_password"].clone()), (200, json!(false)), "{}", me.body);
    // The grant lives on, unchanged (not restarted, not revoked).
    assert_eq!(after[7], granted.body);
    assert_eq!(read(&h, &agent, &p).await.status, 200);
}

/// What a director sees of the practice: practice, locations, roles, the
/// given members, invitations and the support grant.
async fn snapshot(h: &Harness, d: &str, pid: &str, members: &[&str]) -> Vec<Value> {
    let mut paths =
        vec![format!("/practices/{pid}"), format!("/practices/{pid}/locations"), format!("/practices/{pid}/roles")];
    paths.extend(members.iter().map(|uid| format!("/practices/{pid}/members/{uid}")));
    paths.push(format!("/practices/{pid}/invitations"));
    let mut out = Vec::new();
    for path in paths {
        let r = h.call("GET", &path, Some(d), None).await;
        assert_eq!(r.status, 200, "GET {path}: {}", r.body);
        out.push(r.body);
    }
    out.push(support_state(h, d, pid).await.body);
    out
}

// R2, R30: a grant opens the practice to support agents only: any other
// outsider still gets 404, and other practices stay closed to the agent.
#[tokio::test]
async fn a_grant_opens_the_practice_to_agents_only() {
    let h = Harness::new().await;
    let (duid, d, pid, _, agent) = setup(&h).await;
    let (_, outsider) = h.signup("outsider@elsewhere.example").await;
    let other = h.practice(&outsider, "Elsewhere").await;
    assert_eq!(grant(&h, &d, &pid).await.status, 200);

    for path in read_paths(&pid, &duid) {
        let r = read(&h, &outsider, &path).await;
        assert_eq!((r.status, r.code()), (404, "not_found".into()), "outsider GET {path}: {}", r.body);
        assert_eq!(read(&h, &agent, &path).await.status, 200, "agent GET {path}");
    }
    let r = h.call("PATCH", &format!("/practices/{pid}"), Some(&outsider), Some(json!({"name": "Mine"}))).await;
    assert_eq!((r.status, r.code()), (404, "not_found".into()), "{}", r.body);

    // The grant is for this practice only.
    let other_uid = s(&h.me(&outsider).await["id"]);
    for path in read_paths(&other, &other_uid) {
        let r = read(&h, &agent, &path).await;
        assert_eq!((r.status, r.code()), (404, "not_found".into()), "agent GET {path} of another practice: {}", r.body);
    }
    assert!(with_action(&h.audit_log(&outsider, &other).await, "support.read").is_empty());
}

// R30, R2: the agent's address alone is not enough: until the account proves
// it, whoever registered it is no agent and sees nothing.
#[tokio::test]
async fn an_unverified_agent_address_sees_nothing() {
    let h = Harness::new().await;
    let (duid, d) = h.signup(DIRECTOR).await;
    let pid = h.practice(&d, "Harbour Clinic").await;
    let (_, squatter) = h.signup(SUPPORT_AGENT).await;
    assert_eq!(grant(&h, &d, &pid).await.status, 200);
    for path in read_paths(&pid, &duid) {
        let r = read(&h, &squatter, &path).await;
        assert_eq!((r.status, r.code()), (404, "not_found".into()), "unverified GET {path}: {}", r.body);
    }
    h.verify(SUPPORT_AGENT).await;
    let r = read(&h, &squatter, &format!("/practices/{pid}/members")).await;
    assert_eq!(r.status, 200, "verified: {}", r.body);
}

// R30: re-granting restarts the 7 days from now.
#[tokio::test]
async fn regranting_restarts_the_seven_days() {
    let h = Harness::new().await;
    let (duid, d, pid, _, _) = setup(&h).await;
    let first = grant(&h, &d, &pid).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let t0 = time(&first.body["granted_at"]);

    h.clock.advance(Duration::days(3));
    let d = h.login(DIRECTOR).await;
    let again = grant(&h, &d, &pid).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["active"], true);
    assert_eq!(s(&again.body["granted_by"]["user_id"]), duid);
    assert_eq!(time(&again.body["granted_at"]) - t0, Duration::days(3));
    assert_eq!(time(&again.body["expires_at"]) - t0, Duration::days(10));

    // Day 8: past the first grant's expiry, within the second's.
    h.clock.advance(Duration::days(5));
    let agent = h.login(SUPPORT_AGENT).await;
    let d = h.login(DIRECTOR).await;
    let r = read(&h, &agent, &format!("/practices/{pid}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let state = support_state(&h, &d, &pid).await;
    assert_eq!(
        (state.body["active"].clone(), state.body["expires_at"].clone()),
        (json!(true), again.body["expires_at"].clone())
    );
    // A sweep at day 8 has nothing to end.
    assert_eq!(h.sweep_at(h.app.now()).await.support_grants_expired, 0);
    assert_eq!(read(&h, &agent, &format!("/practices/{pid}/members")).await.status, 200);

    // Day 10 and a second: over.
    h.clock.advance(Duration::days(2) + Duration::seconds(1));
    let agent = h.login(SUPPORT_AGENT).await;
    let r = read(&h, &agent, &format!("/practices/{pid}")).await;
    assert_eq!((r.status, r.code()), (404, "not_found".into()), "{}", r.body);

    assert_eq!(h.events_of("SupportAccessGranted").len(), 2);
    let mails = h.mails().into_iter().filter(|m| m["template"] == "support_access_granted").count();
    assert_eq!(mails, 2, "one mail per grant to the only director");
}

// R30, R32, R33: revoking ends the agent's access at once, with event and
// audit; revoking with no grant is 204 too.
#[tokio::test]
async fn revoking_ends_access_at_once() {
    let h = Harness::new().await;
    let (duid, d, pid, _, agent) = setup(&h).await;
    assert_eq!(grant(&h, &d, &pid).await.status, 200);
    assert_eq!(read(&h, &agent, &format!("/practices/{pid}")).await.status, 200);

    let r = h.call("DELETE", &support_path(&pid), Some(&d), None).await;
    assert_eq!(r.status, 204, "{}", r.body);
    for path in read_paths(&pid, &duid) {
        let r = read(&h, &agent, &path).await;
        assert_eq!((r.status, r.code()), (404, "not_found".into()), "GET {path} after revoke: {}", r.body);
    }
    let state = support_state(&h, &d, &pid).await;
    assert_eq!(state.status, 200, "{}", state.body);
    assert_eq!(state.body["active"], false, "{}", state.body);

    let events = h.events_of("SupportAccessRevoked");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(s(&events[0]["detail"]["practice_id"]), pid);
    let log = h.audit_log(&d, &pid).await;
    let revoked = with_action(&log, "support_access.revoked");
    assert_eq!(revoked.len(), 1, "{log:?}");
    assert_eq!(s(&revoked[0]["actor"]["user_id"]), duid);
    assert_eq!(log[0]["action"], "support_access.revoked", "newest first");

    // No grant: still 204.
    let r = h.call("DELETE", &support_path(&pid), Some(&d), None).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(read(&h, &agent, &format!("/practices/{pid}")).await.status, 404);
    // And a new grant opens it again.
    assert_eq!(grant(&h, &d, &pid).await.status, 200);
    assert_eq!(read(&h, &agent, &format!("/practices/{pid}")).await.status, 200);
}

// R30: past its expiry the grant is dead whatever the state of the sweep.
#[tokio::test]
async fn an_expired_grant_is_dead_before_the_sweep() {
    let h = Harness::new().await;
    let (duid, d, pid, _, _) = setup(&h).await;
    let granted = grant(&h, &d, &pid).await;
    assert_eq!(granted.status, 200, "{}", granted.body);

    h.clock.advance(Duration::days(7) - Duration::seconds(1));
    let agent = h.login(SUPPORT_AGENT).await;
    assert_eq!(read(&h, &agent, &format!("/practices/{pid}")).await.status, 200, "a second before expiry");

    h.clock.advance(Duration::seconds(2));
    for path in read_paths(&pid, &duid) {
        let r = read(&h, &agent, &path).await;
        assert_eq!((r.status, r.code()), (404, "not_found".into()), "GET {path} after expiry: {}", r.body);
    }
    let r = h.call("PATCH", &format!("/practices/{pid}"), Some(&agent), Some(json!({"name": "Mine"}))).await;
    assert_eq!((r.status, r.code()), (404, "not_found".into()), "{}", r.body);
    let d = h.login(DIRECTOR).await;
    let state = support_state(&h, &d, &pid).await;
    assert_eq!(state.status, 200, "{}", state.body);
    assert_eq!(state.body["active"], false, "{}", state.body);
    // Not swept: no expiry event or audit yet.
    assert!(h.events_of("SupportAccessExpired").is_empty());
    assert!(with_action(&h.audit_log(&d, &pid).await, "support_access.expired").is_empty());
}

// R34, R30, R33: the sweep ends grants past expiry (not revoked ones, not
// live ones), with event and audit, once.
#[tokio::test]
async fn the_sweep_expires_grants_once() {
    let h = Harness::new().await;
    let (_, d, pid, _, _) = setup(&h).await;
    let (_, d_b) = h.signup("director.b@clinic.example").await;
    let revoked = h.practice(&d_b, "Revoked Clinic").await;
    let (_, d_c) = h.signup("director.c@clinic.example").await;
    let later = h.practice(&d_c, "Later Clinic").await;
    assert_eq!(grant(&h, &d, &pid).await.status, 200);
    assert_eq!(grant(&h, &d_b, &revoked).await.status, 200);
    assert_eq!(h.call("DELETE", &support_path(&revoked), Some(&d_b), None).await.status, 204);
    let t0 = h.app.now();

    let early = h.sweep_at(t0 + Duration::days(1)).await;
    assert_eq!(early.support_grants_expired, 0, "{early:?}");

    // A grant made on day 3 runs to day 10.
    h.clock.advance(Duration::days(3));
    let d_c = h.login("director.c@clinic.example").await;
    assert_eq!(grant(&h, &d_c, &later).await.status, 200);

    let first = h.sweep_at(t0 + Duration::days(8)).await;
    assert_eq!(first.support_grants_expired, 1, "{first:?}");
    let expired = h.events_of("SupportAccessExpired");
    assert_eq!(expired.len(), 1, "{expired:?}");
    assert_eq!(s(&expired[0]["detail"]["practice_id"]), pid);

    let second = h.sweep_at(t0 + Duration::days(8)).await;
    assert_eq!(second.support_grants_expired, 0, "{second:?}");
    assert_eq!(h.events_of("SupportAccessExpired").len(), 1);

    let d = h.login(DIRECTOR).await;
    let log = h.audit_log(&d, &pid).await;
    assert_eq!(with_action(&log, "support_access.expired").len(), 1, "{log:?}");
    let d_b = h.login("director.b@clinic.example").await;
    assert!(with_action(&h.audit_log(&d_b, &revoked).await, "support_access.expired").is_empty());
    assert!(with_action(&h.audit_log(&d_c, &later).await, "support_access.expired").is_empty());

    // The swept grant reads as inactive; the later one still works.
    assert_eq!(support_state(&h, &d, &pid).await.body["active"], false);
    let agent = h.login(SUPPORT_AGENT).await;
    assert_eq!(read(&h, &agent, &format!("/practices/{pid}")).await.status, 404);
    assert_eq!(read(&h, &agent, &format!("/practices/{later}")).await.status, 200);
    assert_eq!(support_state(&h, &d_c, &later).await.body["active"], true);
}
