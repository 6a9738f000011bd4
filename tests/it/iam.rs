//! Issue 14 item 6: least privilege, kept so. Every route of every function
//! (the authorization matrix's cells, then the flows the matrix only refuses),
//! the delivery of their outbox with every kind of item (issue 15), and a
//! sweep with work due in every stage run on a harness that records
//! each function's DynamoDB calls, mail and events; then each function's
//! role in infra/template.yaml must grant exactly that: no action, index,
//! mail or event permission it did not use, none it used missing, and the
//! audit log's deny on every role. The delivery function's role also reads
//! the table's stream for its event source mapping: exactly those reads,
//! on that stream, and ListStreams, the one action that takes "*".

use crate::common::{repo_yaml, s, Harness, Usage, PASSWORD};
use crate::matrix::{every_cell, Fixture};
use crate::security::{enable_totp, fresh_code, login_mfa, mfa_token};
use chrono::Duration;
use roster_adapters::dynamo::call_log::Call;
use roster_api::Function;
use roster_domain::ids::{EventId, UserId};
use roster_domain::model::{
    Actor, DomainEvent, Mail, MemberStatus, OutboxItem, OutboxPayload, PracticeAudit, Target, Task, UndeliverableReason,
};
use roster_domain::ports::{Record, Tx, Write};
use serde_json::json;
use serde_yaml::Value as Yaml;
use std::collections::{BTreeMap, BTreeSet};

/// Actions no function role may have (issue 14 item 6).
const NEVER: [&str; 3] = ["dynamodb:Scan", "dynamodb:BatchWriteItem", "dynamodb:DescribeTable"];
/// The partitions of the audit log (entity/events.rs `audit_pk`).
const AUDIT_PREFIX: &str = "AUDIT#";
/// What the delivery function's event source mapping reads the table's
/// stream with, as its role: Lambda's calls, not the code's, so no recording
/// sees them. On the table's stream only.
const STREAM_READS: [&str; 3] = ["DescribeStream", "GetRecords", "GetShardIterator"];
/// The one action any role has on every resource: ListStreams has no
/// resource type (Service Authorization Reference), so it takes "*".
const ON_EVERYTHING: [&str; 1] = ["dynamodb:ListStreams"];
/// Where the mapping sends the batches it gave up on.
const FAILED_BATCHES: &str = "sqs:SendMessage on ${DeliveryFailures.Arn}";
/// SAM events that attach an AWS managed policy whose reads allow every
/// stream or queue ("*"): a function declares its mapping and grants itself.
const WIDE_EVENTS: [&str; 5] = ["DynamoDB", "Kinesis", "SQS", "MSK", "MQ"];

/// What one function's role grants, as far as this test knows how to read.
#[derive(Debug, Default)]
struct Grants {
    /// DynamoDB actions allowed on the table itself.
    table: BTreeSet<String>,
    /// DynamoDB actions allowed per index.
    indexes: BTreeMap<String, BTreeSet<String>>,
    /// SES statements allowed.
    ses: Vec<Yaml>,
    /// Whether it may put events on Roster's bus.
    events: bool,
    /// DynamoDB actions allowed on the table's stream.
    stream: BTreeSet<String>,
    /// Actions allowed on every resource ("*").
    everything: BTreeSet<String>,
    /// SQS actions allowed, each with its queue.
    queues: BTreeSet<String>,
    /// Deny statements.
    denies: Vec<Yaml>,
    /// Anything else allowed, described: a grant this test cannot check.
    unknown: Vec<String>,
    /// The partition-key patterns the table grants are limited to
    /// (`ForAllValues:StringLike` on `dynamodb:LeadingKeys`), if they are.
    key_patterns: Option<Vec<String>>,
}

fn as_list(v: &Yaml) -> Vec<Yaml> {
    match v {
        Yaml::Sequence(items) => items.clone(),
        Yaml::Null => Vec::new(),
        one => vec![one.clone()],
    }
}

fn tagged<'a>(v: &'a Yaml, tag: &str) -> Option<&'a Yaml> {
    match v {
        Yaml::Tagged(t) if t.tag == tag => Some(&t.value),
        _ => None,
    }
}

