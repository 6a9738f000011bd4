//! Lambda entry point of the `sweep` function, run by an EventBridge schedule.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    roster_api::init_tracing();
    let app = roster_adapters::bootstrap::app_from_env().await?;
    roster_api::sweep::serve(app).await
}
