//! The AWS SDK's configuration and https client (issue 15 item 2).
//!
//! Configuration from the environment alone: in Lambda the credentials and
//! the region are environment variables, and `make dev`, the tests and the
//! bench set the same ones. So there is no default provider chain here: no
//! profile files, no SSO, no STS, no instance metadata, none of which any
//! function uses, and none of which its binary then carries or runs at start.

use aws_config::environment::{EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider};
use aws_config::meta::region::ProvideRegion;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::{SharedCredentialsProvider, SharedHttpClient};
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};
use std::time::Duration;

mod https;

/// What every client is built from: `AWS_REGION` (or `AWS_DEFAULT_REGION`),
/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, and
/// `AWS_ENDPOINT_URL_<SERVICE>` or `AWS_ENDPOINT_URL` where set.
pub async fn sdk_config() -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(EnvironmentVariableRegionProvider::new().region().await)
        .credentials_provider(SharedCredentialsProvider::new(EnvironmentVariableCredentialsProvider::new()))
        .service_config(EnvEndpoints)
        .http_client(http_client())
        .build()
}

/// The longest one call to SES or EventBridge may take, its retries
/// included, and one attempt of it: well inside the delivery function's
/// margin before its deadline (`roster_api::delivery::STOP_BEFORE_DEADLINE`),
/// so a hung send cannot carry a batch past its timeout (which would have
/// Lambda retry it whole, sending all of it again).
pub const OUTBOUND_OPERATION_TIMEOUT: Duration = Duration::from_secs(3);
const OUTBOUND_ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1500);

/// `sdk` for the clients that send mail and events.
pub fn outbound(sdk: &SdkConfig) -> SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .operation_timeout(OUTBOUND_OPERATION_TIMEOUT)
        .operation_attempt_timeout(OUTBOUND_ATTEMPT_TIMEOUT)
        .build();
    sdk.to_builder().timeout_config(timeouts).build()
}

/// hyper and rustls, as in the SDK's own https client, with ring as rustls'
/// crypto provider instead of aws-lc, and Mozilla's roots compiled in
/// (webpki-roots) instead of read from the host's store. Every client, the
/// tests' and the bench's too, takes this one: the SDK is built without a
/// default client of its own.
pub fn http_client() -> SharedHttpClient {
    https::client(https::mozilla_roots())
}

/// A service's endpoint from `AWS_ENDPOINT_URL_<SERVICE ID>`, else
/// `AWS_ENDPOINT_URL`, named as the SDK names them (`DYNAMODB`, `SESV2`,
/// `EVENTBRIDGE`); the SDK asks for nothing else.
#[derive(Debug)]
struct EnvEndpoints;

impl LoadServiceConfig for EnvEndpoints {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        let service = key.service_id().to_uppercase().replace(' ', "_");
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        var(&format!("{}_{service}", key.env())).or_else(|| var(key.env()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Without them a send waits as long as the endpoint does, past the
    // delivery function's deadline.
    #[test]
    fn mail_and_event_clients_give_up_within_the_margin() {
        let sdk = outbound(&SdkConfig::builder().behavior_version(BehaviorVersion::latest()).build());
        let ses = aws_sdk_sesv2::Client::new(&sdk);
        let bridge = aws_sdk_eventbridge::Client::new(&sdk);
        for timeouts in [ses.config().timeout_config(), bridge.config().timeout_config()] {
            let timeouts = timeouts.expect("timeouts");
            assert_eq!(timeouts.operation_timeout(), Some(OUTBOUND_OPERATION_TIMEOUT));
            assert!(timeouts.operation_attempt_timeout() < Some(OUTBOUND_OPERATION_TIMEOUT));
        }
    }
}
