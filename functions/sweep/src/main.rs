//! Lambda entry point of the `sweep` function, run by an EventBridge schedule.

// One thread: Lambda hands an environment one invocation at a time, and a
// multi-threaded runtime spawns its workers at start (bench/history.md,
// "current-thread runtime").
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    roster_api::init_tracing();
    let (app, out) = roster_adapters::bootstrap::delivering_from_env().await?;
    roster_api::sweep::serve(app, out).await
}
