//! The production event publisher: domain events to an EventBridge bus via
//! `PutEvents`.

use async_trait::async_trait;
use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::primitives::DateTime as AwsDateTime;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use chrono::SecondsFormat;
use roster_domain::error::PortError;
use roster_domain::model::DomainEvent;
use roster_domain::ports::EventPublisher;
use serde_json::{Map, Value};

/// Every Roster event carries this source so consumers' rules can match on it.
pub const SOURCE: &str = "roster";

/// `PutEvents` accepts at most this many entries per call.
const MAX_ENTRIES_PER_CALL: usize = 10;

/// Publishes domain events to one EventBridge bus.
#[derive(Debug, Clone)]
pub struct EventBridgePublisher {
    client: aws_sdk_eventbridge::Client,
    bus_name: String,
}

impl EventBridgePublisher {
    /// `bus_name` is a bus name or ARN; the bus must exist, otherwise every
    /// publish fails.
    pub fn new(client: aws_sdk_eventbridge::Client, bus_name: impl Into<String>) -> Self {
        Self { client, bus_name: bus_name.into() }
    }

    fn entry(&self, event: &DomainEvent) -> Result<PutEventsRequestEntry, PortError> {
        let detail = serde_json::to_string(&envelope(event)).map_err(|e| {
            PortError::Backend(format!("event {} ({}): detail is not serialisable: {e}", event.id, event.detail_type))
        })?;
        Ok(PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus_name)
            .source(SOURCE)
            .detail_type(&event.detail_type)
            .detail(detail)
            .time(AwsDateTime::from_millis(event.at.timestamp_millis()))
            .build())
    }
}

/// The `detail` EventBridge delivers: the event's own detail plus our `id`
/// and `at`. EventBridge assigns its own envelope id on every PutEvents, so a
/// redelivered event (at-least-once, R33) would look new; our id inside the
/// detail is what consumers de-duplicate on, hence it overrides any same-named
/// field. A detail that is not a JSON object cannot be merged and is kept
/// whole under `detail`.
fn envelope(event: &DomainEvent) -> Value {
    let mut out = Map::new();
    match &event.detail {
        Value::Object(fields) => out.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone()))),
        Value::Null => {}
        other => {
            out.insert("detail".into(), other.clone());
        }
    }
    out.insert("id".into(), Value::String(event.id.to_string()));
    out.insert("at".into(), Value::String(event.at.to_rfc3339_opts(SecondsFormat::Millis, true)));
    Value::Object(out)
}

#[async_trait]
impl EventPublisher for EventBridgePublisher {
    /// Stops at the first chunk that is not wholly accepted. Chunks sent
    /// before it stay delivered; the caller retries the whole batch and
    /// consumers drop the repeats by id.
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), PortError> {
        for chunk in events.chunks(MAX_ENTRIES_PER_CALL) {
            let entries = chunk.iter().map(|e| self.entry(e)).collect::<Result<Vec<_>, _>>()?;
            let out = self.client.put_events().set_entries(Some(entries)).send().await.map_err(|e| {
                PortError::Backend(format!(
                    "EventBridge PutEvents to bus `{}` failed: {}",
                    self.bus_name,
                    DisplayErrorContext(&e)
                ))
            })?;

            // A partial failure comes back with HTTP 200; only the count and
            // the per-entry error codes tell (R33: it is a failure).
            let failed: Vec<String> = out
                .entries()
                .iter()
                .zip(chunk)
                .filter_map(|(result, event)| {
                    result.error_code().map(|code| {
                        format!(
                            "{} {}: {} ({})",
                            event.detail_type,
                            event.id,
                            code,
                            result.error_message().unwrap_or("no message")
                        )
                    })
                })
                .collect();
            if out.failed_entry_count() > 0 || !failed.is_empty() {
                return Err(PortError::Backend(format!(
                    "EventBridge PutEvents to bus `{}`: {} of {} entries failed: {}",
                    self.bus_name,
                    out.failed_entry_count().max(failed.len() as i32),
                    chunk.len(),
                    if failed.is_empty() { "no per-entry error codes returned".to_string() } else { failed.join("; ") }
                )));
            }
        }
        Ok(())
    }
}
