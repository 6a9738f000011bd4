//! The write path: each `Write` becomes one `TransactWriteItem` carrying its
//! condition, the whole `Tx` one `TransactWriteItems`. When a condition
//! fails the adapter learns only which write it was; the `Tx` says what that
//! means to the domain.

mod cancel;
mod counters;
mod guards;
mod record;

use super::entity::Primary;
use super::{backend, DynamoStore};
use aws_sdk_dynamodb::error::BuildError;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, TransactWriteItem, Update};
use cancel::Cancelled;
use roster_domain::error::PortError;
use roster_domain::ports::{Tx, Write, MAX_WRITES as MAX_TX};

/// The one match over `Write`; each kind is built in the file of its kind:
/// whole records (`record`), counters (`counters`), and the writes that
/// each guard one invariant (`guards`).
pub(super) fn action(table: &str, write: &Write) -> Result<TransactWriteItem, PortError> {
    match write {
        Write::Create(r) => record::create(table, r),
        Write::Put(r) => record::put(table, r),
        Write::Replace { record, expected_version } => record::replace(table, record, *expected_version),
        Write::ReplaceMirrored { membership, expected_version } => {
            record::replace_mirrored(table, membership, *expected_version)
        }
        Write::Delete(key) => record::delete(table, key),
        Write::DeleteExisting(key) => record::delete_existing(table, key),
        Write::DeleteVersioned { key, expected_version } => record::delete_versioned(table, key, *expected_version),
        Write::AdjustCounters { practice_id, delta } => counters::practice(table, *practice_id, delta),
        Write::AdjustRoleHolders { practice_id, role_id, delta } => {
            counters::role_holders(table, *practice_id, role_id, *delta)
        }
        Write::PutSlot { slot, holder, now } => guards::put_slot(table, slot, *holder, *now),
        Write::ReleaseSlot { practice_id, email_norm, invitation } => {
            guards::release_slot(table, *practice_id, email_norm, *invitation)
        }
        Write::DeleteRole { practice_id, role_id, expected_version } => {
            guards::delete_role(table, *practice_id, role_id, *expected_version)
        }
        Write::MirrorUser { practice_id, user_id, search, locked, user_version, only_if_newer } => guards::mirror_user(
            table,
            *practice_id,
            *user_id,
            search.as_deref(),
            *locked,
            *user_version,
            *only_if_newer,
        ),
        Write::LockUser { user_id } => guards::lock_user(table, *user_id),
        Write::CheckFailures { key, at_least } => guards::check_failures(table, key, *at_least),
        Write::ConfirmSignIn { user_id, totp_step } => guards::confirm_sign_in(table, *user_id, *totp_step),
        Write::CheckMember { practice_id, user_id, version } => {
            guards::check_member(table, *practice_id, *user_id, *version)
        }
        Write::CheckLocation { practice_id, location_id } => guards::check_location(table, *practice_id, *location_id),
        Write::SetBuiltInRoles { practice_id, sets, expected_version } => {
            guards::set_built_in_roles(table, *practice_id, sets, *expected_version)
        }
        Write::SetSecurityPolicy { practice_id, policy, expected_version } => {
            guards::set_security_policy(table, *practice_id, policy, *expected_version)
        }
        Write::CheckOnboardingMails { practice_id } => guards::check_onboarding_mails(table, *practice_id),
        Write::RecordOutcome { item, attempts } => record::record_outcome(table, item, *attempts),
    }
}

impl DynamoStore {
    /// `Store::transact`: all or nothing.
    pub(super) async fn transact_writes(&self, tx: Tx) -> Result<(), PortError> {
        if tx.is_empty() {
            return Ok(());
        }
        if tx.len() > MAX_TX {
            return Err(PortError::Backend(format!("transaction of {} writes exceeds {MAX_TX}", tx.len())));
        }
        let actions = tx.writes.iter().map(|(w, _)| action(&self.table, w)).collect::<Result<Vec<_>, _>>()?;
        // A cancellation for contention alone wrote nothing, so the same
        // transaction is tried again; its conditions then decide the outcome.
        // (DynamoDB Local never reports contention, so this path is only
        // exercised against the service.)
        let mut attempt = 0u64;
        loop {
            attempt += 1;
            // The SDK retries a send whose answer was lost with the same token,
            // so DynamoDB does not apply (or refuse) the same change twice.
            let sent = self
                .client
                .transact_write_items()
                .set_transact_items(Some(actions.clone()))
                .client_request_token(uuid::Uuid::new_v4().to_string())
                .send()
                .await;
            let Err(err) = sent else { return Ok(()) };
            match err.as_service_error().and_then(cancel::cancelled) {
                Some(Cancelled::Condition(i)) => {
                    let writes = tx.len();
                    return Err(match tx.into_conflict(i) {
                        Some(e) => PortError::Conflict(e),
                        // DynamoDB gives one reason per action, in order, so
                        // this would be a reason for a write never sent.
                        None => PortError::Backend(format!("TransactWriteItems cancelled at write {i} of {writes}")),
                    });
                }
                Some(Cancelled::Contention) if attempt < 4 => {
                    tokio::time::sleep(std::time::Duration::from_millis(15 * attempt * attempt)).await;
                }
                Some(Cancelled::Contention) => return Err(PortError::Contention),
                Some(Cancelled::Other(codes)) => {
                    return Err(PortError::Backend(format!("TransactWriteItems cancelled: {codes}")))
                }
                None => return Err(backend("TransactWriteItems", err)),
            }
        }
    }
}

/// The expression attribute names and values of one action.
type Names<'a> = &'a [(&'a str, &'a str)];
type Values<'a> = Vec<(&'a str, AttributeValue)>;

fn built(e: BuildError) -> PortError {
    PortError::Backend(e.to_string())
}

/// A conditional update of one item.
fn update(
    table: &str,
    key: Primary,
    expression: &str,
    condition: &str,
    names: Names,
    values: Values,
) -> Result<TransactWriteItem, PortError> {
    let mut u = Update::builder()
        .table_name(table)
        .set_key(Some(key.item()))
        .update_expression(expression)
        .condition_expression(condition);
    for (k, v) in names {
        u = u.expression_attribute_names(*k, *v);
    }
    for (k, v) in values {
        u = u.expression_attribute_values(k, v);
    }
    Ok(TransactWriteItem::builder().update(u.build().map_err(built)?).build())
}

/// A delete of one item, under `condition` if there is one.
fn delete(
    table: &str,
    key: Primary,
    condition: Option<&str>,
    names: Names,
    values: Values,
) -> Result<TransactWriteItem, PortError> {
    let mut d = Delete::builder()
        .table_name(table)
        .set_key(Some(key.item()))
        .set_condition_expression(condition.map(str::to_string));
    for (k, v) in names {
        d = d.expression_attribute_names(*k, *v);
    }
    for (k, v) in values {
        d = d.expression_attribute_values(k, v);
    }
    Ok(TransactWriteItem::builder().delete(d.build().map_err(built)?).build())
}

/// A condition on one item that writes nothing.
fn check(
    table: &str,
    key: Primary,
    condition: &str,
    names: Names,
    values: Values,
) -> Result<TransactWriteItem, PortError> {
    let mut c = ConditionCheck::builder().table_name(table).set_key(Some(key.item())).condition_expression(condition);
    for (k, v) in names {
        c = c.expression_attribute_names(*k, *v);
    }
    for (k, v) in values {
        c = c.expression_attribute_values(k, v);
    }
    Ok(TransactWriteItem::builder().condition_check(c.build().map_err(built)?).build())
}
