//! Why DynamoDB cancelled a transaction, from its per-action reasons.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;

#[derive(Debug, PartialEq, Eq)]
pub enum Cancelled {
    /// The condition of the write at this index failed.
    Condition(usize),
    /// Another transaction held an item; nothing was written.
    Contention,
    Other(String),
}

/// `None` unless the error is a cancellation.
pub fn cancelled(e: &TransactWriteItemsError) -> Option<Cancelled> {
    let TransactWriteItemsError::TransactionCanceledException(c) = e else { return None };
    let reasons = c.cancellation_reasons();
    if let Some(i) = reasons.iter().position(|r| r.code() == Some("ConditionalCheckFailed")) {
        return Some(Cancelled::Condition(i));
    }
    if reasons.iter().any(|r| r.code() == Some("TransactionConflict")) {
        return Some(Cancelled::Contention);
    }
    let codes: Vec<_> = reasons.iter().filter_map(|r| r.code()).filter(|c| *c != "None").collect();
    Some(Cancelled::Other(codes.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::error::TransactionCanceledException;
    use aws_sdk_dynamodb::types::CancellationReason;

    fn cancelled_with(codes: &[&str]) -> TransactWriteItemsError {
        let reasons = codes.iter().map(|c| CancellationReason::builder().code(*c).build()).collect();
        TransactWriteItemsError::TransactionCanceledException(
            TransactionCanceledException::builder().set_cancellation_reasons(Some(reasons)).build(),
        )
    }

    #[test]
    fn a_failed_condition_names_its_write() {
        let e = cancelled_with(&["None", "None", "ConditionalCheckFailed", "None"]);
        assert_eq!(cancelled(&e), Some(Cancelled::Condition(2)));
    }

    #[test]
    fn contention_and_other_reasons() {
        assert_eq!(cancelled(&cancelled_with(&["None", "TransactionConflict"])), Some(Cancelled::Contention));
        assert_eq!(
            cancelled(&cancelled_with(&["ThrottlingError", "None", "ValidationError"])),
            Some(Cancelled::Other("ThrottlingError, ValidationError".into()))
        );
    }
}
