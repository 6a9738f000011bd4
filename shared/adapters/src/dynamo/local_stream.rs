//! A poller of the table's change stream on DynamoDB Local, standing in for
//! Lambda's event source mapping where there is none: `make dev` (the
//! `stream-poller` binary) and the tests. It reads every shard of the
//! stream, following new shards when one closes, and hands back each page
//! of records as the `DynamodbEvent` Lambda would send the delivery function.
//!
//! It speaks the Streams JSON protocol itself rather than through
//! aws-sdk-dynamodbstreams, for two quirks of DynamoDB Local 10.x measured
//! here: an empty map in an image comes as `{}` instead of `{"M": {}}`,
//! which the SDK refuses to parse (the whole page with it), and a
//! `TRIM_HORIZON` iterator taken while a shard is still empty is refused as
//! trimmed once records arrive, since Local numbers records across all
//! tables. Local checks no signature, so requests carry a placeholder one.

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::DynamoDbEventResponse;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use roster_domain::error::PortError;
use serde_json::{json, Value};
use std::collections::HashSet;

/// Where a poller begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Everything the stream still holds (a fresh table in the tests).
    TrimHorizon,
    /// Only what comes after it started (`make dev`, whose table outlives it).
    Latest,
}

impl Start {
    fn name(self) -> &'static str {
        match self {
            Start::TrimHorizon => "TRIM_HORIZON",
            Start::Latest => "LATEST",
        }
    }
}

/// One shard being read.
struct Shard {
    id: String,
    iterator: String,
    from: Start,
    /// Whether it has given any record yet (see the module note on
    /// iterators taken while a shard is empty).
    read_any: bool,
}

pub struct StreamPoller {
    http: Client<HttpConnector, Full<bytes::Bytes>>,
    endpoint: String,
    arn: String,
    start: Start,
    /// Every shard met so far, open or closed.
    known: HashSet<String>,
    open: Vec<Shard>,
}

fn failed(what: &str, e: impl std::fmt::Display) -> PortError {
    PortError::Backend(format!("{what}: {e}"))
}

/// DynamoDB Local's `{}` for an empty map, as the service writes it.
fn repair(value: &mut Value) {
    match value {
        Value::Object(o) if o.is_empty() => *value = json!({ "M": {} }),
        Value::Object(o) => {
            if let Some(Value::Object(m)) = o.get_mut("M") {
                m.values_mut().for_each(repair);
            }
            if let Some(Value::Array(l)) = o.get_mut("L") {
                l.iter_mut().for_each(repair);
            }
        }
        _ => {}
    }
}

impl StreamPoller {
    /// A poller of `table`'s stream (which must be enabled) on the DynamoDB
    /// Local at `endpoint`.
    pub async fn open(
        dynamo: &aws_sdk_dynamodb::Client,
        endpoint: &str,
        table: &str,
        start: Start,
    ) -> Result<Self, PortError> {
        let described =
            dynamo.describe_table().table_name(table).send().await.map_err(|e| super::backend("DescribeTable", e))?;
        let arn = described
            .table
            .and_then(|t| t.latest_stream_arn)
            .ok_or_else(|| PortError::Backend(format!("table {table} has no stream")))?;
        let mut poller = Self {
            http: Client::builder(TokioExecutor::new()).build_http(),
            endpoint: endpoint.trim_end_matches('/').to_string(),
            arn,
            start,
            known: HashSet::new(),
            open: Vec::new(),
        };
        poller.discover().await?;
        Ok(poller)
    }