/// A resource as the text CloudFormation substitutes into: `!GetAtt
/// Table.Arn` as `${Table.Arn}`, a `!Sub`'s string as it is.
fn resource_text(v: &Yaml) -> String {
    if let Some(attr) = tagged(v, "!GetAtt").and_then(Yaml::as_str) {
        return format!("${{{attr}}}");
    }
    if let Some(sub) = tagged(v, "!Sub") {
        let text = match sub {
            Yaml::Sequence(parts) => parts.first().and_then(Yaml::as_str),
            other => other.as_str(),
        };
        return text.unwrap_or_default().to_string();
    }
    v.as_str().map(str::to_string).unwrap_or_else(|| format!("{v:?}"))
}

fn actions(statement: &Yaml) -> Vec<String> {
    as_list(&statement["Action"]).iter().filter_map(Yaml::as_str).map(str::to_string).collect()
}

impl Grants {
    fn add(&mut self, statement: &Yaml) {
        if statement["Effect"].as_str() == Some("Deny") {
            self.denies.push(statement.clone());
            return;
        }
        let acts = actions(statement);
        if acts.iter().all(|a| a.starts_with("ses:")) {
            self.ses.push(statement.clone());
            return;
        }
        let patterns = as_list(&statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]);
        if !patterns.is_empty() {
            self.key_patterns = Some(patterns.iter().filter_map(Yaml::as_str).map(String::from).collect());
        }
        for resource in as_list(&statement["Resource"]).iter().map(resource_text) {
            for action in &acts {
                if resource == "*" {
                    self.everything.insert(action.clone());
                    continue;
                }
                if action.starts_with("sqs:") {
                    self.queues.insert(format!("{action} on {resource}"));
                    continue;
                }
                let Some(dynamo) = action.strip_prefix("dynamodb:") else {
                    self.unknown.push(format!("{action} on {resource}"));
                    continue;
                };
                if resource == "${Table.Arn}" {
                    self.table.insert(dynamo.to_string());
                } else if resource == "${Table.StreamArn}" {
                    self.stream.insert(dynamo.to_string());
                } else if let Some(index) = resource.strip_prefix("${Table.Arn}/index/") {
                    self.indexes.entry(index.to_string()).or_default().insert(dynamo.to_string());
                } else {
                    self.unknown.push(format!("{action} on {resource}"));
                }
            }
        }
    }
}

/// The role of `function`'s resource in the template, read from its
/// `Policies`: inline statements, managed policies of this template by
/// `!Ref`, and SAM's EventBridge policy template.
fn grants(template: &Yaml, function: Function) -> Grants {
    let resources = template["Resources"].as_mapping().expect("Resources");
    let (name, resource) = resources
        .iter()
        .find(|(_, r)| {
            r["Type"] == "AWS::Serverless::Function"
                && r["Metadata"]["BuildProperties"]["Binary"].as_str() == Some(function.name())
        })
        .unwrap_or_else(|| panic!("no function resource builds {}", function.name()));
    let mut g = Grants::default();
    for (event, e) in resource["Properties"]["Events"].as_mapping().into_iter().flatten() {
        if e["Type"].as_str().is_some_and(|t| WIDE_EVENTS.contains(&t)) {
            g.unknown.push(format!("event {event:?} of type {:?}: SAM attaches its managed policy", e["Type"]));
        }
    }
    for policy in as_list(&resource["Properties"]["Policies"]) {
        if let Some(statements) = policy.get("Statement") {
            as_list(statements).iter().for_each(|st| g.add(st));
        } else if let Some(managed) = tagged(&policy, "!Ref").and_then(Yaml::as_str) {
            let doc = &template["Resources"][managed];
            assert_eq!(doc["Type"], "AWS::IAM::ManagedPolicy", "{name:?} refers to {managed}, not a managed policy");
            as_list(&doc["Properties"]["PolicyDocument"]["Statement"]).iter().for_each(|st| g.add(st));
        } else if let Some(bus) = policy.get("EventBridgePutEventsPolicy") {
            assert_eq!(tagged(&bus["EventBusName"], "!Ref").and_then(Yaml::as_str), Some("EventBus"), "{name:?}");
            g.events = true;
        } else {
            g.unknown.push(format!("policy {policy:?}"));
        }
    }
    g
}

