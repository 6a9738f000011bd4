//! The ports the use cases need. Adapters (DynamoDB, SES v2, EventBridge, and
//! the local directory stand-ins) implement them; the domain sees no AWS type.
//!
//! Cut by what a use case does with them: `writes` is what a transaction
//! holds, `reads` what one round trip brings back, `store` the storage port
//! itself, and this file the outbound ports and the wiring a use case gets.

mod reads;
mod store;
mod writes;

pub use reads::*;
pub use store::Store;
pub use writes::*;

use crate::clock::Clock;
use crate::error::PortError;
use crate::model::*;
use async_trait::async_trait;
use std::sync::Arc;

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &Mail) -> Result<(), PortError>;
}

#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Fails as a whole if any entry was not accepted (a PutEvents partial
    /// failure is a failure, R33).
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), PortError>;
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Base of every link in mail, without a trailing slash.
    pub app_base_url: String,
    /// Lower-cased emails of the vendor's support agents (R30).
    pub support_agents: Vec<String>,
    /// The version of the license terms an administrator accepts when a
    /// change adds a paid seat (R45), recorded with each consent.
    pub license_terms_version: String,
}

/// What `license_terms_version` is when `LICENSE_TERMS_VERSION` is unset:
/// only local runs leave it so (the SAM template requires it), and their
/// consents then say they were given to no published terms.
pub const LOCAL_LICENSE_TERMS_VERSION: &str = "local-dev";

impl Default for Config {
    fn default() -> Self {
        Self {
            app_base_url: "http://localhost:5173".into(),
            support_agents: Vec::new(),
            license_terms_version: LOCAL_LICENSE_TERMS_VERSION.into(),
        }
    }
}

/// The wiring every use case receives. It sends nothing itself: a change
/// writes its mail and events to the outbox, and only the functions that
/// deliver it (delivery and the sweep) hold an `Outbound`.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub config: Config,
}

/// Where outbox items go: the mail service and the event bus.
#[derive(Clone)]
pub struct Outbound {
    pub mailer: Arc<dyn Mailer>,
    pub events: Arc<dyn EventPublisher>,
}

impl App {
    pub fn now(&self) -> Time {
        self.clock.now()
    }
}
