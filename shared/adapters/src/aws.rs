//! The AWS SDK's configuration, from the environment alone (issue 15 item
//! 2). In Lambda the credentials and the region are environment variables;
//! `make dev`, the tests and the bench set the same ones. So there is no
//! default provider chain here: no profile files, no SSO, no STS, no
//! instance metadata, none of which any function uses, and none of which
//! its binary then carries or runs at start.

use aws_config::environment::{EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider};
use aws_config::meta::region::ProvideRegion;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::SharedCredentialsProvider;
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};

/// What every client is built from: `AWS_REGION` (or `AWS_DEFAULT_REGION`),
/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, and
/// `AWS_ENDPOINT_URL_<SERVICE>` or `AWS_ENDPOINT_URL` where set.
pub async fn sdk_config() -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(EnvironmentVariableRegionProvider::new().region().await)
        .credentials_provider(SharedCredentialsProvider::new(EnvironmentVariableCredentialsProvider::new()))
        .service_config(EnvEndpoints)
        .build()
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