/// What a function's calls needed: IAM actions on the table, and per index.
fn needed(calls: &[Call]) -> (BTreeSet<String>, BTreeMap<String, BTreeSet<String>>) {
    let mut table = BTreeSet::new();
    let mut indexes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for call in calls {
        let actions = call.iam_actions().into_iter().map(str::to_string);
        match &call.index {
            Some(index) => indexes.entry(index.clone()).or_default().extend(actions),
            None => table.extend(actions),
        }
    }
    (table, indexes)
}

/// The flows the matrix only refuses or takes another branch of, done as
/// they succeed: joining from a link and from one's own list, a reset, a
/// second factor, a password change, a lock, an unlock, renaming a member,
/// a resent verification. In a practice of its own, with onboarding mails
/// on (the matrix turns them off). Returns the practice and its director.
async fn succeeding_flows(h: &Harness) -> (String, String) {
    let (director, d, pid) = h.director("iam-director@clinic.example", "Least Privilege Clinic").await;
    let ok = |r: crate::common::Reply, what: &str| assert!(r.status < 300, "{what}: {} {}", r.status, r.body);

    assert_eq!(h.invite(&d, &pid, "registers@mail.example").await.status, 201);
    let r = h.register(&h.invite_token_for("registers@mail.example"), "Nia", "Okafor", PASSWORD).await;
    ok(r, "register from a link");

    // Past a batch's room of named locations, the invite reads the
    // practice's list instead (a table Query), as it does before it judges
    // them: here, none is the practice's.
    let loc = h.first_location(&d, &pid).await;
    let many: Vec<String> = (0..90).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let body = json!({"email": "many@mail.example", "kind": "staff", "role_id": "front_desk",
        "primary_location_id": loc, "location_access": many});
    let r = h.call("POST", &format!("/practices/{pid}/invitations"), Some(&d), Some(body)).await;
    assert_eq!(r.status, 422, "{}", r.body);

    let (_, joiner) = h.signup("joiner@mail.example").await;
    h.verify("joiner@mail.example").await;
    assert_eq!(h.invite(&d, &pid, "joiner@mail.example").await.status, 201);
    let link = h.invite_token_for("joiner@mail.example");
    ok(h.call("POST", &format!("/invitations/{link}/accept"), Some(&joiner), None).await, "accept from a link");

    let (_, mine) = h.signup("mine@mail.example").await;
    h.verify("mine@mail.example").await;
    let (_, d2, other) = h.director("other-director@clinic.example", "Second Clinic").await;
    assert_eq!(h.invite(&d, &pid, "mine@mail.example").await.status, 201);
    assert_eq!(h.invite(&d2, &other, "mine@mail.example").await.status, 201);
    let list = h.call("GET", "/me/invitations", Some(&mine), None).await;
    let ids: Vec<String> = list.body["items"].as_array().expect("items").iter().map(|i| s(&i["id"])).collect();
    assert_eq!(ids.len(), 2, "{}", list.body);
    ok(h.call("POST", &format!("/me/invitations/{}/accept", ids[0]), Some(&mine), None).await, "accept mine");
    ok(h.call("POST", &format!("/me/invitations/{}/decline", ids[1]), Some(&mine), None).await, "decline mine");

    let r = h.call("POST", "/auth/password-reset", None, Some(json!({"email": "joiner@mail.example"}))).await;
    ok(r, "request a reset");
    let mail = h.mails_to("joiner@mail.example", "password_reset").pop().expect("reset mail");
    let token = crate::common::link_token(&mail, "/reset-password/");
    let body = json!({"token": token, "new_password": PASSWORD});
    ok(h.call("POST", "/auth/password-reset/confirm", None, Some(body)).await, "confirm a reset");

    let joiner = h.login("joiner@mail.example").await;
    let secret = enable_totp(h, &joiner).await;
    let challenge = mfa_token(h, "joiner@mail.example", PASSWORD).await;
    let r = login_mfa(h, &challenge, &fresh_code(h, &secret)).await;
    ok(r, "sign in with a second factor");
    let body = json!({"current_password": PASSWORD, "code": fresh_code(h, &secret)});
    ok(h.call("DELETE", "/me/mfa/totp", Some(&joiner), Some(body)).await, "turn the factor off");
    let body = json!({"current_password": PASSWORD, "new_password": "another long secret"});
    ok(h.call("POST", "/me/password", Some(&joiner), Some(body)).await, "change the password");

    let (uid, _) = h.member(&pid, "locked@mail.example", "front_desk", MemberStatus::Active).await;
    for _ in 0..4 {
        h.login_with("locked@mail.example", "not the password").await;
    }
    assert_eq!(h.login_with("locked@mail.example", "not the password").await.status, 423, "locked");
    let r = h.call("POST", &format!("/practices/{pid}/members/{uid}/unlock"), Some(&d), Some(json!({}))).await;
    ok(r, "unlock");
    // A new name reaches the person's other memberships (a read of them all).
    let r = h
        .call(
            "PATCH",
            &format!("/practices/{pid}/members/{uid}/details"),
            Some(&d),
            Some(json!({"first_name": "Renamed"})),
        )
        .await;
    ok(r, "rename a member");

    let (_, unverified) = h.signup("unverified@mail.example").await;
    ok(h.call("POST", "/auth/verify-email/resend", Some(&unverified), None).await, "resend verification");
    (pid, director)
}

