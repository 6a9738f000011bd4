//! Counted attempts (R25, R28): single UpdateItems outside any transaction,
//! each learning its own place in the streak from the count `ADD` returns.

use super::codec::n;
use super::entity::primary;
use super::keys::FAILURES;
use super::{backend, DynamoStore};
use aws_sdk_dynamodb::types::ReturnValue;
use roster_domain::error::PortError;
use roster_domain::ports::Key;

impl DynamoStore {
    /// `Store::count_attempt`.
    pub(super) async fn count(&self, key: &Key, must_exist: bool) -> Result<Option<u32>, PortError> {
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(primary(key).item()))
            .update_expression("ADD #failures :one")
            .expression_attribute_names("#failures", FAILURES)
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::UpdatedNew);
        if must_exist {
            req = req.condition_expression("attribute_exists(PK)");
        }
        match req.send().await {
            Ok(out) => {
                // A count that cannot be read counts as past every limit.
                let count = out
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get(FAILURES))
                    .and_then(|v| v.as_n().ok())
                    .map_or(u32::MAX, |v| v.parse::<u32>().unwrap_or(u32::MAX));
                Ok(Some(count))
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Ok(None),
            Err(e) => Err(backend("UpdateItem", e)),
        }
    }

    /// `Store::forget_attempt`.
    pub(super) async fn forget(&self, key: &Key) -> Result<(), PortError> {
        let sent = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(primary(key).item()))
            .update_expression("ADD #failures :minus")
            .condition_expression("#failures > :zero")
            .expression_attribute_names("#failures", FAILURES)
            .expression_attribute_values(":minus", n(-1))
            .expression_attribute_values(":zero", n(0))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            // Nothing to take back: a success reset the streak meanwhile.
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Ok(()),
            Err(e) => Err(backend("UpdateItem", e)),
        }
    }
}
