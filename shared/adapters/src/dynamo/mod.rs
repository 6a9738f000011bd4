//! The DynamoDB store: one table, every change one `TransactWriteItems` whose
//! conditions hold the invariants, reads by GetItem, BatchGetItem and Query
//! only (never Scan).

pub mod keys;
pub mod table;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod layout_tests;
#[cfg(test)]
mod write_tests;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, KeysAndAttributes, Put, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use keys::*;
use roster_domain::error::{DomainError, PortError};
use roster_domain::ids::{InvitationId, PracticeId, UserId};
use roster_domain::model::*;
use roster_domain::ports::{AuthBundle, CounterDelta, Key, MemberFilter, Page, Record, Store, Tx, Write};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

/// DynamoDB allows 100 actions per transaction.
const MAX_TX: usize = 100;
/// BatchGetItem takes 100 keys per call.
const MAX_BATCH_GET: usize = 100;

#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

fn backend(context: &str, e: impl std::error::Error) -> PortError {
    PortError::Backend(format!("{context}: {}", DisplayErrorContext(e)))
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn key_item(pk: String, sk: String) -> Item {
    HashMap::from([(PK.to_string(), s(pk)), (SK.to_string(), s(sk))])
}

fn encode<T: Serialize>(value: &T) -> Result<Item, PortError> {
    serde_dynamo::to_item(value).map_err(|e| PortError::Backend(format!("encoding item: {e}")))
}

fn decode<T: DeserializeOwned>(item: Item) -> Result<T, PortError> {
    serde_dynamo::from_item(item).map_err(|e| PortError::Backend(format!("decoding item: {e}")))
}

/// The record's own fields plus its placement attributes.
fn to_item(record: &Record) -> Result<Item, PortError> {
    let mut item = match record {
        Record::User(v) => encode(v)?,
        Record::EmailClaim(v) => encode(v)?,
        Record::Session(v) => encode(v)?,
        Record::Token(v) => encode(v)?,
        Record::Practice(v) => encode(v)?,
        Record::Location(v) => encode(v)?,
        Record::Membership(v) => encode(v)?,
        Record::Audit(v) => encode(v)?,
        Record::Outbox(v) => encode(v)?,
        Record::Invitation(v) => encode(v)?,
        Record::Slot(v) => encode(v)?,
        Record::InvitationToken(v) => encode(v)?,
        Record::Role(v) => encode(v)?,
        Record::RoleName(v) => encode(v)?,
        Record::Challenge(v) => encode(v)?,
        Record::SupportGrant(v) => encode(v)?,
    };
    let p = placement(record);
    item.insert(PK.into(), s(p.pk));
    item.insert(SK.into(), s(p.sk));
    item.insert(TYPE.into(), s(p.kind));
    if let Some((pk, sk)) = p.gsi1 {
        item.insert(GSI1PK.into(), s(pk));
        item.insert(GSI1SK.into(), s(sk));
    }
    if let Some((pk, sk)) = p.gsi2 {
        item.insert(GSI2PK.into(), s(pk));
        item.insert(GSI2SK.into(), s(sk));
    }
    if let Some(ttl) = p.ttl {
        item.insert(TTL.into(), n(ttl));
    }
    Ok(item)
}

fn version_of(record: &Record) -> Option<u64> {
    match record {
        Record::User(u) => Some(u.version),
        Record::Practice(p) => Some(p.version),
        Record::Location(l) => Some(l.version),
        Record::Membership(m) => Some(m.version),
        Record::Invitation(i) => Some(i.version),
        Record::Role(r) => Some(r.version),
        Record::SupportGrant(g) => Some(g.version),
        _ => None,
    }
}

/// Opaque cursors are the sort key of the last item returned, base64url'd so
/// clients treat them as opaque; a decoded cursor must name an item of the
/// list it is used on.
fn encode_cursor(sk: &str) -> String {
    URL_SAFE_NO_PAD.encode(sk.as_bytes())
}

fn decode_cursor(cursor: &str, prefix: &str) -> Result<String, PortError> {
    let bad = || PortError::Conflict(DomainError::field("cursor", "is not a cursor this list gave out"));
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let sk = String::from_utf8(bytes).map_err(|_| bad())?;
    let rest = sk.strip_prefix(prefix).ok_or_else(bad)?;
    rest.parse::<uuid::Uuid>().map_err(|_| bad())?;
    Ok(sk)
}

fn sk_of(item: &Item) -> Option<String> {
    match item.get(SK) {
        Some(AttributeValue::S(sk)) => Some(sk.clone()),
        _ => None,
    }
}

/// A conditional update built from its parts.
fn update(
    table: &str,
    key: &Key,
    expression: &str,
    condition: &str,
    names: &[(&str, &str)],
    values: Vec<(&str, AttributeValue)>,
) -> Result<TransactWriteItem, PortError> {
    let (pk, sk) = primary(key);
    let mut u = Update::builder()
        .table_name(table)
        .set_key(Some(key_item(pk, sk)))
        .update_expression(expression)
        .condition_expression(condition);
    for (k, v) in names {
        u = u.expression_attribute_names(*k, *v);
    }
    for (k, v) in values {
        u = u.expression_attribute_values(k, v);
    }
    Ok(TransactWriteItem::builder().update(u.build().map_err(|e| PortError::Backend(e.to_string()))?).build())
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    fn action(&self, write: &Write) -> Result<TransactWriteItem, PortError> {
        let t = &self.table;
        let build = |e: aws_sdk_dynamodb::error::BuildError| PortError::Backend(e.to_string());
        Ok(match write {
            Write::Create(r) => TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(t)
                        .set_item(Some(to_item(r)?))
                        .condition_expression("attribute_not_exists(PK)")
                        .build()
                        .map_err(build)?,
                )
                .build(),
            Write::Put(r) => TransactWriteItem::builder()
                .put(Put::builder().table_name(t).set_item(Some(to_item(r)?)).build().map_err(build)?)
                .build(),
            Write::Replace { record, expected_version } => {
                // An update of every field but the keys and the counters, so a
                // concurrent AdjustCounters is never overwritten.
                let mut item = to_item(record)?;
                let pk = item.remove(PK);
                let sk = item.remove(SK);
                let (Some(pk), Some(sk)) = (pk, sk) else {
                    return Err(PortError::Backend("record without keys".into()));
                };
                for c in counter_attributes(record) {
                    item.remove(*c);
                }
                if version_of(record).is_none() {
                    return Err(PortError::Backend("Replace of an unversioned record".into()));
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
                values.insert(":expected".into(), n(*expected_version as i64));
                TransactWriteItem::builder()
                    .update(
                        Update::builder()
                            .table_name(t)
                            .key(PK, pk)
                            .key(SK, sk)
                            .update_expression(expression)
                            .condition_expression("attribute_exists(PK) AND #version = :expected")
                            .set_expression_attribute_names(Some(names))
                            .set_expression_attribute_values(Some(values))
                            .build()
                            .map_err(build)?,
                    )
                    .build()
            }
            Write::Delete(k) | Write::DeleteExisting(k) => {
                let (pk, sk) = primary(k);
                let mut d = Delete::builder().table_name(t).set_key(Some(key_item(pk, sk)));
                if matches!(write, Write::DeleteExisting(_)) {
                    d = d.condition_expression("attribute_exists(PK)");
                }
                TransactWriteItem::builder().delete(d.build().map_err(build)?).build()
            }
            Write::AdjustCounters { practice_id, delta } => self.counters(*practice_id, delta)?,
            Write::PutSlot { slot, holder, now } => {
                let mut condition = "attribute_not_exists(PK) OR #expires_ms <= :now".to_string();
                let mut put = Put::builder()
                    .table_name(t)
                    .set_item(Some(to_item(&Record::Slot(slot.clone()))?))
                    .expression_attribute_names("#expires_ms", "expires_ms")
                    .expression_attribute_values(":now", n(now.timestamp_millis()));
                if let Some(h) = holder {
                    condition.push_str(" OR #invitation_id = :holder");
                    put = put
                        .expression_attribute_names("#invitation_id", "invitation_id")
                        .expression_attribute_values(":holder", s(h.to_string()));
                }
                TransactWriteItem::builder().put(put.condition_expression(condition).build().map_err(build)?).build()
            }
            Write::ReleaseSlot { practice_id, email_norm, invitation } => {
                let (pk, sk) = primary(&Key::Slot(*practice_id, email_norm.clone()));
                let d = Delete::builder()
                    .table_name(t)
                    .set_key(Some(key_item(pk, sk)))
                    .condition_expression("#invitation_id = :holder")
                    .expression_attribute_names("#invitation_id", "invitation_id")
                    .expression_attribute_values(":holder", s(invitation.to_string()))
                    .build()
                    .map_err(build)?;
                TransactWriteItem::builder().delete(d).build()
            }
            Write::AdjustRoleHolders { practice_id, role_id, delta } => {
                let mut condition = "attribute_exists(PK)".to_string();
                let mut values = vec![(":d", n(*delta)), (":zero", n(0))];
                if *delta < 0 {
                    condition.push_str(" AND #holders >= :min");
                    values.push((":min", n(-delta)));
                }
                update(
                    t,
                    &Key::Role(*practice_id, role_id.clone()),
                    "SET #holders = if_not_exists(#holders, :zero) + :d",
                    &condition,
                    &[("#holders", "holders")],
                    values,
                )?
            }
            Write::DeleteRole { practice_id, role_id, expected_version } => {
                let (pk, sk) = primary(&Key::Role(*practice_id, role_id.clone()));
                let d = Delete::builder()
                    .table_name(t)
                    .set_key(Some(key_item(pk, sk)))
                    .condition_expression(
                        "attribute_exists(PK) AND #version = :v AND (attribute_not_exists(#holders) OR #holders <= :zero)",
                    )
                    .expression_attribute_names("#holders", "holders")
                    .expression_attribute_names("#version", "version")
                    .expression_attribute_values(":zero", n(0))
                    .expression_attribute_values(":v", n(*expected_version as i64))
                    .build()
                    .map_err(build)?;
                TransactWriteItem::builder().delete(d).build()
            }
            Write::MirrorUser { practice_id, user_id, search, locked } => update(
                t,
                &Key::Membership(*practice_id, *user_id),
                "SET #search = :search, #locked = :locked",
                "attribute_exists(PK)",
                &[("#search", "search"), ("#locked", "locked")],
                vec![(":search", s(search.clone())), (":locked", AttributeValue::Bool(*locked))],
            )?,
            Write::LockUser { user_id } => update(
                t,
                &Key::User(*user_id),
                "SET #locked = :true, #version = #version + :one",
                "attribute_exists(PK) AND #locked <> :true",
                &[("#locked", "locked"), ("#version", "version")],
                vec![(":true", AttributeValue::Bool(true)), (":one", n(1))],
            )?,
            Write::CheckFailures { key, at_least } => {
                let (pk, sk) = primary(key);
                let c = ConditionCheck::builder()
                    .table_name(t)
                    .set_key(Some(key_item(pk, sk)))
                    .condition_expression("#failures >= :n")
                    .expression_attribute_names("#failures", FAILURES)
                    .expression_attribute_values(":n", n(i64::from(*at_least)))
                    .build()
                    .map_err(build)?;
                TransactWriteItem::builder().condition_check(c).build()
            }
            Write::ConfirmSignIn { user_id, totp_step: None } => {
                let (pk, sk) = primary(&Key::User(*user_id));
                let c = ConditionCheck::builder()
                    .table_name(t)
                    .set_key(Some(key_item(pk, sk)))
                    .condition_expression("#locked <> :true")
                    .expression_attribute_names("#locked", "locked")
                    .expression_attribute_values(":true", AttributeValue::Bool(true))
                    .build()
                    .map_err(build)?;
                TransactWriteItem::builder().condition_check(c).build()
            }
            // An attribute no record field names, so no Replace of the user
            // ever writes it back.
            Write::ConfirmSignIn { user_id, totp_step: Some(step) } => update(
                t,
                &Key::User(*user_id),
                "SET #step = :step",
                "#locked <> :true AND (attribute_not_exists(#step) OR #step < :step)",
                &[("#locked", "locked"), ("#step", "totp_last_step")],
                vec![(":true", AttributeValue::Bool(true)), (":step", n(*step as i64))],
            )?,
            Write::DeleteVersioned { key, expected_version } => {
                let (pk, sk) = primary(key);
                let d = Delete::builder()
                    .table_name(t)
                    .set_key(Some(key_item(pk, sk)))
                    .condition_expression("attribute_exists(PK) AND #version = :v")
                    .expression_attribute_names("#version", "version")
                    .expression_attribute_values(":v", n(*expected_version as i64))
                    .build()
                    .map_err(build)?;
                TransactWriteItem::builder().delete(d).build()
            }
            Write::CheckMember { practice_id, user_id, version } => {
                let (pk, sk) = primary(&Key::Membership(*practice_id, *user_id));
                let c = ConditionCheck::builder()
                    .table_name(t)
                    .set_key(Some(key_item(pk, sk)))
                    .condition_expression("#version = :v AND #status = :active")
                    .expression_attribute_names("#version", "version")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":v", n(*version as i64))
                    .expression_attribute_values(":active", s("active"))
                    .build()
                    .map_err(build)?;
                TransactWriteItem::builder().condition_check(c).build()
            }
        })
    }

    /// `SET c = c + :d` per counter, under a condition that keeps each floor:
    /// directors and active locations at least 1, seats at least 0.
    fn counters(&self, practice: PracticeId, delta: &CounterDelta) -> Result<TransactWriteItem, PortError> {
        let (pk, sk) = primary(&Key::Practice(practice));
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
        if sets.is_empty() {
            return Err(PortError::Backend("AdjustCounters with no change".into()));
        }
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(pk, sk)))
            .update_expression(format!("SET {}", sets.join(", ")))
            .condition_expression(conditions.join(" AND "))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(|e| PortError::Backend(e.to_string()))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    async fn get<T: DeserializeOwned>(&self, key: Key) -> Result<Option<T>, PortError> {
        let (pk, sk) = primary(&key);
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend("GetItem", e))?;
        out.item.map(decode).transpose()
    }

    /// BatchGetItem over any number of keys, retrying unprocessed keys.
    async fn batch_get(&self, keys: Vec<Key>) -> Result<Vec<Item>, PortError> {
        let mut found = Vec::with_capacity(keys.len());
        let mut seen = std::collections::HashSet::new();
        let all: Vec<Item> =
            keys.iter().map(primary).filter(|k| seen.insert(k.clone())).map(|(pk, sk)| key_item(pk, sk)).collect();
        for chunk in all.chunks(MAX_BATCH_GET) {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| PortError::Backend(e.to_string()))?,
            );
            let mut rounds = 0;
            while let Some(request) = pending.take() {
                rounds += 1;
                if rounds > 8 {
                    return Err(PortError::Backend("BatchGetItem kept leaving keys unprocessed".into()));
                }
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(|e| backend("BatchGetItem", e))?;
                if let Some(mut r) = out.responses {
                    found.extend(r.remove(&self.table).unwrap_or_default());
                }
                pending = out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)).filter(|k| !k.keys.is_empty());
                if pending.is_some() {
                    tokio::time::sleep(std::time::Duration::from_millis(20 * rounds)).await;
                }
            }
        }
        Ok(found)
    }

    /// One page of a key-condition query: the items (that passed the
    /// filter), where the next page starts, and how many items were read.
    async fn query_page(
        &self,
        q: &QuerySpec<'_>,
        limit: Option<usize>,
        start: Option<Item>,
    ) -> Result<(Vec<Item>, Option<Item>, usize), PortError> {
        // An empty prefix means the whole partition: DynamoDB refuses an empty
        // string in a key condition.
        let mut req = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(q.index.map(str::to_string))
            .expression_attribute_names("#pk", q.pk_attr)
            .expression_attribute_values(":pk", s(q.pk.clone()));
        req = if q.sk_prefix.is_empty() {
            req.key_condition_expression("#pk = :pk")
        } else {
            req.key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#sk", q.sk_attr)
                .expression_attribute_values(":prefix", s(q.sk_prefix))
        };
        if !q.filters.is_empty() {
            let expression: Vec<&str> = q.filters.iter().map(|f| f.expression).collect();
            req = req.filter_expression(expression.join(" AND "));
            for f in &q.filters {
                req = req
                    .expression_attribute_names(f.name.0, f.name.1)
                    .expression_attribute_values(f.value.0, f.value.1.clone());
            }
        }
        let out = req
            .scan_index_forward(q.forward)
            .set_limit(limit.map(|l| l.clamp(1, 1000) as i32))
            .set_exclusive_start_key(start)
            // GSIs cannot be read consistently; the base table always is.
            .set_consistent_read(q.index.is_none().then_some(true))
            .send()
            .await
            .map_err(|e| backend("Query", e))?;
        Ok((out.items.unwrap_or_default(), out.last_evaluated_key, out.scanned_count.max(0) as usize))
    }

    async fn query_all<T: DeserializeOwned>(&self, q: &QuerySpec<'_>) -> Result<Vec<T>, PortError> {
        let mut all = Vec::new();
        let mut start = None;
        loop {
            let (items, next, _) = self.query_page(q, None, start).await?;
            for it in items {
                all.push(decode(it)?);
            }
            match next {
                Some(k) => start = Some(k),
                None => return Ok(all),
            }
        }
    }

    /// A cursor-paginated query on the base table, newest or oldest first.
    async fn paged<T: DeserializeOwned>(
        &self,
        pk: String,
        prefix: &str,
        forward: bool,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<T>, PortError> {
        let start = match cursor {
            Some(c) => Some(key_item(pk.clone(), decode_cursor(c, prefix)?)),
            None => None,
        };
        let q = QuerySpec::table(pk, prefix, forward);
        let (items, last, _) = self.query_page(&q, Some(limit), start).await?;
        let next = last.and_then(|k| match k.get(SK) {
            Some(AttributeValue::S(sk)) => Some(encode_cursor(sk)),
            _ => None,
        });
        let items = items.into_iter().map(decode).collect::<Result<Vec<T>, _>>()?;
        Ok(Page { items, next })
    }
}

