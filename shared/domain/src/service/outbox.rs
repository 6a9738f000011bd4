//! Delivery of outbox items after commit, and redelivery by the sweep, with
//! backoff and a dead state (R33, R42). Delivering a task (R37) runs it.

use super::{mail_feedback, tasks};
use crate::metrics::{self, Count};
use crate::model::{OutboxItem, OutboxPayload, Time};
use crate::ports::{App, Key, Record, Tx, Write};
use chrono::Duration;
use std::collections::VecDeque;

/// Failed deliveries after which an item is dead (R42).
pub const MAX_ATTEMPTS: u32 = 10;
/// The wait after the first failure; each further failure doubles it (R42).
const FIRST_BACKOFF_SECONDS: i64 = 60;
/// The longest wait between two attempts (R42: at most 6 hours apart).
const MAX_BACKOFF_SECONDS: i64 = 6 * 60 * 60;

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

/// How long delivery right after a commit may take before it leaves the
/// rest to the sweep: the answer waits for it, API functions time out after
/// 10 seconds, and a timeout after the commit would turn a change that
/// stands into an error (R42). Mail to 150 directors does not fit in it.
pub const AFTER_COMMIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Send each item (run each task), then delete the delivered ones from the
/// outbox; the items a task adds are delivered in the same pass. An item
/// that fails is rewritten with its attempt count raised and its next try
/// pushed out, or marked dead; consumers de-duplicate events by id, so a
/// retry after a lost delete is safe. Nothing here fails the caller: after a
/// commit the change stands whatever delivery does (R42).
///
/// No item is started once `budget` has passed: what is left is stored
/// already and stays due for the sweep.
pub async fn deliver(app: &App, items: Vec<OutboxItem>, now: Time, budget: std::time::Duration) -> Delivery {
    let started = std::time::Instant::now();
    let mut result = Delivery::default();
    let mut queue = VecDeque::from(items);
    while let Some(item) = queue.pop_front() {
        if started.elapsed() >= budget {
            result.left = queue.len() + 1;
            tracing::info!(left = result.left, "outbox delivery out of time; the rest is left for the sweep");
            break;
        }
        let mut skipped = false;
        let sent = match &item.payload {
            OutboxPayload::Mail(m) => match mail_feedback::send(app, m).await {
                Ok(mail_feedback::MailOutcome::Sent) => Ok(()),
                Ok(mail_feedback::MailOutcome::Skipped(_)) => {
                    skipped = true;
                    Ok(())
                }
                Err(e) => Err(e.to_string()),
            },
            OutboxPayload::Event(e) => app.events.publish(std::slice::from_ref(e)).await.map_err(|e| e.to_string()),
            OutboxPayload::Task(t) => match tasks::run(app, item.id, t).await {
                Ok(added) => {
                    queue.extend(added);
                    Ok(())
                }
                Err(e) => Err(e.to_string()),
            },
        };
        let mut tx = Tx::new();
        match sent {
            Ok(()) => {
                match skipped {
                    true => result.skipped += 1,
                    false => result.delivered += 1,
                }
                tx.push(Write::Delete(Key::Outbox(item.id)));
            }
            Err(e) => {
                let next = after_failure(&item, now);
                if next.dead_at.is_some() {
                    result.dead += 1;
                    tracing::error!(outbox_id = %item.id, attempts = next.attempts, error = %e, "outbox item is dead after its last attempt; kept for an operator");
                } else {
                    result.failed += 1;
                    tracing::warn!(outbox_id = %item.id, attempts = next.attempts, next_attempt_at = %next.due_at(), error = %e, "outbox delivery failed; left for the sweep");
                }
                tx.push(Write::Put(Record::Outbox(next)));
            }
        }
        if let Err(e) = app.store.transact(tx).await {
            tracing::warn!(outbox_id = %item.id, error = %e, "could not record outbox delivery");
        }
    }
    metrics::count(Count::OutboxDelivered, result.delivered);
    metrics::count(Count::OutboxFailed, result.failed);
    metrics::count(Count::OutboxDead, result.dead);
    metrics::count(Count::MailSkipped, result.skipped);
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
