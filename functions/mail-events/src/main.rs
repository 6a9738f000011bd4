//! Lambda entry point of the `mail-events` function: SES bounce and
//! complaint events from EventBridge (issue 14).

// One thread: Lambda hands an environment one invocation at a time, and a
// multi-threaded runtime spawns its workers at start (bench/history.md,
// "current-thread runtime").
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    roster_api::init_tracing();
    let app = roster_adapters::bootstrap::app_from_env().await?;
    roster_api::mail_events::serve(app).await
}
