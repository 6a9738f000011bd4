//! Shared test harness: the real handlers over a fresh DynamoDB Local table,
//! with mail and events written by the real directory adapters to a private
//! folder, and a clock the test moves.
//!
//! - `request.rs`: the request builder (`h.req`, `h.call`) and `Reply`.
//! - `fixtures.rs`: users, practices, members and invitations set up through
//!   the API or the store.
//! - `counting_store.rs`: a `Store` that notes every call it passes on.
//! - `usage.rs`: which DynamoDB calls, mail and events each function made.
//! - `stream.rs`: the outbox fed to the delivery function after every
//!   request and sweep, off the table's stream or made from the table.

mod counting_store;
mod fixtures;
mod request;
mod stream;
mod usage;

pub use counting_store::CountingStore;
pub use fixtures::{scheduled_event, DIRECTOR, LICENSE_TERMS_VERSION, PASSWORD, SUPPORT_AGENT};
pub use request::{route_of, Reply};
pub use stream::fresh_deadline;
pub use usage::Usage;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use chrono::{DateTime, Duration, Utc};
use roster_adapters::dynamo::call_log::CallLog;
use roster_adapters::dynamo::table::{ensure_table, TableDef};
use roster_adapters::dynamo::DynamoStore;
use roster_adapters::local_dir::{DirEvents, DirMailer};
use roster_api::Function;
use roster_domain::clock::Clock;
use roster_domain::ports::{App, Config, Outbound, Store};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A URL the test run must provide (`make test` sets them); missing it is a
/// setup error, not a reason to skip.
pub fn env_url(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v.trim().trim_end_matches('/').to_string(),
        _ => panic!("{name} is not set: run the tests with `make test`, which starts DynamoDB Local and moto_server"),
    }
}

#[derive(Debug)]
pub struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    pub fn advance(&self, by: Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().map(|t| *t).unwrap_or_else(|_| Utc::now())
    }
}

/// A DynamoDB Local client, whose calls go to `log` if there is one.
fn dynamo_client(log: Option<&CallLog>) -> aws_sdk_dynamodb::Client {
    let mut conf = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(env_url("ROSTER_TEST_DYNAMODB"))
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .http_client(roster_adapters::aws::http_client());
    if let Some(log) = log {
        conf = conf.interceptor(log.clone());
    }
    aws_sdk_dynamodb::Client::from_conf(conf.build())
}

pub struct Harness {
    pub app: App,
    /// Where the delivery function and the sweep send: files under `dir`.
    pub out: Outbound,
    /// The store as built, whatever a test puts in `app.store`: the stream
    /// pump delivers through it, so no test counts the pump's calls.
    store: Arc<dyn Store>,
    stream: tokio::sync::Mutex<stream::Pump>,
    pub clock: Arc<TestClock>,
    pub dir: PathBuf,
    pub table: String,
    pub client: aws_sdk_dynamodb::Client,
    /// What each function used, when the harness is `recording`.
    pub usage: Option<Arc<Usage>>,
}

impl Harness {
    pub async fn new() -> Self {
        Self::build(None, false).await
    }

    /// A harness that notes what each function uses (`Usage`).
    pub async fn recording() -> Self {
        Self::build(Some(Arc::new(Usage::default())), false).await
    }

    /// A harness whose table has its stream, read by the delivery function
    /// as in AWS (`stream.rs` says why the others make their records).
    pub async fn streaming() -> Self {
        Self::build(None, true).await
    }