/// A key-condition query: a partition, and a sort-key prefix within it.
struct QuerySpec<'a> {
    index: Option<&'static str>,
    pk_attr: &'static str,
    pk: String,
    sk_attr: &'static str,
    sk_prefix: &'a str,
    forward: bool,
    /// Conditions DynamoDB applies after reading, all of which must hold.
    filters: Vec<Filter>,
}

/// One term of a filter expression, with its one name and one value.
struct Filter {
    expression: &'static str,
    name: (&'static str, &'static str),
    value: (&'static str, AttributeValue),
}

impl<'a> QuerySpec<'a> {
    fn table(pk: String, sk_prefix: &'a str, forward: bool) -> Self {
        Self { index: None, pk_attr: PK, pk, sk_attr: SK, sk_prefix, forward, filters: Vec::new() }
    }
    fn gsi1(pk: String, sk_prefix: &'a str) -> Self {
        Self { index: Some(GSI1), pk_attr: GSI1PK, pk, sk_attr: GSI1SK, sk_prefix, forward: true, filters: Vec::new() }
    }
}

/// Why a transaction was cancelled, from its per-action reasons.
enum Cancelled {
    /// This action's condition failed.
    Condition(usize),
    /// Another transaction held an item; nothing was written.
    Contention,
    Other(String),
}

fn cancelled(e: &TransactWriteItemsError) -> Option<Cancelled> {
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

fn default_conflict(w: &Write) -> DomainError {
    match w {
        Write::PutSlot { .. } => DomainError::InvitationPending,
        Write::ReleaseSlot { .. } => DomainError::InvitationNotPending,
        Write::Replace { .. } => DomainError::PreconditionFailed,
        Write::DeleteExisting(_) => DomainError::NotFound,
        Write::AdjustCounters { .. } => DomainError::Conflict("counter_floor"),
        Write::AdjustRoleHolders { .. } => DomainError::RoleRequired,
        Write::DeleteRole { .. } => DomainError::RoleInUse,
        Write::MirrorUser { .. } => DomainError::NotFound,
        Write::LockUser { .. } => DomainError::AccountLocked,
        Write::CheckFailures { .. } => DomainError::InvalidCredentials,
        Write::ConfirmSignIn { .. } => DomainError::AccountLocked,
        Write::DeleteVersioned { .. } => DomainError::PreconditionFailed,
        Write::CheckMember { .. } => DomainError::Forbidden,
        _ => DomainError::Conflict("already_exists"),
    }
}

#[async_trait]
impl Store for DynamoStore {
    async fn transact(&self, tx: Tx) -> Result<(), PortError> {
        if tx.is_empty() {
            return Ok(());
        }
        if tx.len() > MAX_TX {
            return Err(PortError::Backend(format!("transaction of {} writes exceeds {MAX_TX}", tx.len())));
        }
        let actions = tx.writes.iter().map(|(w, _)| self.action(w)).collect::<Result<Vec<_>, _>>()?;
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
            let service = err.as_service_error();
            match service.and_then(cancelled) {
                Some(Cancelled::Condition(i)) => {
                    let mut writes = tx.writes;
                    let (w, on_conflict) = writes.swap_remove(i);
                    return Err(PortError::Conflict(on_conflict.unwrap_or_else(|| default_conflict(&w))));
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

    async fn user(&self, id: UserId) -> Result<Option<User>, PortError> {
        self.get(Key::User(id)).await
    }

    async fn email_claim(&self, email_norm: &str) -> Result<Option<EmailClaim>, PortError> {
        self.get(Key::EmailClaim(email_norm.to_string())).await
    }

    async fn token(&self, token_hash: &str) -> Result<Option<EmailToken>, PortError> {
        self.get(Key::Token(token_hash.to_string())).await
    }

    async fn auth_bundle(
        &self,
        user_id: UserId,
        token_hash: &str,
        practice: Option<PracticeId>,
    ) -> Result<AuthBundle, PortError> {
        let mut keys = vec![Key::Session { user_id, token_hash: token_hash.to_string() }, Key::User(user_id)];
        if let Some(p) = practice {
            keys.push(Key::Practice(p));
            keys.push(Key::Membership(p, user_id));
            // For a support agent (R30); a GetItem in the same batch costs
            // no round trip.
            keys.push(Key::SupportGrant(p));
        }
        let mut bundle = AuthBundle::default();
        for item in self.batch_get(keys).await? {
            let kind = match item.get(TYPE) {
                Some(AttributeValue::S(k)) => k.clone(),
                _ => continue,
            };
            match kind.as_str() {
                "session" => bundle.session = Some(decode(item)?),
                "user" => bundle.user = Some(decode(item)?),
                "practice" => bundle.practice = Some(decode(item)?),
                "membership" => bundle.membership = Some(decode(item)?),
                "support_grant" => bundle.support_grant = Some(decode(item)?),
                _ => {}
            }
        }
        Ok(bundle)
    }

    async fn practice(&self, id: PracticeId) -> Result<Option<Practice>, PortError> {
        self.get(Key::Practice(id)).await
    }

    async fn practices(&self, ids: &[PracticeId]) -> Result<Vec<Practice>, PortError> {
        self.batch_get(ids.iter().map(|p| Key::Practice(*p)).collect()).await?.into_iter().map(decode).collect()
    }

    async fn location(
        &self,
        practice: PracticeId,
        id: roster_domain::ids::LocationId,
    ) -> Result<Option<Location>, PortError> {
        self.get(Key::Location(practice, id)).await
    }

    async fn locations(&self, practice: PracticeId) -> Result<Vec<Location>, PortError> {
        self.query_all(&QuerySpec::table(practice_pk(practice), LOCATION_PREFIX, true)).await
    }

    async fn membership(&self, practice: PracticeId, user: UserId) -> Result<Option<Membership>, PortError> {
        self.get(Key::Membership(practice, user)).await
    }

    async fn memberships_of_user(&self, user: UserId) -> Result<Vec<Membership>, PortError> {
        self.query_all(&QuerySpec::gsi1(user_pk(user), MEMBER_PREFIX)).await
    }

    async fn users(&self, ids: &[UserId]) -> Result<Vec<User>, PortError> {
        self.batch_get(ids.iter().map(|u| Key::User(*u)).collect()).await?.into_iter().map(decode).collect()
    }

    async fn members(
        &self,
        practice: PracticeId,
        filter: &MemberFilter,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<Membership>, PortError> {
        let pk = practice_pk(practice);
        let mut start = match cursor {
            Some(c) => Some(key_item(pk.clone(), decode_cursor(c, MEMBER_PREFIX)?)),
            None => None,
        };
        let mut q = QuerySpec::table(pk, MEMBER_PREFIX, true);
        if let Some(status) = filter.status {
            let word = match status {
                MemberStatus::Active => "active",
                MemberStatus::Deactivated => "deactivated",
            };
            q.filters.push(Filter {
                expression: "#status = :status",
                name: ("#status", "status"),
                value: (":status", s(word)),
            });
        }
        if filter.locked_only {
            q.filters.push(Filter {
                expression: "#locked = :locked",
                name: ("#locked", "locked"),
                value: (":locked", AttributeValue::Bool(true)),
            });
        }
        if let Some(needle) = filter.contains.as_deref().filter(|n| !n.is_empty()) {
            q.filters.push(Filter {
                expression: "contains(#search, :needle)",
                name: ("#search", "search"),
                value: (":needle", s(needle)),
            });
        }
        // The filter runs in DynamoDB, page after page, until `limit` members
        // match. When a page yields more than needed the cursor is the last
        // member returned, not the page's end, so nothing is skipped.
        let mut found: Vec<Item> = Vec::new();
        // Items read per item matched so far: sizes the next page so a
        // common filter reads about a page, a rare one grows towards 1000.
        let (mut scanned, mut matched) = (0usize, 0usize);
        loop {
            let wanted = limit - found.len();
            let page = match (q.filters.is_empty(), (wanted * scanned).checked_div(matched)) {
                (true, _) => wanted,
                // Nothing matched yet: read more each time.
                (false, None) => (wanted * 2 + scanned * 4).max(50),
                (false, Some(estimate)) => estimate + wanted / 2 + 10,
            };
            let (items, last, read) = self.query_page(&q, Some(page), start.take()).await?;
            scanned += read;
            matched += items.len();
            found.extend(items);
            if found.len() >= limit {
                found.truncate(limit);
                // A full page always carries a cursor; when nothing follows,
                // the next page is simply empty.
                let next = found.last().and_then(sk_of).map(|sk| encode_cursor(&sk));
                let items = found.into_iter().map(decode).collect::<Result<Vec<_>, _>>()?;
                return Ok(Page { items, next });
            }
            match last {
                Some(k) => start = Some(k),
                None => {
                    let items = found.into_iter().map(decode).collect::<Result<Vec<_>, _>>()?;
                    return Ok(Page { items, next: None });
                }
            }
        }
    }

    async fn roles(&self, practice: PracticeId) -> Result<Vec<Role>, PortError> {
        self.query_all(&QuerySpec::table(practice_pk(practice), ROLE_PREFIX, true)).await
    }

    async fn role(&self, practice: PracticeId, id: &str) -> Result<Option<Role>, PortError> {
        self.get(Key::Role(practice, id.to_string())).await
    }

    async fn roles_by_id(&self, ids: &[(PracticeId, String)]) -> Result<Vec<Role>, PortError> {
        self.batch_get(ids.iter().map(|(p, r)| Key::Role(*p, r.clone())).collect())
            .await?
            .into_iter()
            .map(decode)
            .collect()
    }

    async fn audit(
        &self,
        scope: AuditScope,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<AuditEvent>, PortError> {
        self.paged(audit_pk(scope), EVENT_PREFIX, false, limit, cursor).await
    }

    async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxItem>, PortError> {
        let (items, _, _) = self.query_page(&QuerySpec::gsi1(OUTBOX_INDEX_PK.into(), ""), Some(limit), None).await?;
        items.into_iter().map(decode).collect()
    }

    async fn slot(&self, practice: PracticeId, email_norm: &str) -> Result<Option<EmailSlot>, PortError> {
        self.get(Key::Slot(practice, email_norm.to_string())).await
    }

    async fn invitation(&self, practice: PracticeId, id: InvitationId) -> Result<Option<Invitation>, PortError> {
        self.get(Key::Invitation(practice, id)).await
    }

    async fn invitation_by_token(&self, token_hash: &str) -> Result<Option<Invitation>, PortError> {
        let Some(t) = self.get::<InvitationToken>(Key::InvitationToken(token_hash.to_string())).await? else {
            return Ok(None);
        };
        let invitation: Option<Invitation> = self.get(Key::Invitation(t.practice_id, t.invitation_id)).await?;
        // A resend replaces the token; the old one names nothing any more.
        Ok(invitation.filter(|i| i.token_hash == token_hash))
    }

    async fn invitations(
        &self,
        practice: PracticeId,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<Invitation>, PortError> {
        self.paged(practice_pk(practice), INVITE_PREFIX, true, limit, cursor).await
    }

    async fn pending_invitations_for(&self, email_norm: &str) -> Result<Vec<Invitation>, PortError> {
        self.query_all(&QuerySpec::gsi1(invitee_pk(email_norm), INVITE_PREFIX)).await
    }

    async fn due_invitations(&self, now: Time, limit: usize) -> Result<Vec<Invitation>, PortError> {
        self.due(DUE_INVITATIONS, now, limit).await
    }

    async fn count_attempt(&self, key: Key, must_exist: bool) -> Result<Option<u32>, PortError> {
        let (pk, sk) = primary(&key);
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(pk, sk)))
            .update_expression("ADD #failures :one")
            .expression_attribute_names("#failures", FAILURES)
            .expression_attribute_values(":one", n(1))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew);
        if must_exist {
            req = req.condition_expression("attribute_exists(PK)");
        }
        match req.send().await {
            Ok(out) => {
                let count = match out.attributes.as_ref().and_then(|a| a.get(FAILURES)) {
                    Some(AttributeValue::N(v)) => v.parse::<u32>().unwrap_or(u32::MAX),
                    _ => u32::MAX,
                };
                Ok(Some(count))
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Ok(None),
            Err(e) => Err(backend("UpdateItem", e)),
        }
    }

    async fn forget_attempt(&self, key: Key) -> Result<(), PortError> {
        let (pk, sk) = primary(&key);
        let sent = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(pk, sk)))
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

    async fn challenge(&self, token_hash: &str) -> Result<Option<MfaChallenge>, PortError> {
        self.get(Key::Challenge(token_hash.to_string())).await
    }

    async fn support_grant(&self, practice: PracticeId) -> Result<Option<SupportGrant>, PortError> {
        self.get(Key::SupportGrant(practice)).await
    }

    async fn due_support_grants(&self, now: Time, limit: usize) -> Result<Vec<SupportGrant>, PortError> {
        self.due(DUE_SUPPORT_GRANTS, now, limit).await
    }

    async fn directors(&self, practice: PracticeId) -> Result<Vec<Membership>, PortError> {
        let q = QuerySpec {
            index: Some(GSI2),
            pk_attr: GSI2PK,
            sk_attr: GSI2SK,
            ..QuerySpec::gsi1(directors_pk(practice), "")
        };
        self.query_all(&q).await
    }
}

impl DynamoStore {
    /// Items of a sparse due list whose sort key starts with an expiry at
    /// or before `now`: a key range, never a scan (R34).
    async fn due<T: DeserializeOwned>(&self, list: &str, now: Time, limit: usize) -> Result<Vec<T>, PortError> {
        let upper = format!("{}#~", time_key(now));
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI2)
            .key_condition_expression("#pk = :pk AND #sk <= :upper")
            .expression_attribute_names("#pk", GSI2PK)
            .expression_attribute_names("#sk", GSI2SK)
            .expression_attribute_values(":pk", s(list))
            .expression_attribute_values(":upper", s(upper))
            .limit(limit.clamp(1, 1000) as i32)
            .send()
            .await
            .map_err(|e| backend("Query", e))?;
        out.items.unwrap_or_default().into_iter().map(decode).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_forgeries() {
        let sk = "MEMBER#0190c3c8-6b1d-7c4e-9a0f-123456789abc";
        let c = encode_cursor(sk);
        assert_eq!(decode_cursor(&c, MEMBER_PREFIX).ok().as_deref(), Some(sk));
        assert!(decode_cursor(&c, EVENT_PREFIX).is_err());
        assert!(decode_cursor("!!!", MEMBER_PREFIX).is_err());
        assert!(decode_cursor(&encode_cursor("MEMBER#not-a-uuid"), MEMBER_PREFIX).is_err());
    }
}