/// Outbox items left for the sweep, as a function that died after its
/// commit would leave them: a mail, an event and both kinds of task.
async fn leave_outbox_for_the_sweep(h: &Harness, pid: &str, director: &str) {
    let at = h.app.now();
    let uid: UserId = director.parse().expect("uid");
    let pid = pid.parse().expect("pid");
    let mail = Mail {
        to: "someone@mail.example".into(),
        subject: "Left over".into(),
        text: "left over".into(),
        html: String::new(),
        template: "account_locked".into(),
    };
    let event = EventId::new();
    let audit = PracticeAudit {
        at,
        actor: Actor::system(),
        action: "user.locked".into(),
        target: Target::new("user", uid),
        before: json!({}),
        after: json!({}),
    };
    let data =
        json!({"practice_name": "Least Privilege Clinic", "granted_by": "Ana Silva", "expires_at": "2030-01-01 00:00"});
    let mut tx = Tx::new();
    for payload in [
        OutboxPayload::Mail(mail),
        OutboxPayload::Event(DomainEvent { id: event, detail_type: "UserLocked".into(), at, detail: json!({}) }),
        OutboxPayload::Task(Task::CopyUser { user_id: uid, audit: Some(audit) }),
        OutboxPayload::Task(Task::MailDirectors { practice_id: pid, template: "support_access_granted".into(), data }),
    ] {
        let id = if matches!(payload, OutboxPayload::Event(_)) { event } else { EventId::new() };
        tx.push(Write::Create(Record::Outbox(OutboxItem::new(id, at, payload))));
    }
    h.app.store.transact(tx).await.expect("leave the outbox");
}

/// What the delivery function does besides sending and recording (issue 15),
/// as it would for a fan-out too large for its change's transaction: both
/// kinds of task, and a mail withheld from a marked address (counted on the
/// mark). Fresh items, so the delivery function takes them, not the sweep.
async fn leave_work_for_delivery(h: &Harness, pid: &str, director: &str) {
    let at = h.app.now();
    let uid: UserId = director.parse().expect("uid");
    let marked = "marked@mail.example";
    h.app.store.mark_undeliverable(marked, UndeliverableReason::Bounced, at).await.expect("mark");
    let mail = Mail {
        to: marked.into(),
        subject: "Withheld".into(),
        text: "withheld".into(),
        html: String::new(),
        template: "account_locked".into(),
    };
    let audit = PracticeAudit {
        at,
        actor: Actor::system(),
        action: "user.unlocked".into(),
        target: Target::new("user", uid),
        before: json!({}),
        after: json!({}),
    };
    let data =
        json!({"practice_name": "Least Privilege Clinic", "granted_by": "Ana Silva", "expires_at": "2030-01-01 00:00"});
    let pid = pid.parse().expect("pid");
    let mut tx = Tx::new();
    for payload in [
        OutboxPayload::Mail(mail),
        OutboxPayload::Task(Task::CopyUser { user_id: uid, audit: Some(audit) }),
        OutboxPayload::Task(Task::MailDirectors { practice_id: pid, template: "support_access_granted".into(), data }),
    ] {
        tx.push(Write::Create(Record::Outbox(OutboxItem::new(EventId::new(), at, payload))));
    }
    h.app.store.transact(tx).await.expect("leave work for delivery");
    h.deliver().await;
}

