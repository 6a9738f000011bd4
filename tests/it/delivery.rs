//! Issue 15 item 3: delivery off the request path. A request only commits;
//! the delivery function takes each new outbox item off the table's stream,
//! sends it and records the outcome on the item; what it cannot send waits
//! for the sweep (R33, R42). These tests read the real stream of DynamoDB
//! Local (`Harness::streaming`); the rest of the suite feeds the same
//! function records made from the table (common/stream.rs says why).

use crate::common::{fresh_deadline, repo_yaml, s, Harness};
use aws_lambda_events::dynamodb::Event;
use chrono::Duration;
use roster_adapters::dynamo::stream::{image_of, INSERT};
use roster_adapters::dynamo::stream::{outbox_item, OUTBOX_KEY_PREFIX};
use roster_adapters::dynamo::DynamoStore;
use roster_api::delivery::STOP_BEFORE_DEADLINE;
use roster_api::Function;
use roster_domain::ids::EventId;
use roster_domain::model::{DomainEvent, OutboxItem, OutboxPayload, Task, OUTBOX_GRACE_SECONDS};
use roster_domain::ports::{App, Record, Tx, Write};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::SystemTime;

const EMAIL: &str = "stream@clinic.example";

fn signup_body() -> Value {
    json!({"email": EMAIL, "password": "correct horse battery", "first_name": "Sam", "last_name": "Reed"})
}

/// The outbox item of an event, straight from the table.
async fn stored_item(
    h: &Harness,
    id: &str,
) -> std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
    let mut found = h.partition(&format!("{OUTBOX_KEY_PREFIX}{id}")).await;
    assert_eq!(found.len(), 1, "{found:?}");
    found.remove(0)
}

// The stream carries a change's mail and event to the delivery function:
// both arrive, and each item leaves the due index with a TTL a week on.
#[tokio::test]
async fn a_change_is_delivered_from_the_stream_and_its_items_wait_for_ttl() {
    let h = Harness::streaming().await;
    let r = h.call("POST", "/auth/signup", None, Some(signup_body())).await;
    assert_eq!(r.status, 201, "{}", r.body);

    assert_eq!(h.mails_to(EMAIL, "verify_email").len(), 1);
    let events = h.events_of("UserSignedUp");
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(h.app.store.pending_outbox(10).await.expect("outbox").is_empty(), "nothing left due");

    let item = stored_item(&h, &s(&events[0]["id"])).await;
    assert!(!item.contains_key("GSI1PK"), "out of the due index: {item:?}");
    let delivered_at = item["delivered_at"].as_s().expect("delivered_at");
    let delivered_at: chrono::DateTime<chrono::Utc> = delivered_at.parse().expect("a time");
    let ttl: i64 = item["ttl"].as_n().expect("ttl").parse().expect("epoch seconds");
    assert_eq!(ttl, (delivered_at + Duration::days(7)).timestamp());
    assert_eq!(h.delivery_failures().await, Vec::<String>::new());
}

// R42: the mail service refusing is an outcome, recorded on the item off
// the stream; the sweep sends it after its backoff.
#[tokio::test]
async fn a_refused_mail_is_recorded_off_the_stream_and_the_sweep_sends_it_later() {
    let mut h = Harness::streaming().await;
    let working = h.out.mailer.clone();
    h.out.mailer = crate::outbox::failing_mailer(&h);
    let now = h.app.now();
    let r = h.call("POST", "/auth/signup", None, Some(signup_body())).await;
    assert_eq!(r.status, 201, "the answer is the change's: {}", r.body);

    let pending = h.app.store.pending_outbox(10).await.expect("outbox");
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!((pending[0].attempts, pending[0].due_at()), (1, now + Duration::minutes(1)));
    assert!(h.mails().is_empty());
    assert_eq!(h.events_of("UserSignedUp").len(), 1, "the event of the same change went out");

    h.out.mailer = working;
    assert_eq!(h.sweep_at(now + Duration::seconds(59)).await.outbox_delivered, 0, "not before its backoff");
    assert_eq!(h.sweep_at(now + Duration::minutes(1)).await.outbox_delivered, 1);
    assert_eq!(h.mails_to(EMAIL, "verify_email").len(), 1);
    assert!(h.app.store.pending_outbox(10).await.expect("outbox").is_empty());
}

