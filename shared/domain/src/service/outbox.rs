//! Delivery of outbox items after commit, and redelivery by the sweep.

use crate::model::{OutboxItem, OutboxPayload};
use crate::ports::{App, Key, Record, Tx, Write};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub delivered: usize,
    pub failed: usize,
}

/// Send each item, then delete the delivered ones from the outbox. An item
/// that fails stays, with its attempt count raised, for the sweep to retry;
/// consumers de-duplicate events by id, so a retry after a lost delete is safe.
pub async fn deliver(app: &App, items: Vec<OutboxItem>) -> Delivery {
    let mut result = Delivery::default();
    for item in items {
        let sent = match &item.payload {
            OutboxPayload::Mail(m) => app.mailer.send(m).await,
            OutboxPayload::Event(e) => app.events.publish(std::slice::from_ref(e)).await,
        };
        let mut tx = Tx::new();
        match sent {
            Ok(()) => {
                result.delivered += 1;
                tx.push(Write::Delete(Key::Outbox(item.id)));
            }
            Err(e) => {
                result.failed += 1;
                tracing::warn!(outbox_id = %item.id, attempts = item.attempts + 1, error = %e, "outbox delivery failed; left for the sweep");
                let mut retry = item.clone();
                retry.attempts += 1;
                tx.push(Write::Put(Record::Outbox(retry)));
            }
        }
        if let Err(e) = app.store.transact(tx).await {
            tracing::warn!(outbox_id = %item.id, error = %e, "could not record outbox delivery");
        }
    }
    result
}
