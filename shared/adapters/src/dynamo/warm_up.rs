//! Opening the connection to DynamoDB during a function's init (issue 15
//! item 4), so that its first request does not pay for the TCP and TLS
//! handshakes: Lambda runs init before the first request arrives, and at
//! full CPU.
//!
//! Started, not awaited (issue 15 item 2): a first request that needs no
//! DynamoDB (a 404, a malformed body) is answered at once. One that does
//! finds the connection in the client's pool, or, while the warm-up is still
//! in flight, waits in the pool for whichever comes first, the warm-up's
//! connection or one of its own (hyper's pool races the two), so it never
//! waits longer than without the warm-up.

use super::DynamoStore;
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
    /// the client's pool; a failure is logged, never fatal.
    pub async fn warm_up(&self) {
        match tokio::time::timeout(WARM_UP_LIMIT, self.get::<EmailClaim>("")).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "opening the connection to DynamoDB failed"),
            Err(_) => tracing::warn!("opening the connection to DynamoDB took too long"),
        }
    }

    /// `warm_up` in the background of the runtime this is called on.
    pub fn spawn_warm_up(&self) {
        let store = self.clone();
        tokio::spawn(async move { store.warm_up().await });
    }
}