// A request sends nothing itself: its answer comes with the items still in
// the outbox, and only the delivery function's run sends them.
#[tokio::test]
async fn a_request_answers_before_any_delivery() {
    let h = Harness::new().await;
    let req = lambda_http::http::Request::builder()
        .method("POST")
        .uri("https://api.roster.test/auth/signup")
        .header("content-type", "application/json")
        .body(lambda_http::Body::from(signup_body().to_string()))
        .expect("request");
    let resp = roster_api::handle(&h.app, Function::Auth, req).await;
    assert_eq!(resp.status().as_u16(), 201);
    assert!(h.mails().is_empty() && h.events().is_empty(), "the request sent nothing");
    let pending = h.app.store.pending_outbox(10).await.expect("outbox");
    assert_eq!(pending.len(), 2, "its mail and event wait: {pending:?}");
    assert!(pending.iter().all(|i| i.attempts == 0));

    h.deliver().await;
    assert_eq!(h.mails_to(EMAIL, "verify_email").len(), 1);
    assert_eq!(h.events_of("UserSignedUp").len(), 1);
}

/// A record as the event source mapping sends it.
pub fn record(name: &str, pk: &str, image: Value, sequence: u32) -> Value {
    json!({
        "eventID": format!("e{sequence}"), "eventName": name, "eventVersion": "1.1",
        "eventSource": "aws:dynamodb", "awsRegion": "eu-west-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1796059320.0,
            "Keys": {"PK": {"S": pk}, "SK": {"S": "OUTBOX"}},
            "NewImage": image,
            "SequenceNumber": format!("{sequence:021}"), "SizeBytes": 100, "StreamViewType": "NEW_IMAGE"
        }
    })
}

/// The image of a new outbox item holding an event, created at `at`.
pub fn event_image(id: &str, at: chrono::DateTime<chrono::Utc>) -> Value {
    json!({
        "PK": {"S": format!("{OUTBOX_KEY_PREFIX}{id}")}, "SK": {"S": "OUTBOX"}, "type": {"S": "outbox"},
        "id": {"S": id}, "created_at": {"S": at.to_rfc3339()}, "attempts": {"N": "0"},
        "next_attempt_at": {"S": (at + Duration::seconds(OUTBOX_GRACE_SECONDS)).to_rfc3339()},
        "dead_at": {"NULL": true}, "delivered_at": {"NULL": true},
        "payload": {"M": {"kind": {"S": "event"}, "body": {"M": {
            "id": {"S": id}, "detail_type": {"S": "SeatAdded"}, "at": {"S": at.to_rfc3339()}, "detail": {"M": {}}
        }}}}
    })
}

/// The outbox item an INSERT record of `image` reports, written to the table
/// as the change that made the record wrote it.
pub async fn store_image(h: &Harness, image: &Value) -> OutboxItem {
    let image = serde_json::from_value(image.clone()).expect("an image");
    let item = outbox_item(INSERT, &image).expect("an outbox item").expect("readable");
    let mut tx = Tx::new();
    tx.push(Write::Create(Record::Outbox(item.clone())));
    h.app.store.transact(tx).await.expect("the item");
    item
}

// Records that are no new outbox item the function still owns are ignored,
// never an error: changes, removals, a TTL deletion under a name the SDKs
// do not know, other items, an unreadable image, an item past its grace.
#[tokio::test]
async fn unexpected_records_are_ignored() {
    let h = Harness::new().await;
    let now = h.app.now();
    let id = uuid::Uuid::now_v7().to_string();
    let pk = format!("{OUTBOX_KEY_PREFIX}{id}");
    let late = uuid::Uuid::now_v7().to_string();
    let mut broken = event_image(&id, now);
    broken["payload"] = json!({"S": "not a payload"});
    let event: Event = serde_json::from_value(json!({"Records": [
        record("MODIFY", &pk, event_image(&id, now), 1),
        record("REMOVE", &pk, json!({}), 2),
        record("TTL_DELETE", &pk, json!({}), 3),
        record("INSERT", "USER#1", json!({"PK": {"S": "USER#1"}, "SK": {"S": "PROFILE"}, "type": {"S": "user"}}), 4),
        record("INSERT", &pk, broken, 5),
        record("INSERT", &format!("{OUTBOX_KEY_PREFIX}{late}"), event_image(&late, now - Duration::minutes(5)), 6),
    ]}))
    .expect("a DynamoDB stream event");
    let answer =
        roster_api::delivery::handle(&h.app, &h.out, outbox_item, event, fresh_deadline()).await.expect("answered");
    assert!(answer.batch_item_failures.is_empty(), "{answer:?}");
    assert!(h.events().is_empty() && h.mails().is_empty());
    assert!(h.partition(&pk).await.is_empty() && h.partition(&format!("{OUTBOX_KEY_PREFIX}{late}")).await.is_empty());

    // The same function takes the same item when it is an insert.
    store_image(&h, &event_image(&id, now)).await;
    let event: Event = serde_json::from_value(json!({"Records": [record("INSERT", &pk, event_image(&id, now), 7)]}))
        .expect("a DynamoDB stream event");
    let answer =
        roster_api::delivery::handle(&h.app, &h.out, outbox_item, event, fresh_deadline()).await.expect("answered");
    assert!(answer.batch_item_failures.is_empty(), "{answer:?}");
    assert_eq!(h.events_of("SeatAdded").len(), 1);
}

