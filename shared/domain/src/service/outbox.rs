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

/// Failed deliveries after which an item is dead (R42).
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

/// The item as it is stored after one more failed delivery at `now`: due
/// again after its backoff, or dead at the last allowed attempt.
pub fn after_failure(item: &OutboxItem, now: Time) -> OutboxItem {
    let mut next = item.clone();
    next.attempts = item.attempts.saturating_add(1);
    if next.attempts >= MAX_ATTEMPTS {
        next.dead_at = Some(now);
    } else {
        next.next_attempt_at = Some(now + backoff(next.attempts));
    }
    next
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
async fn attempt(app: &App, out: &Outbound, item: &OutboxItem) -> Result<Outcome, String> {
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

/// Deliver one item and record the outcome on it, stamped by the clock: delivered, it leaves the
/// due index and waits for its TTL; failed, it is due again after its
/// backoff, or dead at the last allowed attempt. A failure to send is an
/// outcome, not an error; the error is only that the outcome could not be
/// recorded, and then the item is as it was and someone must try again.
/// Consumers de-duplicate events by id, so a second delivery is safe.
pub async fn deliver(app: &App, out: &Outbound, item: &OutboxItem) -> Result<Outcome, DomainError> {
    let (outcome, next) = match attempt(app, out, item).await {
        Ok(outcome) => (outcome, item.delivered(app.now())),
        Err(e) => {
            let next = after_failure(item, app.now());
            if next.dead_at.is_some() {
                tracing::error!(outbox_id = %item.id, attempts = next.attempts, error = %e, "outbox item is dead after its last attempt; kept for an operator");
                (Outcome::Dead, next)
            } else {
                tracing::warn!(outbox_id = %item.id, attempts = next.attempts, next_attempt_at = %next.due_at(), error = %e, "outbox delivery failed; left for the sweep");
                (Outcome::Failed, next)
            }
        }
    };
    let mut tx = Tx::new();
    tx.push(Write::RecordOutcome { item: next, attempts: item.attempts });
    match app.store.transact(tx).await {
        Ok(()) => Ok(outcome),
        // The one write's condition: a retried batch or the sweep recorded
        // this attempt first (or the item is gone). Theirs stands.
        Err(PortError::Conflict(_)) => {
            tracing::info!(outbox_id = %item.id, "outcome already recorded; kept");
            Ok(outcome)
        }
        Err(e) => Err(e.into()),
    }
}

/// Deliver an item the change stream reports as new, unless the sweep owns
/// it already: an item past its grace period (`OUTBOX_GRACE_SECONDS`) is
/// due for the sweep, which may have delivered it; a stream record that
/// late (a retried or replayed batch) is dropped, so the two never both
/// send one item. `None` when dropped.
pub async fn deliver_new(app: &App, out: &Outbound, item: &OutboxItem) -> Result<Option<Outcome>, DomainError> {
    if item.due_at() <= app.now() {
        tracing::info!(outbox_id = %item.id, created_at = %item.created_at, "outbox insert past its grace; left to the sweep");
        return Ok(None);
    }
    deliver(app, out, item).await.map(Some)
}

/// The sweep's redelivery of `items`, one after another. Nothing here fails
/// the caller; an item whose outcome could not be recorded stays due. No
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
            Ok(outcome) => result.add(outcome),
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
    fn failures_push_the_next_attempt_out_until_the_tenth_kills_it() {
        let now = chrono::Utc::now();
        let mut i = item();
        for n in 1..MAX_ATTEMPTS {
            i = after_failure(&i, now);
            assert_eq!((i.attempts, i.dead_at), (n, None));
            assert_eq!(i.due_at(), now + backoff(n));
        }
        i = after_failure(&i, now);
        assert_eq!((i.attempts, i.dead_at), (MAX_ATTEMPTS, Some(now)));
    }
}
