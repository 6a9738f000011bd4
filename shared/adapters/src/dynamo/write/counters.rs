//! Counters that change only by addition, never by a read-modify-write, so
//! concurrent changes cannot lose an update; each decrease is conditioned on
//! its floor.

use super::{built, update};
use crate::dynamo::codec::n;
use crate::dynamo::entity::{module_seats_attribute, Keyed};
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use roster_domain::error::PortError;
use roster_domain::ids::PracticeId;
use roster_domain::model::{Module, Practice, Role};
use roster_domain::ports::CounterDelta;
use std::collections::HashMap;

/// `SET c = c + :d` per counter of the practice, under a condition that keeps
/// each floor: directors and active locations at least 1 (R15), seats and
/// module seats at least 0 (R20, R46). A module seat counter may be absent
/// (a practice stored before R46), so it starts from 0 where missing.
pub fn practice(table: &str, practice: PracticeId, delta: &CounterDelta) -> Result<TransactWriteItem, PortError> {
    let fields: [(&str, &str, i64, i64); 4] = [
        ("#seats.#practitioner", "practitioner", delta.practitioner_seats, 0),
        ("#seats.#staff", "staff", delta.staff_seats, 0),
        ("#directors", "directors", delta.directors, 1),
        ("#active_locations", "active_locations", delta.active_locations, 1),
    ];
    let mut names: HashMap<String, String> = HashMap::new();
    let mut values = HashMap::new();
    let mut sets = Vec::new();
    let mut conditions = vec!["attribute_exists(PK)".to_string()];
    for (i, (path, leaf, d, floor)) in fields.iter().enumerate() {
        if *d == 0 {
            continue;
        }
        if path.starts_with("#seats") {
            names.insert("#seats".into(), "seats".into());
        }
        names.insert(format!("#{leaf}"), leaf.to_string());
        values.insert(format!(":d{i}"), n(*d));
        sets.push(format!("{path} = {path} + :d{i}"));
        if *d < 0 {
            values.insert(format!(":min{i}"), n(floor - d));
            conditions.push(format!("{path} >= :min{i}"));
        }
    }
    for (i, m) in Module::ALL.into_iter().enumerate() {
        let d = delta.module_seats.get(m);
        if d == 0 {
            continue;
        }
        let path = format!("#m{i}");
        names.insert(path.clone(), module_seats_attribute(m).to_string());
        values.insert(format!(":md{i}"), n(d));
        values.insert(":zero".into(), n(0));
        sets.push(format!("{path} = if_not_exists({path}, :zero) + :md{i}"));
        if d < 0 {
            values.insert(format!(":mmin{i}"), n(-d));
            conditions.push(format!("{path} >= :mmin{i}"));
        }
    }
    if sets.is_empty() {
        return Err(PortError::Backend("AdjustCounters with no change".into()));
    }
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(Practice::primary_key(practice).item()))
        .update_expression(format!("SET {}", sets.join(", ")))
        .condition_expression(conditions.join(" AND "))
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .map_err(built)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// A custom role's holder count (R23). Fails if the role is gone, so nothing
/// takes a role a concurrent delete removed, or if the count would go
/// below zero.
pub fn role_holders(
    table: &str,
    practice: PracticeId,
    role_id: &str,
    delta: i64,
) -> Result<TransactWriteItem, PortError> {
    let mut condition = "attribute_exists(PK)".to_string();
    let mut values = vec![(":d", n(delta)), (":zero", n(0))];
    if delta < 0 {
        condition.push_str(" AND #holders >= :min");
        values.push((":min", n(-delta)));
    }
    update(
        table,
        Role::primary_key((practice, role_id)),
        "SET #holders = if_not_exists(#holders, :zero) + :d",
        &condition,
        &[("#holders", "holders")],
        values,
    )
}
