//! Delivery of outbox items (R33, R42): one item at a time from the
//! table's change stream (the delivery function), and again by the sweep for
//! what the stream could not deliver, with backoff and a dead state.
//! Delivering a task (R37) runs it; the items it adds reach the stream as
//! their own inserts.

use super::{mail_feedback, tasks};
use crate::error::{DomainError, PortError};
use crate::metrics::{self, Count};
use crate::model::{OutboxItem, OutboxPayload, Time};
use crate::ports::{App, Outbound, Tx, Write};
use chrono::Duration;

/// Attempts after which an item is dead if none delivered it (R42).
pub const MAX_ATTEMPTS: u32 = 10;
/// The wait after the first failure; each further failure doubles it (R42).
const FIRST_BACKOFF_SECONDS: i64 = 60;
/// The longest wait between two attempts (R42: at most 6 hours apart).
const MAX_BACKOFF_SECONDS: i64 = 6 * 60 * 60;

/// What one attempt came to, as recorded on the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// A mail withheld from an address marked undeliverable (issue 14):
    /// done with, like a delivered one.
    Skipped,
    /// Failed; due again after its backoff.
    Failed,
    /// Failed for the last allowed time (R42).
    Dead,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub delivered: usize,
    /// Mails withheld from an address marked undeliverable (issue 14); done
    /// with, like the delivered ones.
    pub skipped: usize,
    /// Failures that will be retried.
    pub failed: usize,
    /// Failures that were the last allowed: the item is now dead.
    pub dead: usize,
    /// Items not tried because the time ran out.
    pub left: usize,
}

/// The wait after the `failures`-th failed delivery: 1 minute, doubling,
/// capped at 6 hours.
pub fn backoff(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(20);
    let seconds = FIRST_BACKOFF_SECONDS.saturating_mul(1i64 << doublings).min(MAX_BACKOFF_SECONDS);
    Duration::seconds(seconds)
}

/// The item as stored before attempt `attempts + 1` is made at `now`: the
/// attempt is counted, and the item is due again after its backoff, as if
/// it failed. Written before anything is sent, so a send whose outcome is
/// never recorded (the process died after the mail service's 200) still
/// counts, and its item cannot come back before the backoff, nor more than
/// `MAX_ATTEMPTS` times.
pub fn attempted(item: &OutboxItem, now: Time) -> OutboxItem {
    let mut next = item.clone();
    next.attempts = item.attempts.saturating_add(1);
    next.next_attempt_at = Some(now + backoff(next.attempts));
    next
}

/// The item as stored once its last allowed attempt failed, or was never
/// recorded at all (R42): kept for an operator, never tried again.
pub fn dead(item: &OutboxItem, now: Time) -> OutboxItem {
    OutboxItem { dead_at: Some(now), ..item.clone() }
}

impl Delivery {
    pub fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Delivered => self.delivered += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Dead => self.dead += 1,
        }
    }

    /// Count these outcomes in the function's metrics.
    pub fn count(&self) {
        metrics::count(Count::OutboxDelivered, self.delivered);
        metrics::count(Count::OutboxFailed, self.failed);
        metrics::count(Count::OutboxDead, self.dead);
        metrics::count(Count::MailSkipped, self.skipped);
    }
}

/// Send the item (run its task) and say how that went.
async fn send(app: &App, out: &Outbound, item: &OutboxItem) -> Result<Outcome, String> {
    match &item.payload {
        OutboxPayload::Mail(m) => match mail_feedback::send(app, out, m).await {
            Ok(mail_feedback::MailOutcome::Sent) => Ok(Outcome::Delivered),
            Ok(mail_feedback::MailOutcome::Skipped(_)) => Ok(Outcome::Skipped),
            Err(e) => Err(e.to_string()),
        },
        OutboxPayload::Event(e) => {
            out.events.publish(std::slice::from_ref(e)).await.map(|()| Outcome::Delivered).map_err(|e| e.to_string())
        }
        OutboxPayload::Task(t) => {
            tasks::run(app, item.id, t).await.map(|()| Outcome::Delivered).map_err(|e| e.to_string())
        }
    }
}