/// Every route, the succeeding flows, and a sweep with work in every stage:
/// what each function used.
async fn run_everything() -> std::sync::Arc<Usage> {
    let fx = Fixture::new(Harness::recording().await).await;
    let wrong = every_cell(&fx).await;
    assert!(wrong.is_empty(), "the matrix's scenario must hold here too:\n{}", wrong.join("\n"));
    let h = &fx.h;
    let (pid, director) = succeeding_flows(h).await;
    leave_work_for_delivery(h, &pid, &director).await;
    leave_outbox_for_the_sweep(h, &pid, &director).await;
    // Past every invitation's and the support grant's expiry, and every
    // onboarding mail's day.
    h.clock.advance(Duration::days(10));
    let swept = h.sweep_at(h.app.now()).await;
    assert!(swept.invitations_expired > 0, "{swept:?}");
    assert!(swept.support_grants_expired > 0, "{swept:?}");
    assert!(swept.onboarding_sent > 0, "{swept:?}");
    assert!(swept.outbox_delivered >= 4, "{swept:?}");
    // SES reports a bounce for an address Roster knows, as the mail-events
    // function receives it.
    let event = crate::bounce::bounce("Permanent", crate::common::DIRECTOR);
    let fed = h.attributed(Function::MailEvents, roster_api::mail_events::handle(&h.app, &event)).await;
    assert_eq!(fed.expect("feedback").marked, 1);
    h.usage.clone().expect("recording")
}

// Issue 14 item 6, R32: each role grants exactly what its function uses,
// and the audit deny takes nothing from any. One test: nextest runs each in
// a process of its own, and the recording is the costly part.
#[tokio::test]
async fn every_role_grants_what_its_function_uses_and_no_more() {
    let usage = run_everything().await;
    let template = repo_yaml("infra/template.yaml");
    let mut wrong = Vec::new();
    for function in Function::ALL {
        let used = usage.of(function);
        let name = function.name();
        assert!(!used.calls.is_empty(), "{name} made no DynamoDB call in the scenario");
        let g = grants(&template, function);
        let (table, indexes) = needed(&used.calls);
        eprintln!("{name}: table {table:?}, indexes {indexes:?}, mails {}, events {}", used.mails, used.events);
        if g.table != table {
            wrong.push(format!("{name}: the table grants {:?}, the function uses {table:?}", g.table));
        }
        if g.indexes != indexes {
            wrong.push(format!("{name}: the indexes grant {:?}, the function uses {indexes:?}", g.indexes));
        }
        let all_granted = g.table.iter().chain(g.indexes.values().flatten()).map(|a| format!("dynamodb:{a}"));
        for never in all_granted.filter(|a| NEVER.contains(&a.as_str())) {
            wrong.push(format!("{name}: {never} is granted"));
        }
        let mapped = function == Function::Delivery;
        let want = |on: &[&str]| -> BTreeSet<String> { on.iter().filter(|_| mapped).map(|a| a.to_string()).collect() };
        if g.stream != want(&STREAM_READS) {
            wrong.push(format!("{name}: the stream grants {:?}, want {:?}", g.stream, want(&STREAM_READS)));
        }
        if g.everything != want(&ON_EVERYTHING) {
            wrong.push(format!("{name}: \"*\" grants {:?}, want {:?}", g.everything, want(&ON_EVERYTHING)));
        }
        if g.queues != want(&[FAILED_BATCHES]) {
            wrong.push(format!("{name}: queues {:?}, want {:?}", g.queues, want(&[FAILED_BATCHES])));
        }
        if !g.unknown.is_empty() {
            wrong.push(format!("{name}: grants this test cannot check: {:?}", g.unknown));
        }
        if g.events != (used.events > 0) {
            wrong.push(format!("{name}: may put events: {}, published {}", g.events, used.events));
        }
        if g.ses.is_empty() == (used.mails > 0) {
            wrong.push(format!("{name}: SES statements {}, mails sent {}", g.ses.len(), used.mails));
        }
        for st in &g.ses {
            if let Err(e) = sends_as_roster_only(st) {
                wrong.push(format!("{name}: {e}"));
            }
        }
        if let Some(patterns) = &g.key_patterns {
            // A prefix pattern ("EMAIL#*") must take every item the function touched.
            let partitions = used.calls.iter().flat_map(|c| &c.items).map(|i| i.partition.as_str());
            for p in partitions.filter(|p| !patterns.iter().any(|pat| p.starts_with(pat.trim_end_matches('*')))) {
                wrong.push(format!("{name}: touches partition {p:?}, outside its keys {patterns:?}"));
            }
        }
        if !g.denies.iter().any(audit_is_append_only) {
            wrong.push(format!("{name}: no deny on changing or deleting audit items"));
        }
    }
    assert!(wrong.is_empty(), "{} problems:\n{}", wrong.len(), wrong.join("\n"));
    audit_items_are_only_put(&usage);
}

