//! Lambda entry point of the `delivery` function: the table's change stream,
//! each new outbox item sent and its outcome recorded (issue 15).

// One thread: Lambda hands an environment one invocation at a time, and a
// multi-threaded runtime spawns its workers at start (bench/history.md,
// "current-thread runtime").
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    roster_api::init_tracing();
    let (app, out) = roster_adapters::bootstrap::delivering_from_env().await?;
    roster_api::delivery::serve(app, out, roster_adapters::dynamo::stream::outbox_item).await
}