// Only a record whose attempt or outcome could not be written is a batch
// item failure, and nothing after it is tried: Lambda retries from it. An
// attempt that could not be counted sends nothing.
#[tokio::test]
async fn an_attempt_that_cannot_be_counted_is_the_batch_item_failure() {
    let h = Harness::new().await;
    let now = h.app.now();
    // A store whose table is gone: counting the attempt fails.
    let gone = DynamoStore::new(h.client.clone(), format!("{}-gone", h.table));
    let app = App { store: Arc::new(gone), ..h.app.clone() };
    let (first, second) = (uuid::Uuid::now_v7().to_string(), uuid::Uuid::now_v7().to_string());
    let event: Event = serde_json::from_value(json!({"Records": [
        record("INSERT", &format!("{OUTBOX_KEY_PREFIX}{first}"), event_image(&first, now), 1),
        record("INSERT", &format!("{OUTBOX_KEY_PREFIX}{second}"), event_image(&second, now), 2),
    ]}))
    .expect("a DynamoDB stream event");
    let answer =
        roster_api::delivery::handle(&app, &h.out, outbox_item, event, fresh_deadline()).await.expect("answered");
    let failed: Vec<_> = answer.batch_item_failures.iter().filter_map(|f| f.item_identifier.clone()).collect();
    assert_eq!(failed, vec![format!("{:021}", 1)]);
    assert!(h.events().is_empty(), "nothing sent, the second not tried: {:?}", h.events());
}

/// A YAML value as the template spells it, tags included.
fn yaml(text: &str) -> serde_yaml::Value {
    serde_yaml::from_str(text).expect("YAML")
}

fn number(v: &serde_yaml::Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("a number: {v:?}"))
}

// The event source mapping as the design needs it, and the grace period
// longer than any record the stream may still deliver.
#[test]
fn the_stream_mapping_is_bounded_filtered_and_within_the_grace_period() {
    let t = repo_yaml("infra/template.yaml");
    let table = &t["Resources"]["Table"]["Properties"];
    assert_eq!(table["StreamSpecification"]["StreamViewType"], "NEW_IMAGE");
    let f = &t["Resources"]["DeliveryFunction"]["Properties"];
    let source = &t["Resources"]["DeliveryFunctionOutbox"];
    assert_eq!(source["Type"], "AWS::Lambda::EventSourceMapping");
    let p = &source["Properties"];
    assert_eq!(p["FunctionName"], yaml("!Ref DeliveryFunction"));
    assert_eq!(p["EventSourceArn"], yaml("!GetAtt Table.StreamArn"));
    assert!((0..=10).contains(&number(&p["MaximumRetryAttempts"])), "bounded retries");
    assert_eq!(p["BisectBatchOnFunctionError"], true);
    assert_eq!(p["FunctionResponseTypes"][0], "ReportBatchItemFailures");
    assert_eq!(p["DestinationConfig"]["OnFailure"]["Destination"], yaml("!GetAtt DeliveryFailures.Arn"));
    let oldest = number(&p["MaximumRecordAgeInSeconds"]);
    assert!(oldest + number(&f["Timeout"]) < OUTBOX_GRACE_SECONDS, "the sweep waits out the stream");
    let margin = STOP_BEFORE_DEADLINE.as_secs() as i64;
    assert!(margin < number(&f["Timeout"]), "time left for a batch");
    assert!(roster_adapters::aws::OUTBOUND_OPERATION_TIMEOUT < STOP_BEFORE_DEADLINE, "a send fits the margin");
    let pattern: Value = serde_json::from_str(p["FilterCriteria"]["Filters"][0]["Pattern"].as_str().expect("pattern"))
        .expect("JSON pattern");
    assert_eq!(
        pattern,
        json!({"eventName": ["INSERT"], "dynamodb": {"Keys": {"PK": {"S": [{"prefix": OUTBOX_KEY_PREFIX}]}}}})
    );
}

