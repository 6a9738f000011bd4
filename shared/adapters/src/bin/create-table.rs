//! `make dev` runs this: create the table from infra/template.yaml if missing.

use roster_adapters::bootstrap::sdk_config;
use roster_adapters::dynamo::table::{ensure_table, TableDef};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let name = std::env::var("TABLE_NAME").unwrap_or_else(|_| "roster".into());
    let result = async {
        let def = TableDef::from_repo()?;
        let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
        ensure_table(&client, &name, &def).await
    }
    .await;
    match result {
        Ok(true) => {
            println!("created table {name}");
            std::process::ExitCode::SUCCESS
        }
        Ok(false) => {
            println!("table {name} exists");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("create-table: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
