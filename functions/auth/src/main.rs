//! Lambda entry point of the `auth` function; everything else is shared.

// One thread: Lambda hands an environment one invocation at a time, and a
// multi-threaded runtime spawns its workers at start (bench/history.md,
// "current-thread runtime").
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    roster_api::init_tracing();
    let app = roster_adapters::bootstrap::app_from_env().await?;
    roster_api::serve(roster_api::served::AUTH, app).await
}
