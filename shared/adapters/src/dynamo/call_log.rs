//! A record of the DynamoDB calls a client makes, kept by an SDK interceptor:
//! the operation, the index a query reads, and the items a call addresses,
//! each under the IAM action that governs it. The store never needs it; a
//! test builds its client with one to learn which actions each function
//! really uses (tests/it/iam.rs), and a bench can count calls per endpoint.
//!
//! `config.interceptor(log.clone())` on an `aws_sdk_dynamodb::Config`
//! builder, then `log.take()`.

use super::keys::PK;
use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemInput;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemInput;
use aws_sdk_dynamodb::operation::get_item::GetItemInput;
use aws_sdk_dynamodb::operation::put_item::PutItemInput;
use aws_sdk_dynamodb::operation::query::QueryInput;
use aws_sdk_dynamodb::operation::scan::ScanInput;
use aws_sdk_dynamodb::operation::transact_get_items::TransactGetItemsInput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemInput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::Input;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// One call (one execution: the SDK's retries of it are not counted again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The API operation as DynamoDB names it: `Query`, `TransactWriteItems`.
    pub operation: String,
    /// The index a Query or Scan reads; `None` for the table.
    pub index: Option<String>,
    /// The items the call names by key, in order; empty for a Query or Scan.
    pub items: Vec<ItemAction>,
}

/// One item a call reads or writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemAction {
    /// The IAM action that governs it (see `Call::iam_actions`).
    pub action: &'static str,
    /// Its partition key value: what `dynamodb:LeadingKeys` is matched on.
    pub partition: String,
    /// The condition expression it is written under, if any.
    pub condition: Option<String>,
}

impl Call {
    /// The IAM actions the call needs. A transaction is authorized item by
    /// item under the item-level actions (GetItem, PutItem, UpdateItem,
    /// DeleteItem, and ConditionCheckItem for a condition check), not under
    /// an action of its own name: "Using IAM with DynamoDB transactions",
    /// <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html>.
    /// Every other operation needs the action of its own name.
    pub fn iam_actions(&self) -> Vec<&'static str> {
        match self.operation.as_str() {
            "TransactWriteItems" | "TransactGetItems" => self.items.iter().map(|i| i.action).collect(),
            other => vec![iam_name(other)],
        }
    }
}

/// The operation's own IAM action, `dynamodb:` left off; an operation this
/// does not know keeps a name no policy grants, so it cannot pass unseen.
fn iam_name(operation: &str) -> &'static str {
    match operation {
        "GetItem" => "GetItem",
        "PutItem" => "PutItem",
        "UpdateItem" => "UpdateItem",
        "DeleteItem" => "DeleteItem",
        "Query" => "Query",
        "Scan" => "Scan",
        "BatchGetItem" => "BatchGetItem",
        "BatchWriteItem" => "BatchWriteItem",
        "DescribeTable" => "DescribeTable",
        "CreateTable" => "CreateTable",
        _ => "(unknown operation)",
    }
}

/// The calls recorded so far; clones share them.
#[derive(Debug, Clone, Default)]
pub struct CallLog(Arc<Mutex<Vec<Call>>>);

impl CallLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// The calls since the last `take`, oldest first, and forget them.
    pub fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

type Item = HashMap<String, AttributeValue>;

fn partition(key: Option<&Item>) -> String {
    key.and_then(|k| k.get(PK)).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default()
}

fn item(action: &'static str, key: Option<&Item>, condition: Option<&str>) -> ItemAction {
    ItemAction { action, partition: partition(key), condition: condition.map(str::to_string) }
}

/// The index and the items of the call whose input is `input`.
fn addressed(input: &Input) -> (Option<String>, Vec<ItemAction>) {
    if let Some(q) = input.downcast_ref::<QueryInput>() {
        return (q.index_name().map(str::to_string), Vec::new());
    }
    if let Some(s) = input.downcast_ref::<ScanInput>() {
        return (s.index_name().map(str::to_string), Vec::new());
    }
    let items = if let Some(g) = input.downcast_ref::<GetItemInput>() {
        vec![item("GetItem", g.key(), None)]
    } else if let Some(p) = input.downcast_ref::<PutItemInput>() {
        vec![item("PutItem", p.item(), p.condition_expression())]
    } else if let Some(u) = input.downcast_ref::<UpdateItemInput>() {
        vec![item("UpdateItem", u.key(), u.condition_expression())]
    } else if let Some(d) = input.downcast_ref::<DeleteItemInput>() {
        vec![item("DeleteItem", d.key(), d.condition_expression())]
    } else if let Some(b) = input.downcast_ref::<BatchGetItemInput>() {
        let tables = b.request_items().into_iter().flat_map(|r| r.values());
        tables.flat_map(|t| t.keys()).map(|k| item("BatchGetItem", Some(k), None)).collect()
    } else if let Some(t) = input.downcast_ref::<TransactWriteItemsInput>() {
        t.transact_items()
            .iter()
            .filter_map(|w| {
                if let Some(p) = w.put() {
                    Some(item("PutItem", Some(p.item()), p.condition_expression()))
                } else if let Some(u) = w.update() {
                    Some(item("UpdateItem", Some(u.key()), u.condition_expression()))
                } else if let Some(d) = w.delete() {
                    Some(item("DeleteItem", Some(d.key()), d.condition_expression()))
                } else {
                    w.condition_check()
                        .map(|c| item("ConditionCheckItem", Some(c.key()), Some(c.condition_expression())))
                }
            })
            .collect()
    } else if let Some(t) = input.downcast_ref::<TransactGetItemsInput>() {
        t.transact_items().iter().filter_map(|g| g.get()).map(|g| item("GetItem", Some(g.key()), None)).collect()
    } else {
        Vec::new()
    };
    (None, items)
}

impl Intercept for CallLog {
    fn name(&self) -> &'static str {
        "CallLog"
    }

    // Not `read_before_execution`: a client's interceptors run that before
    // the operation's configuration, which names the operation, is applied.
    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg.load::<Metadata>().map_or("(unnamed)", Metadata::name).to_string();
        let (index, items) = addressed(context.input());
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push(Call { operation, index, items });
        Ok(())
    }
}
