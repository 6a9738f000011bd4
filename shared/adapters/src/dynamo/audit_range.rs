//! A practice's audit events by time (R51): a key range of its log, whose
//! sort keys are `EVENT#<uuid v7>`, and a v7 uuid starts with its creation
//! in epoch milliseconds, in hex that sorts as text. An event's id is made
//! during the change whose `at` it records, so the id's time and `at` agree
//! to within that change's run; the range is widened by `ID_SKEW` on each
//! side, and `at` itself decides what is in it.

use super::codec::{decode, s, Item};
use super::entity::{audit_pk, Primary, EVENT_PREFIX};
use super::keys::{PK, SK};
use super::{backend, DynamoStore};
use chrono::Duration;
use roster_domain::error::PortError;
use roster_domain::ids::{EventId, PracticeId};
use roster_domain::model::{AuditEvent, AuditScope, Time};
use roster_domain::ports::{AuditChunk, AuditRange};
use uuid::Uuid;

/// How far an event's id may be from its `at`: longer than any run that
/// makes one (an HTTP function's timeout, the sweep's, whose `at` is its
/// schedule's time, plus that event's 600 s maximum age; a fan-out task's
/// audits keep the id time of the change that wrote the task).
pub const ID_SKEW: Duration = Duration::hours(1);

/// The first and last sort key an id made at `t` can have.
fn key_bounds(t: Time) -> (String, String) {
    let ms = u128::try_from(t.timestamp_millis()).unwrap_or(0).min((1 << 48) - 1);
    let low = Uuid::from_u128(ms << 80);
    let high = Uuid::from_u128((ms << 80) | ((1 << 80) - 1));
    (format!("{EVENT_PREFIX}{low}"), format!("{EVENT_PREFIX}{high}"))
}

fn event_id(key: &Item) -> Result<EventId, PortError> {
    key.get(SK)
        .and_then(|v| v.as_s().ok())
        .and_then(|sk| sk.strip_prefix(EVENT_PREFIX))
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| PortError::Backend("an audit key that is not EVENT#<uuid>".into()))
}

impl DynamoStore {
    pub(super) async fn audit_range_read(
        &self,
        practice: PracticeId,
        range: AuditRange,
        after: Option<EventId>,
        limit: usize,
    ) -> Result<AuditChunk, PortError> {
        let pk = audit_pk(AuditScope::Practice(practice));
        let (low, _) = key_bounds(range.from - ID_SKEW);
        let (_, high) = key_bounds(range.to + ID_SKEW);
        // A position outside the key range (an old cursor's, a forged one)
        // is clamped to it: DynamoDB refuses a start key outside its range.
        let start = match after.map(|id| format!("{EVENT_PREFIX}{id}")) {
            Some(sk) if sk > high => return Ok(AuditChunk::default()),
            Some(sk) if sk >= low => Some(Primary::new(pk.clone(), sk).item()),
            _ => None,
        };
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":low", s(low))
            .expression_attribute_values(":high", s(high))
            .scan_index_forward(true)
            .limit(i32::try_from(limit.max(1)).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend("Query", e))?;
        let mut events = Vec::new();
        for item in out.items.unwrap_or_default() {
            let event: AuditEvent = decode(item)?;
            if range.holds(event.at) {
                events.push(event);
            }
        }
        let resume = out.last_evaluated_key.as_ref().map(event_id).transpose()?;
        Ok(AuditChunk { events, resume })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn an_ids_key_lies_between_the_bounds_of_its_millisecond_and_no_others() {
        let t = chrono::Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).single().unwrap_or_default();
        let ms = u64::try_from(t.timestamp_millis()).unwrap_or(0);
        let id = Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, ms / 1000, 0));
        let key = format!("{EVENT_PREFIX}{id}");
        let (low, high) = key_bounds(t);
        assert!(low <= key && key <= high, "{low} {key} {high}");
        let (_, before) = key_bounds(t - Duration::milliseconds(1));
        let (after, _) = key_bounds(t + Duration::milliseconds(1));
        assert!(before < key && key < after);
        // Before 1970 clamps to the first key; nothing sorts lower.
        assert_eq!(key_bounds(Time::UNIX_EPOCH - Duration::days(1)).0, format!("{EVENT_PREFIX}{}", Uuid::nil()));
    }
}
