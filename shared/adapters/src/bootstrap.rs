//! Wiring from the environment. Every function gets an `App` (the table, the
//! clock, the settings); only the functions that deliver the outbox (delivery
//! and the sweep) call `outbound_from_env` for the mail service and the
//! event bus, so no other binary refers to the SES or EventBridge clients
//! and the linker leaves them out. Production uses SES v2 and EventBridge;
//! local runs write mail and events as files (`MAIL_TRANSPORT=dir`,
//! `EVENTS_TRANSPORT=dir`). AWS endpoints follow the SDK's own settings
//! (`AWS_ENDPOINT_URL_DYNAMODB` points at DynamoDB Local).

use crate::dynamo::DynamoStore;
use crate::eventbridge::EventBridgePublisher;
use crate::local_dir::{DirEvents, DirMailer};
use crate::ses::SesMailer;
use roster_domain::clock::{Clock, SystemClock};
use roster_domain::ports::{App, Config, EventPublisher, Mailer, Outbound, Store};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum BootError {
    #[error("setting {0} is required")]
    Missing(&'static str),
    #[error("setting {0} has an unknown value: {1}")]
    Invalid(&'static str, String),
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// `APP_BASE_URL`, `SUPPORT_AGENTS` (comma-separated emails) and
/// `LICENSE_TERMS_VERSION` (R45).
pub fn config_from_env() -> Config {
    let mut c = Config::default();
    if let Some(url) = var("APP_BASE_URL") {
        c.app_base_url = url.trim_end_matches('/').to_string();
    }
    if let Some(version) = var("LICENSE_TERMS_VERSION") {
        c.license_terms_version = version;
    }
    // Compared with users' normalised emails, so normalised the same way
    // (R4); an entry that is no address names nobody.
    c.support_agents = var("SUPPORT_AGENTS")
        .map(|v| v.split(',').filter_map(|s| roster_domain::validate::parse_email(s).map(|(_, norm)| norm)).collect())
        .unwrap_or_default();
    c
}

pub use crate::aws::sdk_config;

pub async fn app_from_env() -> Result<App, BootError> {
    app_with(&sdk_config().await).await
}

async fn app_with(sdk: &aws_config::SdkConfig) -> Result<App, BootError> {
    let table = var("TABLE_NAME").ok_or(BootError::Missing("TABLE_NAME"))?;
    let store = Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), table));
    store.warm_up().await;
    Ok(App { store, clock: Arc::new(SystemClock), config: config_from_env() })
}

/// The `App` and where its outbox goes: for the functions that deliver.
pub async fn delivering_from_env() -> Result<(App, Outbound), BootError> {
    let sdk = sdk_config().await;
    let app = app_with(&sdk).await?;
    let out = outbound_from_env(&sdk, app.store.clone(), app.clock.clone())?;
    Ok((app, out))
}

fn outbound_from_env(
    sdk: &aws_config::SdkConfig,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> Result<Outbound, BootError> {
    let outbound = crate::aws::outbound(sdk);
    let mailer: Arc<dyn Mailer> = match var("MAIL_TRANSPORT").as_deref().unwrap_or("ses") {
        "dir" => Arc::new(
            DirMailer::new(var("MAIL_DIR").unwrap_or_else(|| ".local/mail".into()), clock).with_feedback(store),
        ),
        "ses" => {
            let mailer = SesMailer::new(
                aws_sdk_sesv2::Client::new(&outbound),
                var("MAIL_FROM").ok_or(BootError::Missing("MAIL_FROM"))?,
            );
            // The template sets it; without it no bounce would come back.
            match var("MAIL_CONFIGURATION_SET") {
                Some(set) => Arc::new(mailer.with_configuration_set(set)),
                None => return Err(BootError::Missing("MAIL_CONFIGURATION_SET")),
            }
        }
        other => return Err(BootError::Invalid("MAIL_TRANSPORT", other.into())),
    };
    let events: Arc<dyn EventPublisher> = match var("EVENTS_TRANSPORT").as_deref().unwrap_or("eventbridge") {
        "dir" => Arc::new(DirEvents::new(var("EVENTS_DIR").unwrap_or_else(|| ".local/events".into()))),
        "eventbridge" => Arc::new(EventBridgePublisher::new(
            aws_sdk_eventbridge::Client::new(&outbound),
            var("EVENT_BUS_NAME").unwrap_or_else(|| "default".into()),
        )),
        other => return Err(BootError::Invalid("EVENTS_TRANSPORT", other.into())),
    };
    Ok(Outbound { mailer, events })
}