/// R32: the deny on audit partitions takes nothing the functions do: they
/// only ever put audit items, and they do put them where the deny looks.
fn audit_items_are_only_put(usage: &Usage) {
    let mut on_audit = BTreeMap::<&str, usize>::new();
    for function in Function::ALL {
        for call in usage.of(function).calls {
            for item in call.items.iter().filter(|i| i.partition.starts_with(AUDIT_PREFIX)) {
                *on_audit.entry(item.action).or_default() += 1;
            }
        }
    }
    assert!(
        on_audit.get("PutItem").is_some_and(|n| *n > 0),
        "no audit item written under {AUDIT_PREFIX}: {on_audit:?}"
    );
    assert_eq!(on_audit.keys().copied().collect::<Vec<_>>(), ["PutItem"], "{on_audit:?}");
}

/// `ses:SendEmail` alone, on the sender's address and domain identities,
/// from the sender only.
fn sends_as_roster_only(st: &Yaml) -> Result<(), String> {
    if actions(st) != ["ses:SendEmail"] {
        return Err(format!("SES actions {:?}, want ses:SendEmail alone", actions(st)));
    }
    let resources: Vec<String> = as_list(&st["Resource"]).iter().map(resource_text).collect();
    let identity = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/";
    let want = [
        format!("{identity}${{MailFrom}}"),
        format!("{identity}${{Domain}}"),
        "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/${MailConfigurationSet}".into(),
    ];
    if resources != want {
        return Err(format!("SES resources {resources:?}, want {want:?}"));
    }
    let domain = &as_list(tagged(&st["Resource"][1], "!Sub").expect("a !Sub"))[1]["Domain"];
    let split = tagged(domain, "!Select").map(as_list).unwrap_or_default();
    let by_at = split.get(1).and_then(|v| tagged(v, "!Split")).map(as_list).unwrap_or_default();
    if split.first().and_then(Yaml::as_u64) != Some(1) || by_at.first().and_then(Yaml::as_str) != Some("@") {
        return Err(format!("the domain identity is not MailFrom's domain: {domain:?}"));
    }
    let from = &st["Condition"]["StringEquals"]["ses:FromAddress"];
    if tagged(from, "!Ref").and_then(Yaml::as_str) != Some("MailFrom") {
        return Err(format!("no ses:FromAddress condition equal to MailFrom: {:?}", st["Condition"]));
    }
    Ok(())
}

/// A deny of every change to an existing item on the table whose partition
/// key is an audit log's.
fn audit_is_append_only(st: &Yaml) -> bool {
    let acts = actions(st);
    let denied = ["dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"];
    let keys = as_list(&st["Condition"]["ForAnyValue:StringLike"]["dynamodb:LeadingKeys"]);
    denied.iter().all(|a| acts.iter().any(|x| x == a))
        && as_list(&st["Resource"]).iter().map(resource_text).any(|r| r == "${Table.Arn}")
        && keys.iter().any(|k| k.as_str() == Some(&format!("{AUDIT_PREFIX}*")))
}
