//! Issue 15 review: a send whose outcome is never recorded (the process
//! died between the event bus's or mail service's 200 and the write that
//! records it) is not sent again on every retry, forever. Each attempt is
//! counted on the item before it is sent, under a condition on the count:
//! a retried stream batch finds the attempt taken and sends nothing, the
//! sweep tries the item again only after its backoff, and after R42's 10
//! attempts the item is dead (docs/design.md, "Outbox").

use crate::common::{fresh_deadline, Harness};
use crate::delivery::{event_image, record, store_image};
use aws_lambda_events::dynamodb::Event;
use chrono::Duration;
use roster_adapters::dynamo::stream::{outbox_item, OUTBOX_KEY_PREFIX};
use roster_domain::error::PortError;
use roster_domain::model::{DomainEvent, OutboxItem};
use roster_domain::ports::EventPublisher;
use roster_domain::service::outbox::{backoff, MAX_ATTEMPTS};
use serde_json::json;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;

/// An event bus that takes every event (the real port writes it) and
/// counts it; while `dies`, it then never answers, so whoever published
/// is stopped right after the bus took the event, as a process that dies
/// there is.
struct Dying {
    inner: Arc<dyn EventPublisher>,
    dies: AtomicBool,
    sends: AtomicUsize,
    sent: Notify,
}

#[async_trait::async_trait]
impl EventPublisher for Dying {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), PortError> {
        self.inner.publish(events).await?;
        self.sends.fetch_add(1, Ordering::SeqCst);
        if !self.dies.load(Ordering::SeqCst) {
            return Ok(());
        }
        self.sent.notify_one();
        std::future::pending().await
    }
}

impl Dying {
    fn sends(&self) -> usize {
        self.sends.load(Ordering::SeqCst)
    }

    /// Runs `work` until the bus has taken an event, then drops it:
    /// nothing after the send runs.
    async fn die_after_send<T>(&self, work: impl Future<Output = T>) {
        tokio::select! {
            _ = work => panic!("the work ended without sending"),
            () = self.sent.notified() => {}
        }
    }
}

fn dying(h: &mut Harness) -> Arc<Dying> {
    let bus = Arc::new(Dying {
        inner: h.out.events.clone(),
        dies: AtomicBool::new(true),
        sends: AtomicUsize::new(0),
        sent: Notify::new(),
    });
    h.out.events = bus.clone();
    bus
}

/// The one undelivered, live item in the outbox.
async fn only_pending(h: &Harness) -> OutboxItem {
    let mut pending = h.app.store.pending_outbox(10).await.expect("outbox");
    assert_eq!(pending.len(), 1, "{pending:?}");
    pending.remove(0)
}

// The sweep: each run whose send is never recorded counts one attempt and
// pushes the next out by its backoff; after the 10th the item is dead, not
// sent an 11th time, and no later run touches it.
#[tokio::test]
async fn a_send_never_recorded_is_tried_at_most_ten_times_then_dead() {
    let mut h = Harness::new().await;
    let bus = dying(&mut h);
    let id = uuid::Uuid::now_v7().to_string();
    store_image(&h, &event_image(&id, h.app.now() - Duration::minutes(10))).await;

    for n in 1..=MAX_ATTEMPTS {
        bus.die_after_send(h.sweep_at(h.app.now())).await;
        assert_eq!(bus.sends(), n as usize, "one send per run");
        let item = only_pending(&h).await;
        assert_eq!((item.attempts, item.delivered_at, item.dead_at), (n, None, None), "{item:?}");
        assert_eq!(item.due_at(), h.app.now() + backoff(n), "not before its backoff");
        h.clock.advance(backoff(n));
    }
    let last = h.sweep_at(h.app.now()).await;
    assert_eq!((last.outbox_delivered, last.outbox_failed, last.outbox_dead), (0, 0, 1), "{last:?}");
    assert_eq!(bus.sends(), MAX_ATTEMPTS as usize, "no 11th send");
    assert!(h.app.store.pending_outbox(10).await.expect("outbox").is_empty());
    let dead = h.app.store.dead_outbox(10).await.expect("dead outbox");
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!((dead[0].id.to_string(), dead[0].attempts, dead[0].dead_at), (id, MAX_ATTEMPTS, Some(h.app.now())));

    for later in [Duration::hours(7), Duration::days(30)] {
        h.clock.advance(later);
        let s = h.sweep_at(h.app.now()).await;
        assert_eq!((s.outbox_delivered, s.outbox_failed, s.outbox_dead), (0, 0, 0), "{s:?}");
    }
    assert_eq!(bus.sends(), MAX_ATTEMPTS as usize);
}

// The stream: the delivery function dies after its send; Lambda retries
// the batch, which finds the attempt counted and sends nothing. The sweep
// sends it once more after the backoff, and it ends delivered.
#[tokio::test]
async fn a_retried_batch_does_not_send_again_what_a_dead_delivery_sent() {
    let mut h = Harness::new().await;
    let bus = dying(&mut h);
    let now = h.app.now();
    let id = uuid::Uuid::now_v7().to_string();
    let image = event_image(&id, now);
    store_image(&h, &image).await;
    let batch = || -> Event {
        let records = json!({"Records": [record("INSERT", &format!("{OUTBOX_KEY_PREFIX}{id}"), image.clone(), 1)]});
        serde_json::from_value(records).expect("a DynamoDB stream event")
    };

    bus.die_after_send(roster_api::delivery::handle(&h.app, &h.out, outbox_item, batch(), fresh_deadline())).await;
    assert_eq!(bus.sends(), 1);

    bus.dies.store(false, Ordering::SeqCst);
    let answer = roster_api::delivery::handle(&h.app, &h.out, outbox_item, batch(), fresh_deadline()).await;
    assert!(answer.expect("answered").batch_item_failures.is_empty());
    assert_eq!(bus.sends(), 1, "the retried record is not sent again");
    let item = only_pending(&h).await;
    assert_eq!((item.attempts, item.due_at()), (1, now + backoff(1)), "{item:?}");

    let early = h.sweep_on_time(now + backoff(1) - Duration::seconds(1)).await;
    assert_eq!((early.outbox_delivered, bus.sends()), (0, 1), "{early:?}");
    let swept = h.sweep_on_time(now + backoff(1)).await;
    assert_eq!((swept.outbox_delivered, swept.outbox_dead), (1, 0), "{swept:?}");
    assert_eq!(bus.sends(), 2);
    assert!(h.app.store.pending_outbox(10).await.expect("outbox").is_empty());
    assert!(h.app.store.dead_outbox(10).await.expect("dead outbox").is_empty());
}
