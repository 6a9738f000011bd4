//! What every in-process measurement stands on: a DynamoDB Local client
//! with the bench's interceptors, a fresh table from the SAM template, and
//! an `App` wired as `make dev` wires it (mail and events as files), with a
//! clock the bench moves.

use crate::record::{Capacity, Recorder};
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};
use chrono::{DateTime, Duration, Utc};
use roster_adapters::dynamo::call_log::CallLog;
use roster_adapters::dynamo::keys::{PK, SK};
use roster_adapters::dynamo::table::{ensure_table, TableDef};
use roster_adapters::dynamo::DynamoStore;
use roster_adapters::local_dir::{DirEvents, DirMailer};
use roster_domain::clock::Clock;
use roster_domain::ports::{App, Config, Outbound};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Item = HashMap<String, AttributeValue>;

/// The bench's own clock: the sweep's "due" is a matter of dates.
#[derive(Debug)]
pub struct BenchClock(Mutex<DateTime<Utc>>);

impl BenchClock {
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) += by;
    }
}

impl Clock for BenchClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The interceptors every bench client carries; each is idle until asked.
#[derive(Clone, Default)]
pub struct Taps {
    pub log: CallLog,
    pub recorder: Recorder,
    pub capacity: Capacity,
}

pub fn client(endpoint: &str, taps: &Taps) -> aws_sdk_dynamodb::Client {
    let conf = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("bench", "bench", None, None, "bench"))
        .http_client(roster_adapters::aws::http_client())
        .interceptor(taps.log.clone())
        .interceptor(taps.recorder.clone())
        .interceptor(taps.capacity.clone())
        .build();
    aws_sdk_dynamodb::Client::from_conf(conf)
}

/// A fresh table of the template's shape, its change stream included,
/// unless `BENCH_NO_STREAM=1`. Nothing in the bench reads the stream (the
/// outbox is delivered between requests, `Env::link`), but the table is
/// measured as deployed. DynamoDB Local's stream is what makes its writes
/// slower as they accumulate (bench/history.md, "The stream"): the sweep
/// at 100,000 items took 138 s with it and 6.5 s without.
pub async fn new_table(client: &aws_sdk_dynamodb::Client, prefix: &str) -> Result<String, Error> {
    let table = format!("{prefix}-{}", uuid::Uuid::new_v4());
    let mut def = TableDef::from_repo()?;
    if crate::var("BENCH_NO_STREAM").is_some_and(|v| v != "0") {
        def.stream_specification = None;
    }
    ensure_table(client, &table, &def).await?;
    Ok(table)
}

pub struct Env {
    pub app: App,
    /// Where the sweep's redelivery sends (files, as `make dev`).
    pub out: Outbound,
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
    pub taps: Taps,
    pub clock: Arc<BenchClock>,
    pub dir: PathBuf,
}

impl Env {
    pub async fn new(endpoint: &str) -> Result<Self, Error> {
        let taps = Taps::default();
        let client = client(endpoint, &taps);
        let table = new_table(&client, "roster-bench").await?;
        let dir = std::env::temp_dir().join(format!("roster-bench-{}", uuid::Uuid::new_v4()));
        let clock = Arc::new(BenchClock(Mutex::new(Utc::now())));
        let store = Arc::new(DynamoStore::new(client.clone(), table.clone()));
        let out = Outbound {
            mailer: Arc::new(DirMailer::new(dir.join("mail"), clock.clone()).with_feedback(store.clone())),
            events: Arc::new(DirEvents::new(dir.join("events"))),
        };
        let app = App {
            store,
            clock: clock.clone(),
            config: Config {
                app_base_url: "https://app.roster.bench".into(),
                support_agents: vec![crate::scenario::AGENT.into()],
                license_terms_version: "bench-terms".into(),
            },
        };
        Ok(Self { app, out, client, table, taps, clock, dir })
    }