// A batch that would run past the invocation's timeout is retried whole by
// Lambda, sending again what it had sent: near its deadline the function
// starts nothing more and names the first record it did not start.
#[tokio::test]
async fn near_its_deadline_a_batch_stops_and_is_retried_from_the_first_record_not_started() {
    let h = Harness::new().await;
    let now = h.app.now();
    let (first, second) = (uuid::Uuid::now_v7().to_string(), uuid::Uuid::now_v7().to_string());
    store_image(&h, &event_image(&first, now)).await;
    store_image(&h, &event_image(&second, now)).await;
    let records = json!({"Records": [
        record("INSERT", &format!("{OUTBOX_KEY_PREFIX}{first}"), event_image(&first, now), 1),
        record("INSERT", &format!("{OUTBOX_KEY_PREFIX}{second}"), event_image(&second, now), 2),
    ]});
    let event: Event = serde_json::from_value(records.clone()).expect("a DynamoDB stream event");
    let near = SystemTime::now() + STOP_BEFORE_DEADLINE - std::time::Duration::from_secs(1);
    let answer = roster_api::delivery::handle(&h.app, &h.out, outbox_item, event, near).await.expect("answered");
    let failed: Vec<_> = answer.batch_item_failures.iter().filter_map(|f| f.item_identifier.clone()).collect();
    assert_eq!(failed, vec![format!("{:021}", 1)]);
    assert!(h.events().is_empty(), "nothing started: {:?}", h.events());

    let event: Event = serde_json::from_value(records).expect("a DynamoDB stream event");
    let answer = roster_api::delivery::handle(&h.app, &h.out, outbox_item, event, fresh_deadline()).await;
    assert!(answer.expect("answered").batch_item_failures.is_empty());
    assert_eq!(h.events_of("SeatAdded").len(), 2);
}

// A record delivered again (a retried batch) finds its outcome recorded
// already: that outcome stands, nothing is sent again, and the record is
// no failure.
#[tokio::test]
async fn an_outcome_recorded_first_is_never_undone() {
    let h = Harness::new().await;
    let now = h.app.now();
    let id = uuid::Uuid::now_v7().to_string();
    let pk = format!("{OUTBOX_KEY_PREFIX}{id}");
    let image = event_image(&id, now);
    let item = outbox_item(INSERT, &serde_json::from_value(image.clone()).expect("an image"))
        .expect("an outbox item")
        .expect("readable");
    let mut tx = Tx::new();
    tx.push(Write::Create(Record::Outbox(item.delivered(now - Duration::minutes(1)))));
    h.app.store.transact(tx).await.expect("delivered once");
    let before = stored_item(&h, &id).await;

    let event: Event = serde_json::from_value(json!({"Records": [record("INSERT", &pk, image, 1)]})).expect("event");
    let answer = roster_api::delivery::handle(&h.app, &h.out, outbox_item, event, fresh_deadline()).await;
    assert!(answer.expect("answered").batch_item_failures.is_empty());
    assert_eq!(stored_item(&h, &id).await, before, "still delivered as first recorded");
    assert!(h.events().is_empty(), "not sent again: {:?}", h.events());
}

// A task run again (its outcome lost) finds the mails it wrote the first
// time delivered: it leaves them so, and no director is mailed twice.
#[tokio::test]
async fn a_task_run_again_mails_no_director_twice() {
    let h = Harness::new().await;
    let director = "twice@clinic.example";
    let (_, _, pid) = h.director(director, "Twice Clinic").await;
    let data = json!({"practice_name": "Twice Clinic", "granted_by": "Ana Silva", "expires_at": "2030-01-01 00:00"});
    let payload = OutboxPayload::Task(Task::MailDirectors {
        practice_id: pid.parse().expect("pid"),
        template: "support_access_granted".into(),
        data,
    });
    let task = OutboxItem::new(EventId::new(), h.app.now() - Duration::minutes(5), payload);
    for minutes in [2, 30] {
        let mut tx = Tx::new();
        tx.push(Write::Put(Record::Outbox(task.clone())));
        h.app.store.transact(tx).await.expect("the task, undelivered");
        let swept = h.sweep_at(h.app.now() + Duration::minutes(minutes)).await;
        assert_eq!(swept.outbox_delivered, 1, "{swept:?}");
    }
    h.sweep_at(h.app.now() + Duration::hours(2)).await;
    assert_eq!(h.mails_to(director, "support_access_granted").len(), 1);
}

// One unreadable item in the due list is skipped, not the end of the
// sweep's stage: the items after it are still delivered (R42).
#[tokio::test]
async fn an_unreadable_due_item_holds_back_none_after_it() {
    let h = Harness::new().await;
    let at = h.app.now() - Duration::minutes(10);
    let item = |minutes| {
        let id = EventId::new();
        let event = DomainEvent { id, detail_type: "SeatAdded".into(), at, detail: json!({}) };
        OutboxItem::new(id, at + Duration::minutes(minutes), OutboxPayload::Event(event))
    };
    let (poisoned, good) = (item(0), item(1));
    let mut image = image_of(&poisoned).expect("an image");
    image.insert("payload".into(), serde_dynamo::AttributeValue::S("not a payload".into()));
    let image: std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> = image.into();
    h.client.put_item().table_name(&h.table).set_item(Some(image)).send().await.expect("the poisoned item");
    let mut tx = Tx::new();
    tx.push(Write::Create(Record::Outbox(good)));
    h.app.store.transact(tx).await.expect("the good item");

    let swept = h.sweep_at(h.app.now()).await;
    assert_eq!(swept.outbox_delivered, 1, "{swept:?}");
    assert_eq!(h.events_of("SeatAdded").len(), 1);
}
