//! The `delivery` function's entry: batches of the table's change stream, as
//! the event source mapping hands them over (infra/template.yaml), each
//! outbox item inserted delivered and its outcome recorded on it
//! (`outbox::deliver`).
//!
//! An item already due for the sweep (past its grace period) is the
//! sweep's: a record that late is dropped (`outbox::deliver_new`).
//!
//! Records that hold no new outbox item (other items, changes, removals,
//! TTL deletions, event names added later) are ignored: the mapping's
//! filter should keep them out, and a local poller or a replay may not. An
//! outbox insert whose image cannot be read is dropped with an error log;
//! retrying it would never make it readable, and the sweep still finds it
//! by the due index.
//!
//! Only a record whose attempt or outcome could not be written is reported
//! as a batch item failure, and nothing after it in the batch is tried:
//! Lambda retries from the lowest failed sequence number. A record retried
//! that way is not sent twice: each attempt is counted on the item before
//! it is sent, under a condition a second delivery of the same insert
//! fails (`outbox::deliver`). So is the first record not started because
//! the invocation's deadline is near (`STOP_BEFORE_DEADLINE`): a batch that
//! timed out would be retried whole.

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use roster_domain::error::PortError;
use roster_domain::model::OutboxItem;
use roster_domain::ports::{App, Outbound};
use roster_domain::service::outbox::{self, Delivery};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// No record is started closer than this to the invocation's deadline:
/// longer than one delivery can take (the mail and event clients' operation
/// timeouts, `roster_adapters::aws::OUTBOUND_OPERATION_TIMEOUT`, plus
/// recording the outcome).
pub const STOP_BEFORE_DEADLINE: Duration = Duration::from_secs(5);

/// Reads the outbox item a record holds, from its event name and new image:
/// `None` for a record that holds none (the adapters'
/// `dynamo::stream::outbox_item`; the table's layout is theirs to know).
pub type ReadItem = fn(&str, &serde_dynamo::Item) -> Option<Result<OutboxItem, PortError>>;

#[derive(Debug, thiserror::Error)]
#[error("a record whose attempt or outcome could not be written has no sequence number to report")]
pub struct Unidentified;

impl From<Unidentified> for Diagnostic {
    fn from(e: Unidentified) -> Self {
        Diagnostic { error_type: "Unidentified".into(), error_message: e.to_string() }
    }
}

/// One batch, started no later than `STOP_BEFORE_DEADLINE` before
/// `deadline`: what was delivered, and the batch item failure to retry from.
pub async fn handle(
    app: &App,
    out: &Outbound,
    read: ReadItem,
    event: Event,
    deadline: SystemTime,
) -> Result<DynamoDbEventResponse, Unidentified> {
    let mut summary = Delivery::default();
    let mut response = DynamoDbEventResponse::default();
    let records = event.records.len();
    for (done, record) in event.records.into_iter().enumerate() {
        let item = match read(&record.event_name, &record.change.new_image) {
            None => continue,
            Some(Ok(item)) => item,
            Some(Err(e)) => {
                tracing::error!(sequence = ?record.change.sequence_number, error = %e, "outbox insert unreadable; dropped");
                continue;
            }
        };
        let retry_from = if SystemTime::now() + STOP_BEFORE_DEADLINE >= deadline {
            summary.left = records - done;
            tracing::info!(outbox_id = %item.id, left = summary.left, "out of time; the batch is retried from this record");
            true
        } else {
            match outbox::deliver_new(app, out, &item).await {
                Ok(Some(outcome)) => {
                    summary.add(outcome);
                    false
                }
                Ok(None) => false,
                Err(e) => {
                    tracing::warn!(outbox_id = %item.id, error = %e, "could not record the attempt or its outcome; the batch is retried from this record");
                    true
                }
            }
        };
        if retry_from {
            let Some(sequence) = record.change.sequence_number else {
                summary.count();
                return Err(Unidentified);
            };
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(sequence);
            response.batch_item_failures.push(failure);
            break;
        }
    }
    summary.count();
    tracing::info!(?summary, "outbox delivery");
    Ok(response)
}

/// The invocation's deadline. Lambda sends it as milliseconds since the
/// epoch; cargo lambda's local runtime (`make dev`) sends the function's
/// timeout instead (measured: `Lambda-Runtime-Deadline-Ms: 600000`), which
/// read as a time lies in 1970 and would leave every batch undelivered as
/// out of time. A deadline already past when the invocation starts is
/// therefore read as that duration from now.
fn deadline_of(given: SystemTime, now: SystemTime) -> SystemTime {
    if given > now {
        return given;
    }
    now + given.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default()
}

pub async fn serve(app: App, out: Outbound, read: ReadItem) -> Result<(), lambda_runtime::Error> {
    let app = Arc::new(app);
    let out = Arc::new(out);
    let collector = crate::metrics::init();
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| {
        let (app, out) = (app.clone(), out.clone());
        async move {
            let deadline = deadline_of(event.context.deadline(), SystemTime::now());
            let result = handle(&app, &out, read, event.payload, deadline).await;
            crate::metrics::flush(collector, std::io::stdout().lock());
            result
        }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_in_the_past_is_read_as_a_duration_from_now() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let lambda = now + Duration::from_secs(30);
        assert_eq!(deadline_of(lambda, now), lambda, "Lambda's own deadline stands");
        let cargo_lambda = SystemTime::UNIX_EPOCH + Duration::from_millis(600_000);
        assert_eq!(deadline_of(cargo_lambda, now), now + Duration::from_secs(600));
    }
}
