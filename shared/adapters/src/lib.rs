//! Adapters behind the domain's ports: DynamoDB, SES v2, EventBridge, and the
//! local directory stand-ins for mail and events.

pub mod aws;
pub mod bootstrap;
pub mod dynamo;
pub mod eventbridge;
pub mod local_dir;
pub mod ses;