/// Writes `next`, the item after one step of its delivery, over the item
/// as found: neither delivered nor dead, at `attempts` attempts. `false`
/// when that condition failed: someone else (a retried batch, the sweep)
/// took or recorded this step first, or the item is gone. Theirs stands.
async fn record(app: &App, next: OutboxItem, attempts: u32) -> Result<bool, DomainError> {
    let mut tx = Tx::new();
    tx.push(Write::RecordOutcome { item: next, attempts });
    match app.store.transact(tx).await {
        Ok(()) => Ok(true),
        Err(PortError::Conflict(_)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Deliver one item, as found: count the attempt on it (`attempted`), then
/// send, then record how it went. Delivered, it leaves the due index and
/// waits for its TTL; failed, the count written before sending stands and
/// the item is due again after its backoff, or is dead at the last allowed
/// attempt. An item whose last attempt was counted but never got an
/// outcome is dead without another send: at most `MAX_ATTEMPTS` sends,
/// however often a process dies between a send and its record.
///
/// The count is conditional on the count found, so of two deliveries
/// holding the same item (a retried stream batch, the sweep) only one
/// sends; the other gets `None`. A failure to send is an outcome, not an
/// error. The error is a write that failed: before the send, nothing was
/// sent; after it, the item goes again after its backoff, as a failure
/// would. Consumers de-duplicate events by id, so a second send is safe.
pub async fn deliver(app: &App, out: &Outbound, item: &OutboxItem) -> Result<Option<Outcome>, DomainError> {
    if item.attempts >= MAX_ATTEMPTS {
        if !record(app, dead(item, app.now()), item.attempts).await? {
            return Ok(None);
        }
        tracing::error!(outbox_id = %item.id, attempts = item.attempts, "outbox item is dead: its last attempt never recorded an outcome; kept for an operator");
        return Ok(Some(Outcome::Dead));
    }
    let counted = attempted(item, app.now());
    if !record(app, counted.clone(), item.attempts).await? {
        tracing::info!(outbox_id = %item.id, attempts = item.attempts, "outbox attempt taken or recorded by another delivery");
        return Ok(None);
    }
    let (outcome, next) = match send(app, out, item).await {
        Ok(outcome) => (outcome, Some(counted.delivered(app.now()))),
        Err(e) if counted.attempts >= MAX_ATTEMPTS => {
            tracing::error!(outbox_id = %item.id, attempts = counted.attempts, error = %e, "outbox item is dead after its last attempt; kept for an operator");
            (Outcome::Dead, Some(dead(&counted, app.now())))
        }
        Err(e) => {
            tracing::warn!(outbox_id = %item.id, attempts = counted.attempts, next_attempt_at = %counted.due_at(), error = %e, "outbox delivery failed; left for the sweep");
            (Outcome::Failed, None)
        }
    };
    if let Some(next) = next {
        // Fails only if this send outlived its backoff and another delivery
        // counted the next attempt: that one's record stands.
        if !record(app, next, counted.attempts).await? {
            tracing::info!(outbox_id = %item.id, "outcome already recorded; kept");
        }
    }
    Ok(Some(outcome))
}

/// Deliver an item the change stream reports as new, unless the sweep owns
/// it already: an item past its grace period (`OUTBOX_GRACE_SECONDS`) is
/// due for the sweep, and a stream record that late (a retried or replayed
/// batch) is dropped. `None` when dropped, or when its attempt was taken
/// (`deliver`).
pub async fn deliver_new(app: &App, out: &Outbound, item: &OutboxItem) -> Result<Option<Outcome>, DomainError> {
    if item.due_at() <= app.now() {
        tracing::info!(outbox_id = %item.id, created_at = %item.created_at, "outbox insert past its grace; left to the sweep");
        return Ok(None);
    }
    deliver(app, out, item).await
}

/// The sweep's redelivery of `items`, one after another. Nothing here fails
/// the caller; an item whose attempt could not be counted stays due. No
/// item is started once `budget` has passed: what is left stays due too.
pub async fn deliver_all(app: &App, out: &Outbound, items: Vec<OutboxItem>, budget: std::time::Duration) -> Delivery {
    let started = std::time::Instant::now();
    let mut result = Delivery::default();
    let total = items.len();
    for (done, item) in items.iter().enumerate() {
        if started.elapsed() >= budget {
            result.left = total - done;
            tracing::info!(left = result.left, "outbox delivery out of time; the rest is left for the next sweep");
            break;
        }
        match deliver(app, out, item).await {
            Ok(Some(outcome)) => result.add(outcome),
            Ok(None) => {}
            Err(e) => tracing::warn!(outbox_id = %item.id, error = %e, "could not record outbox delivery"),
        }
    }
    result.count();
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::EventId;
    use crate::model::{DomainEvent, OUTBOX_GRACE_SECONDS};

    fn item() -> OutboxItem {
        let id = EventId::new();
        let at = chrono::Utc::now();
        OutboxItem::new(
            id,
            at,
            OutboxPayload::Event(DomainEvent { id, detail_type: "X".into(), at, detail: serde_json::json!({}) }),
        )
    }

    #[test]
    fn backoff_starts_at_a_minute_doubles_and_stops_at_six_hours() {
        let minutes: Vec<i64> = (1..=10).map(|n| backoff(n).num_minutes()).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 64, 128, 256, 360]);
        assert_eq!(backoff(u32::MAX), Duration::hours(6));
    }

    #[test]
    fn a_new_item_waits_out_the_grace_period() {
        let i = item();
        assert_eq!(i.due_at(), i.created_at + Duration::seconds(OUTBOX_GRACE_SECONDS));
    }

    #[test]
    fn each_attempt_is_counted_and_pushes_the_next_out_by_its_backoff() {
        let now = chrono::Utc::now();
        let mut i = item();
        for n in 1..=MAX_ATTEMPTS {
            i = attempted(&i, now);
            assert_eq!((i.attempts, i.dead_at), (n, None));
            assert_eq!(i.due_at(), now + backoff(n));
        }
        assert_eq!(dead(&i, now).dead_at, Some(now));
    }
}
