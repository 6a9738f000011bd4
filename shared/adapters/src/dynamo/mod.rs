//! The DynamoDB store: one table, every change one `TransactWriteItems` whose
//! conditions hold the invariants, reads by GetItem, BatchGetItem and Query
//! only (never Scan).
//!
//! One file per concern: `entity/` says where each record lives (its keys
//! beside its type), `codec` turns records into items and back, `write/`
//! turns a `Tx` into a transaction, `read` gets and queries, `shard` spreads
//! the lists all tenants write over partitions and `due` reads them back as
//! one, `cursor` makes page cursors, `attempts` counts sign-in attempts, `audit_range` reads a
//! practice's log by time, `sessions` records a session's use,
//! `undeliverable` marks addresses, `warm_up` opens the connection at start,
//! `store` is the `Store` the use cases see, and `stream` reads outbox items
//! off the change stream. `keys` holds the attribute names and the
//! partitions several records share; `table` creates the table. `call_log`
//! records a client's calls, for tests and benches, never for the store.

mod attempts;
mod audit_range;
pub mod call_log;
mod codec;
mod cursor;
mod due;
mod emergency_list;
mod entity;
pub mod keys;
#[cfg(feature = "local-stream")]
pub mod local_stream;
mod read;
mod sessions;
pub mod shard;
mod store;
pub mod stream;
pub mod table;
mod undeliverable;
mod warm_up;
mod write;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod layout_tests;
#[cfg(test)]
mod write_tests;

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::Client;
use roster_domain::error::PortError;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
    read_ahead: Arc<due::ReadAhead>,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into(), read_ahead: Arc::default() }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }
}

fn backend(context: &str, e: impl std::error::Error) -> PortError {
    PortError::Backend(format!("{context}: {}", DisplayErrorContext(e)))
}
