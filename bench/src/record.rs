//! Two SDK interceptors of the bench, beside the adapters' `CallLog` (which
//! names calls but keeps no inputs):
//!
//! - `Recorder` keeps each call's whole input, per request: a request run
//!   inside `Recorder::scope` gets its own list, so concurrent requests do
//!   not mix. `replay` then sends the same inputs straight to DynamoDB.
//! - `Capacity` asks DynamoDB for the capacity each call consumed
//!   (`ReturnConsumedCapacity`) and adds it up, while switched on.

use crate::env::Error;
use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextMut,
    BeforeSerializationInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::operation::batch_get_item::{BatchGetItemInput, BatchGetItemOutput};
use aws_sdk_dynamodb::operation::delete_item::{DeleteItemInput, DeleteItemOutput};
use aws_sdk_dynamodb::operation::get_item::{GetItemInput, GetItemOutput};
use aws_sdk_dynamodb::operation::put_item::{PutItemInput, PutItemOutput};
use aws_sdk_dynamodb::operation::query::{QueryInput, QueryOutput};
use aws_sdk_dynamodb::operation::scan::{ScanInput, ScanOutput};
use aws_sdk_dynamodb::operation::transact_write_items::{TransactWriteItemsInput, TransactWriteItemsOutput};
use aws_sdk_dynamodb::operation::update_item::{UpdateItemInput, UpdateItemOutput};
use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};
use aws_smithy_runtime_api::box_error::BoxError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// One call's input, as the handler's store sent it.
#[derive(Debug, Clone)]
pub enum Captured {
    Get(GetItemInput),
    BatchGet(BatchGetItemInput),
    Query(QueryInput),
    TransactWrite(TransactWriteItemsInput),
    Put(PutItemInput),
    Update(UpdateItemInput),
    Delete(DeleteItemInput),
    /// An operation the replay cannot send; its name.
    Other(String),
}

type Calls = Arc<Mutex<Vec<Captured>>>;

tokio::task_local! {
    static CURRENT: Calls;
}

#[derive(Debug, Clone, Default)]
pub struct Recorder;

impl Recorder {
    /// Run `work`, returning what it returns and the inputs of the calls it made.
    pub async fn scope<T>(work: impl std::future::Future<Output = T>) -> (T, Vec<Captured>) {
        let calls = Calls::default();
        let out = CURRENT.scope(calls.clone(), work).await;
        let taken = std::mem::take(&mut *calls.lock().unwrap_or_else(PoisonError::into_inner));
        (out, taken)
    }
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "BenchRecorder"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let _ = CURRENT.try_with(|calls| {
            let input = context.input();
            let captured = if let Some(i) = input.downcast_ref::<GetItemInput>() {
                Captured::Get(i.clone())
            } else if let Some(i) = input.downcast_ref::<BatchGetItemInput>() {
                Captured::BatchGet(i.clone())
            } else if let Some(i) = input.downcast_ref::<QueryInput>() {
                Captured::Query(i.clone())
            } else if let Some(i) = input.downcast_ref::<TransactWriteItemsInput>() {
                Captured::TransactWrite(i.clone())
            } else if let Some(i) = input.downcast_ref::<PutItemInput>() {
                Captured::Put(i.clone())
            } else if let Some(i) = input.downcast_ref::<UpdateItemInput>() {
                Captured::Update(i.clone())
            } else if let Some(i) = input.downcast_ref::<DeleteItemInput>() {
                Captured::Delete(i.clone())
            } else {
                Captured::Other(format!("{input:?}").chars().take(40).collect())
            };
            calls.lock().unwrap_or_else(PoisonError::into_inner).push(captured);
        });
        Ok(())
    }
}

