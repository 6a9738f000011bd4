//! `make dev` runs this beside `cargo lambda watch`: it reads the table's
//! stream on DynamoDB Local and invokes the `delivery` function through
//! cargo lambda's invoke endpoint with each page of records, as Lambda's
//! event source mapping would, so mail and event files appear within a
//! second of the request. It starts at the stream's end: what was written
//! while it was down is the sweep's, as it would be in AWS.
//!
//! `TABLE_NAME`, `AWS_ENDPOINT_URL_DYNAMODB` and `DELIVERY_INVOKE_URL`
//! (cargo lambda's `/2015-03-31/functions/delivery/invocations`).

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::DynamoDbEventResponse;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use roster_adapters::bootstrap::sdk_config;
use roster_adapters::dynamo::local_stream::{retry_from, Start, StreamPoller};
use std::time::Duration;

/// How long an empty stream is left before it is read again: well under the
/// second in which `make dev` promises mail.
const IDLE: Duration = Duration::from_millis(100);
/// How long a failure waits before the next try.
const BACKOFF: Duration = Duration::from_secs(2);
/// How many times one batch is handed over before it is left to the sweep.
const ATTEMPTS: u32 = 5;

type Http = Client<hyper_util::client::legacy::connect::HttpConnector, Full<bytes::Bytes>>;

async fn invoke(http: &Http, url: &str, body: Vec<u8>) -> Result<String, String> {
    let req = http_body_util::Full::new(bytes::Bytes::from(body));
    let req =
        hyper::Request::post(url).header("content-type", "application/json").body(req).map_err(|e| e.to_string())?;
    let resp = http.request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status();
    let text = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    let text = String::from_utf8_lossy(&text).into_owned();
    if status.is_success() {
        Ok(text)
    } else {
        Err(format!("{status}: {text}"))
    }
}

/// Hands `event` to the delivery function. Like the event source mapping
/// (with `ReportBatchItemFailures`), a failed invocation is tried again, and
/// so are the records from the first one the function reported as not
/// delivered (say it ran out of time while cargo lambda compiled it), a few
/// times in all; what is still left then is the sweep's.
async fn deliver(http: &Http, url: &str, mut event: Event) {
    for attempt in 1..=ATTEMPTS {
        let records = event.records.len();
        let body = match serde_json::to_vec(&event) {
            Ok(body) => body,
            Err(e) => {
                eprintln!("stream-poller: {e}");
                return;
            }
        };
        match invoke(http, url, body).await {
            Ok(answer) => {
                println!("stream-poller: {records} records delivered: {answer}");
                let Ok(answer) = serde_json::from_str::<DynamoDbEventResponse>(&answer) else {
                    return;
                };
                match retry_from(event, &answer) {
                    Some(rest) => event = rest,
                    None => return,
                }
                eprintln!("stream-poller: {} records reported undelivered (attempt {attempt})", event.records.len());
            }
            Err(e) => eprintln!("stream-poller: invoking delivery (attempt {attempt}): {e}"),
        }
        tokio::time::sleep(BACKOFF).await;
    }
    eprintln!("stream-poller: {} records left to the sweep", event.records.len());
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let table = std::env::var("TABLE_NAME").unwrap_or_else(|_| "roster".into());
    let Ok(url) = std::env::var("DELIVERY_INVOKE_URL") else {
        eprintln!("stream-poller: DELIVERY_INVOKE_URL is required");
        return std::process::ExitCode::FAILURE;
    };
    let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL_DYNAMODB") else {
        eprintln!("stream-poller: AWS_ENDPOINT_URL_DYNAMODB is required (DynamoDB Local)");
        return std::process::ExitCode::FAILURE;
    };
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let mut poller = match StreamPoller::open(&dynamo, &endpoint, &table, Start::Latest).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("stream-poller: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let http: Http = Client::builder(TokioExecutor::new()).build_http();
    println!("stream-poller: delivering {table}'s stream to {url}");
    loop {
        let event = match poller.poll().await {
            Ok(event) if event.records.is_empty() => {
                tokio::time::sleep(IDLE).await;
                continue;
            }
            Ok(event) => event,
            Err(e) => {
                eprintln!("stream-poller: reading the stream: {e}");
                tokio::time::sleep(BACKOFF).await;
                continue;
            }
        };
        deliver(&http, &url, event).await;
    }
}