    async fn call(&self, action: &str, body: Value) -> Result<Result<Value, String>, PortError> {
        let req = hyper::Request::post(format!("{}/", self.endpoint))
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", format!("DynamoDBStreams_20120810.{action}"))
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
            )
            .body(Full::new(bytes::Bytes::from(body.to_string())))
            .map_err(|e| failed(action, e))?;
        let resp = self.http.request(req).await.map_err(|e| failed(action, e))?;
        let ok = resp.status().is_success();
        let bytes = resp.into_body().collect().await.map_err(|e| failed(action, e))?.to_bytes();
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| failed(action, e))?;
        // An error answer is handed back for the caller to judge by its type.
        Ok(if ok { Ok(value) } else { Err(value["__type"].as_str().unwrap_or_default().to_string()) })
    }

    async fn iterator(&self, shard: &str, from: Start) -> Result<String, PortError> {
        let body = json!({"StreamArn": self.arn, "ShardId": shard, "ShardIteratorType": from.name()});
        let answer = self.call("GetShardIterator", body).await?.map_err(|e| failed("GetShardIterator", e))?;
        answer["ShardIterator"].as_str().map(str::to_string).ok_or_else(|| failed("GetShardIterator", "no iterator"))
    }

    /// Start reading the shards not met before: the first ones from the
    /// chosen start, the children of a closed one from their beginning.
    async fn discover(&mut self) -> Result<(), PortError> {
        let from = if self.known.is_empty() { self.start } else { Start::TrimHorizon };
        let mut after: Option<String> = None;
        loop {
            let mut body = json!({"StreamArn": self.arn});
            if let Some(a) = &after {
                body["ExclusiveStartShardId"] = json!(a);
            }
            let page = self.call("DescribeStream", body).await?.map_err(|e| failed("DescribeStream", e))?;
            let description = &page["StreamDescription"];
            for shard in description["Shards"].as_array().into_iter().flatten() {
                let Some(id) = shard["ShardId"].as_str() else { continue };
                if self.known.insert(id.to_string()) {
                    let iterator = self.iterator(id, from).await?;
                    self.open.push(Shard { id: id.to_string(), iterator, from, read_any: false });
                }
            }
            after = description["LastEvaluatedShardId"].as_str().map(str::to_string);
            if after.is_none() {
                return Ok(());
            }
        }
    }

    /// Everything the stream holds now that was not handed back before, as
    /// one event (empty when there is nothing new).
    pub async fn poll(&mut self) -> Result<Event, PortError> {
        let mut event = Event::default();
        let mut closed = false;
        for mut shard in std::mem::take(&mut self.open) {
            let mut page = self.call("GetRecords", json!({"ShardIterator": shard.iterator})).await?;
            if matches!(&page, Err(t) if t.ends_with("TrimmedDataAccessException")) && !shard.read_any {
                shard.iterator = self.iterator(&shard.id, shard.from).await?;
                page = self.call("GetRecords", json!({"ShardIterator": shard.iterator})).await?;
            }
            let mut page = page.map_err(|e| failed("GetRecords", e))?;
            for mut record in page["Records"].as_array_mut().map(std::mem::take).unwrap_or_default() {
                for image in ["Keys", "NewImage", "OldImage"] {
                    if let Some(Value::Object(attributes)) = record["dynamodb"].get_mut(image) {
                        attributes.values_mut().for_each(repair);
                    }
                }
                let mut record: EventRecord =
                    serde_json::from_value(record).map_err(|e| failed("a stream record", e))?;
                record.event_source_arn = Some(self.arn.clone());
                event.records.push(record);
                shard.read_any = true;
            }
            match page["NextShardIterator"].as_str() {
                Some(next) => {
                    shard.iterator = next.to_string();
                    self.open.push(shard);
                }
                None => closed = true,
            }
        }
        if closed {
            self.discover().await?;
        }
        Ok(event)
    }
}

/// What the event source mapping would hand the function again after its
/// answer (`ReportBatchItemFailures`): the records from the first one the
/// function reported onward, or `None` when it reported none. A reported id
/// the event does not hold retries the whole event, as Lambda does.
pub fn retry_from(mut event: Event, answer: &DynamoDbEventResponse) -> Option<Event> {
    let first = answer.batch_item_failures.iter().filter_map(|f| f.item_identifier.as_deref()).next()?;
    let at = event.records.iter().position(|r| r.change.sequence_number.as_deref() == Some(first)).unwrap_or(0);
    event.records.drain(..at);
    Some(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locals_empty_maps_become_maps_at_any_depth() {
        let mut image = json!({"m": {}, "n": {"M": {"a": {}, "b": {"L": [{}, {"S": "x"}]}}}, "s": {"S": "x"}});
        image.as_object_mut().into_iter().flat_map(|o| o.values_mut()).for_each(repair);
        assert_eq!(
            image,
            json!({"m": {"M": {}}, "n": {"M": {"a": {"M": {}}, "b": {"L": [{"M": {}}, {"S": "x"}]}}}, "s": {"S": "x"}})
        );
    }

    fn event_of(sequences: &[&str]) -> Event {
        let mut event = Event::default();
        event.records = sequences
            .iter()
            .map(|s| {
                let mut record = EventRecord::default();
                record.change.sequence_number = Some((*s).to_string());
                record
            })
            .collect();
        event
    }

    fn sequences(event: &Event) -> Vec<String> {
        event.records.iter().filter_map(|r| r.change.sequence_number.clone()).collect()
    }

    fn answer(failed: &[&str]) -> DynamoDbEventResponse {
        serde_json::from_value(json!({
            "batchItemFailures": failed.iter().map(|id| json!({"itemIdentifier": id})).collect::<Vec<_>>()
        }))
        .unwrap_or_else(|e| panic!("a batch answer: {e}"))
    }

    #[test]
    fn a_reported_failure_retries_from_that_record_on() {
        let event = event_of(&["1", "2", "3", "4"]);
        assert!(retry_from(event.clone(), &answer(&[])).is_none());
        let again = retry_from(event.clone(), &answer(&["3"])).map(|e| sequences(&e));
        assert_eq!(again, Some(vec!["3".to_string(), "4".to_string()]));
        let unknown = retry_from(event, &answer(&["9"])).map(|e| sequences(&e));
        assert_eq!(unknown.map(|s| s.len()), Some(4), "an unknown id retries the whole batch");
    }
}
