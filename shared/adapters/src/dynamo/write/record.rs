//! Writes of a whole record or of one item by its key, under the conditions
//! every kind shares: exists, absent, at a version.

use super::{built, delete as delete_item};
use crate::dynamo::codec::{n, record_item};
use crate::dynamo::entity::{primary, stored};
use crate::dynamo::keys::{PK, PLACEMENT_ATTRIBUTES, SK};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use roster_domain::error::PortError;
use roster_domain::model::{Membership, OutboxItem};
use roster_domain::ports::{Key, Record};
use std::collections::HashMap;

/// Fails if an item with the same key exists.
pub fn create(table: &str, record: &Record) -> Result<TransactWriteItem, PortError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(record_item(record)?))
        .condition_expression("attribute_not_exists(PK)")
        .build()
        .map_err(built)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// A step of a delivery (an attempt counted, its outcome), over the item as
/// the delivery found it: still there, neither delivered nor dead (each
/// `delivered_at`/`dead_at` absent or null), at `attempts` attempts.
pub fn record_outcome(table: &str, item: &OutboxItem, attempts: u32) -> Result<TransactWriteItem, PortError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(record_item(&Record::Outbox(item.clone()))?))
        .condition_expression(
            "attribute_exists(PK) AND #attempts = :attempts \
             AND (attribute_not_exists(#delivered) OR attribute_type(#delivered, :null)) \
             AND (attribute_not_exists(#dead) OR attribute_type(#dead, :null))",
        )
        .expression_attribute_names("#attempts", "attempts")
        .expression_attribute_names("#delivered", "delivered_at")
        .expression_attribute_names("#dead", "dead_at")
        .expression_attribute_values(":attempts", n(i64::from(attempts)))
        .expression_attribute_values(":null", AttributeValue::S("NULL".into()))
        .build()
        .map_err(built)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

pub fn put(table: &str, record: &Record) -> Result<TransactWriteItem, PortError> {
    let put = Put::builder().table_name(table).set_item(Some(record_item(record)?)).build().map_err(built)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// An update of every field but the keys and those only their own writes
/// change, so a concurrent `AdjustCounters` (or the like) is never
/// overwritten; index attributes the record's new placement lacks are
/// removed, and attributes no record field names are left as they are.
pub fn replace(table: &str, record: &Record, expected_version: u64) -> Result<TransactWriteItem, PortError> {
    let entity = stored(record);
    if !entity.versioned() {
        return Err(PortError::Backend("Replace of an unversioned record".into()));
    }
    update_all(table, entity.item()?, entity.kept_by_replace(), expected_version)
}

/// `replace` of a membership that writes its copy of the user too: every
/// field, those `MirrorUser` keeps included.
pub fn replace_mirrored(
    table: &str,
    membership: &Membership,
    expected_version: u64,
) -> Result<TransactWriteItem, PortError> {
    update_all(table, record_item(&Record::Membership(membership.clone()))?, &[], expected_version)
}

/// An update of every attribute of `item` but its keys and `kept`, under
/// the version; placement attributes the item lacks are removed.
fn update_all(
    table: &str,
    mut item: HashMap<String, AttributeValue>,
    kept: &[&str],
    expected_version: u64,
) -> Result<TransactWriteItem, PortError> {
    let (Some(pk), Some(sk)) = (item.remove(PK), item.remove(SK)) else {
        return Err(PortError::Backend("record without keys".into()));
    };
    for c in kept {
        item.remove(*c);
    }
    let mut names = HashMap::new();
    let mut values = HashMap::new();
    let mut sets = Vec::new();
    for (i, (name, value)) in item.into_iter().enumerate() {
        names.insert(format!("#a{i}"), name);
        values.insert(format!(":a{i}"), value);
        sets.push(format!("#a{i} = :a{i}"));
    }
    let mut removes = Vec::new();
    for (i, attr) in PLACEMENT_ATTRIBUTES.iter().enumerate() {
        if !names.values().any(|v| v == attr) {
            names.insert(format!("#r{i}"), attr.to_string());
            removes.push(format!("#r{i}"));
        }
    }
    let mut expression = format!("SET {}", sets.join(", "));
    if !removes.is_empty() {
        expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
    }
    names.insert("#version".into(), "version".into());
    values.insert(":expected".into(), n(expected_version as i64));
    let update = Update::builder()
        .table_name(table)
        .key(PK, pk)
        .key(SK, sk)
        .update_expression(expression)
        .condition_expression("attribute_exists(PK) AND #version = :expected")
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .map_err(built)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// Unconditional.
pub fn delete(table: &str, key: &Key) -> Result<TransactWriteItem, PortError> {
    delete_item(table, primary(key), None, &[], Vec::new())
}

/// Fails if the item is absent: single-use tokens.
pub fn delete_existing(table: &str, key: &Key) -> Result<TransactWriteItem, PortError> {
    delete_item(table, primary(key), Some("attribute_exists(PK)"), &[], Vec::new())
}

/// Fails unless the item exists at `expected_version`: the sweep never ends
/// a support grant renewed since it read it (R30, R34).
pub fn delete_versioned(table: &str, key: &Key, expected_version: u64) -> Result<TransactWriteItem, PortError> {
    delete_item(
        table,
        primary(key),
        Some("attribute_exists(PK) AND #version = :v"),
        &[("#version", "version")],
        vec![(":v", n(expected_version as i64))],
    )
}