    async fn build(usage: Option<Arc<Usage>>, streaming: bool) -> Self {
        let client = dynamo_client(usage.as_ref().map(|u| &u.log));
        let table = format!("roster-test-{}", uuid::Uuid::new_v4());
        let mut def = TableDef::from_repo().expect("table definition in infra/template.yaml");
        if !streaming {
            def.stream_specification = None;
        }
        ensure_table(&client, &table, &def).await.expect("create table");
        let dir = std::env::temp_dir().join(format!("roster-test-{}", uuid::Uuid::new_v4()));
        let clock = Arc::new(TestClock(Mutex::new(Utc::now())));
        let store: Arc<dyn Store> = Arc::new(DynamoStore::new(client.clone(), table.clone()));
        let out = Outbound {
            // Addresses starting `bounce`, `complaint` or `transient` get
            // the feedback SES would send (issue 14).
            mailer: Arc::new(DirMailer::new(dir.join("mail"), clock.clone()).with_feedback(store.clone())),
            events: Arc::new(DirEvents::new(dir.join("events"))),
        };
        let app = App {
            store: store.clone(),
            clock: clock.clone(),
            config: Config {
                app_base_url: "https://app.roster.test".into(),
                support_agents: vec![SUPPORT_AGENT.into()],
                license_terms_version: LICENSE_TERMS_VERSION.into(),
            },
        };
        let pump = if streaming { stream::Pump::stream(&client, &table).await } else { stream::Pump::outbox() };
        let stream = tokio::sync::Mutex::new(pump);
        Self { app, out, store, stream, clock, dir, table, client, usage }
    }

    /// Run `work`, which `function` does, noting what it uses if recording.
    pub async fn attributed<T>(&self, function: Function, work: impl std::future::Future<Output = T>) -> T {
        let Some(usage) = &self.usage else { return work.await };
        usage.start(&self.dir);
        let out = work.await;
        usage.finish(function, &self.dir);
        out
    }

    fn read_dir(&self, sub: &str) -> Vec<Value> {
        let mut files: Vec<_> = std::fs::read_dir(self.dir.join(sub))
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .filter_map(|t| serde_json::from_str(&t).ok())
            .collect()
    }

    /// From now on every store call goes through the `CountingStore`
    /// returned, which notes it.
    pub fn count_store_calls(&mut self) -> Arc<CountingStore> {
        let counting = Arc::new(CountingStore::new(self.app.store.clone()));
        self.app.store = counting.clone();
        counting
    }

    /// Mail files written so far, oldest first.
    pub fn mails(&self) -> Vec<Value> {
        self.read_dir("mail")
    }

    /// The mails to `to` made from `template`, oldest first.
    pub fn mails_to(&self, to: &str, template: &str) -> Vec<Value> {
        self.mails().into_iter().filter(|m| s(&m["to"]) == to && m["template"] == template).collect()
    }

    /// Event files written so far, oldest first.
    pub fn events(&self) -> Vec<Value> {
        self.read_dir("events")
    }

    /// The events of one detail type, oldest first.
    pub fn events_of(&self, detail_type: &str) -> Vec<Value> {
        self.events().into_iter().filter(|e| e["detail_type"] == detail_type).collect()
    }

    /// Every item of a partition, straight from DynamoDB.
    pub async fn partition(
        &self,
        pk: &str,
    ) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        self.client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S(pk.into()))
            .send()
            .await
            .expect("query")
            .items
            .unwrap_or_default()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The token at the end of a mail's `{APP_BASE_URL}{prefix}{token}` link.
pub fn link_token(mail: &Value, prefix: &str) -> String {
    let text = s(&mail["text"]);
    let start = text.find(prefix).map(|i| i + prefix.len()).expect("link in mail");
    text[start..].split_whitespace().next().unwrap_or_default().to_string()
}

pub fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// The `items` of a list answer.
pub fn items(v: &Value) -> Vec<Value> {
    v["items"].as_array().cloned().unwrap_or_default()
}

/// The audit entries of one action.
pub fn with_action(log: &[Value], action: &str) -> Vec<Value> {
    log.iter().filter(|e| e["action"] == action).cloned().collect()
}

/// The workspace root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// The text of a file of the repository, by its path from the root.
pub fn repo_file(rel: &str) -> String {
    let path = repo_root().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A YAML file of the repository, parsed.
pub fn repo_yaml(rel: &str) -> serde_yaml::Value {
    serde_yaml::from_str(&repo_file(rel)).unwrap_or_else(|e| panic!("{rel} is not valid YAML: {e}"))
}
