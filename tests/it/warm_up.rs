//! Issue 15 item 4: a function opens its DynamoDB connection during init,
//! with a read every function's role allows, and starts even when that
//! read fails. Item 2: init waits for that read, made once.

use crate::common::Harness;
use roster_adapters::dynamo::DynamoStore;

#[tokio::test]
async fn warming_up_is_one_get_item_of_an_email_claim() {
    let h = Harness::recording().await;
    let log = &h.usage.as_ref().expect("recording").log;
    log.take();
    DynamoStore::new(h.client.clone(), h.table.clone()).warm_up().await;
    let calls = log.take();
    let made: Vec<(String, Vec<&str>, Vec<&str>)> = calls
        .iter()
        .map(|c| (c.operation.clone(), c.iam_actions(), c.items.iter().map(|i| i.partition.as_str()).collect()))
        .collect();
    // GetItem is in every role; mail-events' only on EMAIL# keys.
    assert_eq!(made, vec![("GetItem".to_string(), vec!["GetItem"], vec!["EMAIL#"])]);
}

/// The settings `app_from_env` reads, DynamoDB at `endpoint`. Each test runs
/// in its own process (nextest), so these are that test's.
fn set_env(endpoint: &str) {
    for (name, value) in [
        ("TABLE_NAME", "roster-warm-up"),
        ("AWS_ENDPOINT_URL_DYNAMODB", endpoint),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("MAIL_TRANSPORT", "dir"),
        ("EVENTS_TRANSPORT", "dir"),
    ] {
        std::env::set_var(name, value);
    }
    let dir = std::env::temp_dir().join(format!("roster-warm-up-{}", uuid::Uuid::new_v4()));
    std::env::set_var("MAIL_DIR", dir.join("mail"));
    std::env::set_var("EVENTS_DIR", dir.join("events"));
}

#[tokio::test]
async fn a_function_starts_when_dynamodb_does_not_answer() {
    // Nothing listens on port 9 (discard) locally.
    set_env("http://127.0.0.1:9");
    assert!(roster_adapters::bootstrap::app_from_env().await.is_ok());
}

/// A DynamoDB that reads each request's head, hands it over, and hangs up
/// without answering: each attempt fails at once.
fn hanging_up_dynamodb() -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    let (heads, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let mut conn = conn.expect("accept");
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).expect("read") == 1 {
                head.push(byte[0]);
            }
            // Handed over before the connection closes, so before the
            // client can see the failure.
            heads.send(String::from_utf8_lossy(&head).to_lowercase()).expect("send");
        }
    });
    (endpoint, received)
}

// Init waits for the warm-up (its GetItem has arrived when `app_from_env`
// returns), and makes it once: the client's retries would send it again
// after the hang-up.
#[tokio::test]
async fn init_makes_the_warm_up_once_before_it_returns() {
    let (endpoint, received) = hanging_up_dynamodb();
    set_env(&endpoint);
    let _app = roster_adapters::bootstrap::app_from_env().await.expect("started");
    let heads: Vec<String> = received.try_iter().collect();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(heads[0].starts_with("post / http/1.1"), "{}", heads[0]);
    assert!(heads[0].contains("x-amz-target: dynamodb_20120810.getitem"), "{}", heads[0]);
}
