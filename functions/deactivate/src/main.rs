//! Lambda entry point of the `deactivate` function; everything else is shared.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    roster_api::init_tracing();
    let app = roster_adapters::bootstrap::app_from_env().await?;
    roster_api::serve(roster_api::served::DEACTIVATE, app).await
}
