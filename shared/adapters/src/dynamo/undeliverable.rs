//! Marks on undeliverable addresses (issue 14): single-item UpdateItems and
//! a conditional DeleteItem, each atomic on its own, so a report delivered
//! twice, a mail skipped and a mark lifted can interleave in any order.

use super::codec::{n, s};
use super::entity::{Entity, Keyed};
use super::{backend, DynamoStore};
use roster_domain::clock::Time;
use roster_domain::error::PortError;
use roster_domain::model::{Undeliverable, UndeliverableReason};

fn reason_value(reason: UndeliverableReason) -> Result<aws_sdk_dynamodb::types::AttributeValue, PortError> {
    serde_dynamo::to_attribute_value(reason).map_err(|e| PortError::Backend(format!("encoding reason: {e}")))
}

impl DynamoStore {
    /// `Store::mark_undeliverable`. A complaint overwrites a bounce; a
    /// bounce sets the reason only where none is, so it never softens a
    /// complaint. The first mark's time and the skip count stay.
    pub(super) async fn mark(&self, email_norm: &str, reason: UndeliverableReason, at: Time) -> Result<(), PortError> {
        let set_reason = match reason {
            UndeliverableReason::Complained => "#reason = :reason",
            UndeliverableReason::Bounced => "#reason = if_not_exists(#reason, :reason)",
        };
        let at = serde_dynamo::to_attribute_value(at).map_err(|e| PortError::Backend(format!("encoding time: {e}")))?;
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Undeliverable::primary_key(email_norm).item()))
            .update_expression(format!(
                "SET #type = :type, #email = :email, {set_reason}, #at = if_not_exists(#at, :at), \
                 #skipped = if_not_exists(#skipped, :zero)"
            ))
            .expression_attribute_names("#type", super::keys::TYPE)
            .expression_attribute_names("#email", "email_norm")
            .expression_attribute_names("#reason", "reason")
            .expression_attribute_names("#at", "marked_at")
            .expression_attribute_names("#skipped", "skipped")
            .expression_attribute_values(":type", s(Undeliverable::TYPE))
            .expression_attribute_values(":email", s(email_norm))
            .expression_attribute_values(":reason", reason_value(reason)?)
            .expression_attribute_values(":at", at)
            .expression_attribute_values(":zero", n(0))
            .send()
            .await
            .map_err(|e| backend("UpdateItem", e))?;
        Ok(())
    }

    /// `Store::count_skipped`: nothing when the mark was lifted meanwhile.
    pub(super) async fn skipped(&self, email_norm: &str) -> Result<(), PortError> {
        let sent = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Undeliverable::primary_key(email_norm).item()))
            .update_expression("ADD #skipped :one")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#skipped", "skipped")
            .expression_attribute_values(":one", n(1))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Ok(()),
            Err(e) => Err(backend("UpdateItem", e)),
        }
    }

    /// `Store::clear_undeliverable`: deletes the mark only if its reason is
    /// `reason`, in the delete's own condition, so a complaint that arrives
    /// meanwhile is never lifted as a bounce.
    pub(super) async fn clear(&self, email_norm: &str, reason: UndeliverableReason) -> Result<bool, PortError> {
        let sent = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Undeliverable::primary_key(email_norm).item()))
            .condition_expression("#reason = :reason")
            .expression_attribute_names("#reason", "reason")
            .expression_attribute_values(":reason", reason_value(reason)?)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(backend("DeleteItem", e)),
        }
    }
}
