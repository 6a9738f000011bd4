//! Lambda entry point of the `sweep` function, run by an EventBridge schedule.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    roster_api::init_tracing();
    let (app, out) = roster_adapters::bootstrap::delivering_from_env().await?;
    roster_api::sweep::serve(app, out).await
}
