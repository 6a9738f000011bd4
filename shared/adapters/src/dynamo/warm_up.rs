//! Opening the connection to DynamoDB during a function's init (issue 15
//! items 2 and 4), so that its first request does not pay for the TCP and
//! TLS handshakes.
//!
//! Awaited in init, not spawned: Lambda runs init at full CPU and the first
//! request at the share its memory buys, and the runtime's first poll ends
//! init. A handshake still in flight then runs on the first request's time,
//! at that share (the published figure: 745 ms at 128 MB, against
//! 21 ms when made during init).

use super::entity::Keyed;
use super::{backend, DynamoStore};
use aws_sdk_dynamodb::config::retry::RetryConfig;
use roster_domain::model::EmailClaim;
use std::time::Duration;

/// When a warm-up that has not connected gives up and says so in the log; a
/// DynamoDB that does not answer is the first request's to meet, with its
/// own retries.
const WARM_UP_LIMIT: Duration = Duration::from_secs(2);

impl DynamoStore {
    /// One GetItem that every function's role allows (mail-events' only on
    /// `EMAIL#` keys): the claim of the empty address, which no user can
    /// have. What it finds does not matter, only the connection it leaves in
    /// the client's pool; a failure is logged, never fatal. One attempt, not
    /// the client's retries with their backoff: an unreachable DynamoDB then
    /// costs init one refused connect.
    pub async fn warm_up(&self) {
        let once = aws_sdk_dynamodb::Config::builder().retry_config(RetryConfig::disabled());
        let get = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(EmailClaim::primary_key("").item()))
            .customize()
            .config_override(once)
            .send();
        match tokio::time::timeout(WARM_UP_LIMIT, get).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %backend("GetItem", e), "opening the connection to DynamoDB failed"),
            Err(_) => tracing::warn!("opening the connection to DynamoDB took too long"),
        }
    }
}
