//! Issue 15 item 4: a function opens its DynamoDB connection during init,
//! with a read every function's role allows, and starts even when that
//! read fails.

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

#[tokio::test]
async fn a_function_starts_when_dynamodb_does_not_answer() {
    // Each test runs in its own process (nextest), so these are this one's.
    for (name, value) in [
        ("TABLE_NAME", "roster-warm-up"),
        // Nothing listens on port 9 (discard) locally.
        ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9"),
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
    assert!(roster_adapters::bootstrap::app_from_env().await.is_ok());
}