    /// The mail files written so far, oldest first.
    pub fn mails(&self) -> Vec<Value> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(self.dir.join("mail"))
            .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        paths.sort();
        paths.iter().filter_map(|p| std::fs::read(p).ok()).filter_map(|b| serde_json::from_slice(&b).ok()).collect()
    }

    /// The token of the newest mail to `to` whose link has `prefix`. Mail
    /// leaves the outbox through the delivery function in AWS; here the
    /// outbox is delivered first, between requests, outside any figure.
    pub async fn link(&self, to: &str, prefix: &str) -> Result<String, Error> {
        for item in self.app.store.pending_outbox(1000).await? {
            roster_domain::service::outbox::deliver(&self.app, &self.out, &item).await?;
        }
        let mails = self.mails();
        let text = mails
            .iter()
            .rev()
            .filter(|m| m["to"] == to)
            .filter_map(|m| m["text"].as_str())
            .find(|t| t.contains(prefix))
            .ok_or_else(|| format!("no mail to {to} with a {prefix} link"))?;
        let start = text.find(prefix).map_or(0, |i| i + prefix.len());
        Ok(text[start..].split_whitespace().next().unwrap_or_default().to_string())
    }

    /// Every item of the table (a bench may scan; the functions never do).
    pub async fn all_items(&self) -> Result<Vec<Item>, Error> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self.client.scan().table_name(&self.table).set_exclusive_start_key(start.take()).send().await?;
            items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

    /// Put `items` with BatchWriteItem, `parallel` batches at a time.
    pub async fn load(&self, items: Vec<Item>, parallel: usize) -> Result<(), Error> {
        let puts = items.into_iter().map(put_request).collect::<Result<Vec<_>, _>>()?;
        self.batch_write(puts, parallel).await
    }

    /// `requests` with BatchWriteItem, 25 a call, `parallel` calls at a time,
    /// each call's unprocessed items sent again until none is left.
    async fn batch_write(&self, requests: Vec<WriteRequest>, parallel: usize) -> Result<(), Error> {
        use futures::stream::{self, TryStreamExt};
        let batches: Vec<Vec<WriteRequest>> = requests.chunks(25).map(<[WriteRequest]>::to_vec).collect();
        stream::iter(batches.into_iter().map(Ok::<_, Error>))
            .try_for_each_concurrent(parallel, |mut requests| async move {
                while !requests.is_empty() {
                    let out = self.client.batch_write_item().request_items(&self.table, requests).send().await?;
                    requests = out.unprocessed_items.and_then(|mut u| u.remove(&self.table)).unwrap_or_default();
                }
                Ok(())
            })
            .await
    }

    /// Drop the table: DynamoDB Local keeps everything in memory.
    pub async fn drop_table(&self) -> Result<(), Error> {
        self.client.delete_table().table_name(&self.table).send().await?;
        Ok(())
    }

    /// Bring the table from `now` (every item, as `all_items` read it)
    /// back to exactly `target`: delete what `target` lacks, put what it
    /// holds differently. A measured run changes a few hundred of the load
    /// section's thousands of items, so this takes seconds; dropping the
    /// table and loading it again took DynamoDB Local over a minute a time,
    /// four times an operation (bench/history.md, "zxcvbn patched").
    pub async fn restore(&self, now: Vec<Item>, target: Vec<Item>) -> Result<(), Error> {
        let mut target: HashMap<(String, String), Item> = target.into_iter().map(|i| (key_of(&i), i)).collect();
        let mut requests = Vec::new();
        for item in now {
            match target.remove(&key_of(&item)) {
                Some(wanted) if wanted == item => {}
                Some(wanted) => requests.push(put_request(wanted)?),
                None => requests.push(delete_request(&item)?),
            }
        }
        for wanted in target.into_values() {
            requests.push(put_request(wanted)?);
        }
        self.batch_write(requests, 4).await
    }
}

/// An item's table key, PK and SK (both strings in this table).
fn key_of(item: &Item) -> (String, String) {
    let part = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
    (part(PK), part(SK))
}

fn put_request(item: Item) -> Result<WriteRequest, Error> {
    Ok(WriteRequest::builder().put_request(PutRequest::builder().set_item(Some(item)).build()?).build())
}

fn delete_request(item: &Item) -> Result<WriteRequest, Error> {
    let key: Item = [PK, SK].iter().filter_map(|k| Some((k.to_string(), item.get(*k)?.clone()))).collect();
    Ok(WriteRequest::builder().delete_request(DeleteRequest::builder().set_key(Some(key)).build()?).build())
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
