//! The outbox fed to the delivery function after every request and sweep
//! the harness runs, as Lambda's event source mapping feeds it in AWS:
//! `deliver` hands `roster_api::delivery::handle` each batch of new records
//! until it has caught up.
//!
//! A streaming harness (`Harness::streaming`) reads the batches off the
//! table's stream on DynamoDB Local, with the same poller as `make dev`.
//! Every other harness makes them from the outbox items the table holds,
//! each an INSERT record with the image the stream would carry: DynamoDB
//! Local slows every write to a table with a stream by about a millisecond
//! per thousand stream records it keeps (all tables' together, for a day,
//! measured 2026-11-30), which a whole `make test` would pay many times
//! over.
//!
//! Caught up is a fact read from the table, not a wait: every outbox item
//! the stream still owes (never tried, not yet past its grace period, so not
//! the sweep's) has appeared in a record handed over.

use super::{env_url, Harness};
use aws_lambda_events::dynamodb::{Event, EventRecord};
use roster_adapters::dynamo::local_stream::{Start, StreamPoller};
use roster_adapters::dynamo::stream::{image_of, outbox_item, INSERT, OUTBOX_KEY_PREFIX};
use roster_api::Function;
use roster_domain::model::OutboxItem;
use roster_domain::ports::App;
use serde_dynamo::AttributeValue;
use std::collections::HashSet;
use std::time::Duration;

/// The pause between two reads of a stream that has nothing new yet while
/// an item is still owed (DynamoDB Local shows a write at once, so this is
/// rarely taken), and how many such pauses make the pump give up.
const PAUSE: Duration = Duration::from_millis(5);
const PATIENCE: usize = 2000;

enum Feed {
    Stream(Box<StreamPoller>),
    Outbox,
}

pub struct Pump {
    feed: Feed,
    /// The partition keys of every record handed over so far.
    seen: HashSet<String>,
    /// Records made from the outbox so far (their sequence numbers).
    made: u64,
    /// The batch item failures the delivery function answered, in order.
    failures: Vec<String>,
}

impl Pump {
    /// A pump of `table`'s stream, from its first record.
    pub async fn stream(client: &aws_sdk_dynamodb::Client, table: &str) -> Self {
        let endpoint = env_url("ROSTER_TEST_DYNAMODB");
        let poller =
            StreamPoller::open(client, &endpoint, table, Start::TrimHorizon).await.expect("the table's stream");
        Self { feed: Feed::Stream(Box::new(poller)), seen: HashSet::new(), made: 0, failures: Vec::new() }
    }

    /// A pump that makes its records from the outbox.
    pub fn outbox() -> Self {
        Self { feed: Feed::Outbox, seen: HashSet::new(), made: 0, failures: Vec::new() }
    }

    /// The INSERT record the stream would carry for `item`.
    fn record_of(&mut self, item: &OutboxItem) -> EventRecord {
        self.made += 1;
        let image = image_of(item).expect("the item's image");
        let mut record = EventRecord::default();
        record.event_name = INSERT.into();
        record.event_source = Some("aws:dynamodb".into());
        record.change.keys = ["PK", "SK"]
            .into_iter()
            .filter_map(|k| image.get(k).map(|v| (k.to_string(), v.clone())))
            .collect::<std::collections::HashMap<_, _>>()
            .into();
        record.change.new_image = image;
        record.change.sequence_number = Some(format!("{:021}", self.made));
        record
    }
}

/// The deadline of an invocation that has just begun: the delivery
/// function's timeout away (infra/template.yaml).
pub fn fresh_deadline() -> std::time::SystemTime {
    std::time::SystemTime::now() + Duration::from_secs(30)
}

fn key(item: &OutboxItem) -> String {
    format!("{OUTBOX_KEY_PREFIX}{}", item.id)
}

impl Harness {
    /// Feed the outbox to the delivery function until it has caught up. A
    /// boxed future made in a frame of its own: requests end with it, tests
    /// hold many requests in one future, and a debug build's stack overflows
    /// if each polling frame has room for it inline.
    pub fn deliver(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + '_>> {
        Box::pin(self.deliver_now())
    }

    async fn deliver_now(&self) {
        let mut pump = self.stream.lock().await;
        // The store as built: a test's counting store sees requests only.
        let app = App { store: self.store.clone(), ..self.app.clone() };
        let mut idle = 0;
        while idle < PATIENCE {
            let now = self.app.now();
            let pending = self.store.pending_outbox(1000).await.expect("outbox");
            let owed: Vec<OutboxItem> = pending
                .into_iter()
                .filter(|i| i.attempts == 0 && i.due_at() > now && !pump.seen.contains(&key(i)))
                .collect();
            if owed.is_empty() {
                return;
            }
            let event = match &mut pump.feed {
                Feed::Stream(poller) => poller.poll().await.expect("read the stream"),
                Feed::Outbox => {
                    let mut event = Event::default();
                    event.records = owed.iter().map(|i| pump.record_of(i)).collect();
                    event
                }
            };
            if event.records.is_empty() {
                idle += 1;
                tokio::time::sleep(PAUSE).await;
                continue;
            }
            for record in &event.records {
                if let Some(AttributeValue::S(pk)) = record.change.keys.get("PK") {
                    pump.seen.insert(pk.clone());
                }
            }
            let delivered = roster_api::delivery::handle(&app, &self.out, outbox_item, event, fresh_deadline());
            let answer = self.attributed(Function::Delivery, delivered).await.expect("delivery answers");
            pump.failures.extend(answer.batch_item_failures.into_iter().filter_map(|f| f.item_identifier));
        }
        panic!("the stream never showed an outbox item the table holds");
    }

    /// The batch item failures the delivery function has answered so far.
    pub async fn delivery_failures(&self) -> Vec<String> {
        self.stream.lock().await.failures.clone()
    }
}
