//! `make dev` runs this beside `cargo lambda watch`: it reads the table's
//! stream on DynamoDB Local and invokes the `delivery` function through
//! cargo lambda's invoke endpoint with each page of records, as Lambda's
//! event source mapping would, so mail and event files appear within a
//! second of the request. It starts at the stream's end: what was written
//! while it was down is the sweep's, as it would be in AWS.
//!
//! `TABLE_NAME`, `AWS_ENDPOINT_URL_DYNAMODB` and `DELIVERY_INVOKE_URL`
//! (cargo lambda's `/2015-03-31/functions/delivery/invocations`).

use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use roster_adapters::bootstrap::sdk_config;
use roster_adapters::dynamo::local_stream::{Start, StreamPoller};
use std::time::Duration;

/// How long an empty stream is left before it is read again: well under the
/// second in which `make dev` promises mail.
const IDLE: Duration = Duration::from_millis(100);
/// How long a failure waits before the next try.
const BACKOFF: Duration = Duration::from_secs(2);

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
        let records = event.records.len();
        let body = match serde_json::to_vec(&event) {
            Ok(body) => body,
            Err(e) => {
                eprintln!("stream-poller: {e}");
                continue;
            }
        };
        // Like the event source mapping, a failed batch is tried again, a
        // few times, and then left to the sweep.
        for attempt in 1..=3 {
            match invoke(&http, &url, body.clone()).await {
                Ok(answer) => {
                    println!("stream-poller: {records} records delivered: {answer}");
                    break;
                }
                Err(e) => {
                    eprintln!("stream-poller: invoking delivery (attempt {attempt}): {e}");
                    tokio::time::sleep(BACKOFF).await;
                }
            }
        }
    }
}
