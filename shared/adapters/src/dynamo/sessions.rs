//! A session's last use (R48): one conditional UpdateItem outside any
//! transaction, at most once a minute per session.

use super::codec::{decode, n};
use super::entity::{Keyed, SESSION_PREFIX};
use super::keys::user_pk;
use super::read::QuerySpec;
use super::{backend, DynamoStore};
use roster_domain::error::PortError;
use roster_domain::ids::UserId;
use roster_domain::model::{Session, Time};

impl DynamoStore {
    /// `Store::touch_session`. The condition compares the stored last use
    /// with the one read, encoded the same way: of requests that read the
    /// same session, only the first records; a session ended meanwhile is
    /// not brought back.
    pub(super) async fn touch(&self, session: &Session, now: Time, longest_idle_secs: i64) -> Result<bool, PortError> {
        let encode = |t: &Time| {
            serde_dynamo::to_attribute_value(t).map_err(|e| PortError::Backend(format!("encoding a time: {e}")))
        };
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Session::primary_key((session.user_id, &session.token_hash)).item()))
            .update_expression("SET #last = :now, #idle = :idle")
            .expression_attribute_names("#last", "last_used_at")
            .expression_attribute_names("#idle", "longest_idle_secs")
            .expression_attribute_values(":now", encode(&now)?)
            .expression_attribute_values(":idle", n(longest_idle_secs));
        req = match &session.last_used_at {
            Some(seen) => req
                .condition_expression("attribute_exists(PK) AND #last = :seen")
                .expression_attribute_values(":seen", encode(seen)?),
            None => req.condition_expression("attribute_exists(PK) AND attribute_not_exists(#last)"),
        };
        match req.send().await {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(backend("UpdateItem", e)),
        }
    }

    /// `Store::sessions_of_user`.
    pub(super) async fn sessions_of(&self, user: UserId, limit: usize) -> Result<Vec<Session>, PortError> {
        let q = QuerySpec::table(user_pk(user), SESSION_PREFIX, true);
        let (items, _, _) = self.query_page(&q, Some(limit), None).await?;
        items.into_iter().map(decode).collect()
    }
}