/// Send `calls` in order, as they were sent; a call DynamoDB refuses (a
/// condition that fails on replay) still counts as made. Returns how many
/// were refused.
pub async fn replay(client: &aws_sdk_dynamodb::Client, calls: &[Captured]) -> Result<usize, Error> {
    let mut refused = 0;
    for call in calls.iter().cloned() {
        let ok = match call {
            Captured::Get(i) => client
                .get_item()
                .set_table_name(i.table_name)
                .set_key(i.key)
                .set_consistent_read(i.consistent_read)
                .set_projection_expression(i.projection_expression)
                .set_expression_attribute_names(i.expression_attribute_names)
                .send()
                .await
                .is_ok(),
            Captured::BatchGet(i) => client.batch_get_item().set_request_items(i.request_items).send().await.is_ok(),
            Captured::Query(i) => client
                .query()
                .set_table_name(i.table_name)
                .set_index_name(i.index_name)
                .set_select(i.select)
                .set_limit(i.limit)
                .set_consistent_read(i.consistent_read)
                .set_scan_index_forward(i.scan_index_forward)
                .set_exclusive_start_key(i.exclusive_start_key)
                .set_projection_expression(i.projection_expression)
                .set_filter_expression(i.filter_expression)
                .set_key_condition_expression(i.key_condition_expression)
                .set_expression_attribute_names(i.expression_attribute_names)
                .set_expression_attribute_values(i.expression_attribute_values)
                .send()
                .await
                .is_ok(),
            Captured::TransactWrite(i) => client
                .transact_write_items()
                .set_transact_items(i.transact_items)
                // A token of its own, as the handler sends: DynamoDB answers
                // a token it has seen (for 10 minutes) with the first call's
                // outcome and writes nothing, so replaying the handler's
                // token made every replayed transaction a no-op.
                .set_client_request_token(i.client_request_token.map(|_| uuid::Uuid::new_v4().to_string()))
                .send()
                .await
                .is_ok(),
            Captured::Put(i) => client
                .put_item()
                .set_table_name(i.table_name)
                .set_item(i.item)
                .set_condition_expression(i.condition_expression)
                .set_expression_attribute_names(i.expression_attribute_names)
                .set_expression_attribute_values(i.expression_attribute_values)
                .send()
                .await
                .is_ok(),
            Captured::Update(i) => client
                .update_item()
                .set_table_name(i.table_name)
                .set_key(i.key)
                .set_update_expression(i.update_expression)
                .set_condition_expression(i.condition_expression)
                .set_expression_attribute_names(i.expression_attribute_names)
                .set_expression_attribute_values(i.expression_attribute_values)
                .set_return_values(i.return_values)
                .send()
                .await
                .is_ok(),
            Captured::Delete(i) => client
                .delete_item()
                .set_table_name(i.table_name)
                .set_key(i.key)
                .set_condition_expression(i.condition_expression)
                .set_expression_attribute_names(i.expression_attribute_names)
                .set_expression_attribute_values(i.expression_attribute_values)
                .send()
                .await
                .is_ok(),
            Captured::Other(name) => return Err(format!("the replay cannot send {name}").into()),
        };
        refused += usize::from(!ok);
    }
    Ok(refused)
}

/// Read and write capacity units, summed over the calls made while on.
#[derive(Debug, Clone, Default)]
pub struct Capacity {
    on: Arc<AtomicBool>,
    units: Arc<Mutex<(f64, f64)>>,
}

impl Capacity {
    /// Start counting from zero.
    pub fn start(&self) {
        *self.units.lock().unwrap_or_else(PoisonError::into_inner) = (0.0, 0.0);
        self.on.store(true, Ordering::SeqCst);
    }

    /// Stop; (read units, write units) since `start`.
    pub fn stop(&self) -> (f64, f64) {
        self.on.store(false, Ordering::SeqCst);
        *self.units.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// DynamoDB reports one total per call (and table); a read call's is
    /// read units, a write call's write units.
    fn add(&self, consumed: &[ConsumedCapacity], read: bool) {
        let total: f64 = consumed.iter().map(|c| c.capacity_units.unwrap_or_default()).sum();
        let mut units = self.units.lock().unwrap_or_else(PoisonError::into_inner);
        if read {
            units.0 += total;
        } else {
            units.1 += total;
        }
    }
}

impl Intercept for Capacity {
    fn name(&self) -> &'static str {
        "BenchCapacity"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if !self.on.load(Ordering::SeqCst) {
            return Ok(());
        }
        let total = Some(ReturnConsumedCapacity::Total);
        let input = context.input_mut();
        if let Some(i) = input.downcast_mut::<QueryInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<ScanInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<GetItemInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<BatchGetItemInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<TransactWriteItemsInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<PutItemInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<UpdateItemInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<DeleteItemInput>() {
            i.return_consumed_capacity = total;
        }
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if !self.on.load(Ordering::SeqCst) {
            return Ok(());
        }
        let Ok(output) = context.output_or_error() else { return Ok(()) };
        let one = |c: Option<&ConsumedCapacity>| c.cloned().into_iter().collect::<Vec<_>>();
        let (consumed, read) = if let Some(o) = output.downcast_ref::<QueryOutput>() {
            (one(o.consumed_capacity()), true)
        } else if let Some(o) = output.downcast_ref::<ScanOutput>() {
            (one(o.consumed_capacity()), true)
        } else if let Some(o) = output.downcast_ref::<GetItemOutput>() {
            (one(o.consumed_capacity()), true)
        } else if let Some(o) = output.downcast_ref::<BatchGetItemOutput>() {
            (o.consumed_capacity().to_vec(), true)
        } else if let Some(o) = output.downcast_ref::<TransactWriteItemsOutput>() {
            (o.consumed_capacity().to_vec(), false)
        } else if let Some(o) = output.downcast_ref::<PutItemOutput>() {
            (one(o.consumed_capacity()), false)
        } else if let Some(o) = output.downcast_ref::<UpdateItemOutput>() {
            (one(o.consumed_capacity()), false)
        } else if let Some(o) = output.downcast_ref::<DeleteItemOutput>() {
            (one(o.consumed_capacity()), false)
        } else {
            (Vec::new(), true)
        };
        self.add(&consumed, read);
        Ok(())
    }
}
