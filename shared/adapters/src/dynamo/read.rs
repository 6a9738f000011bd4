//! Reads: GetItem and BatchGetItem by key, and Query by partition and
//! sort-key prefix, whole or a page at a time. Never Scan.

use super::codec::{decode, decode_all, s, Item};
use super::entity::{Entity, Primary};
use super::keys::{GSI1, GSI1PK, GSI1SK, GSI2, GSI2PK, GSI2SK, PK, SK};
use super::{backend, cursor, DynamoStore};
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use roster_domain::error::PortError;
use roster_domain::ports::Page;
use serde::de::DeserializeOwned;
use std::collections::HashSet;

/// BatchGetItem takes 100 keys per call.
const MAX_BATCH_GET: usize = 100;

/// A key-condition query: a partition, and a sort-key prefix within it.
pub struct QuerySpec<'a> {
    pub index: Option<&'static str>,
    pub pk_attr: &'static str,
    pub pk: String,
    pub sk_attr: &'static str,
    pub sk_prefix: &'a str,
    pub forward: bool,
    /// Conditions DynamoDB applies after reading, all of which must hold.
    pub filters: Vec<Filter>,
}

/// One term of a filter expression, with the names it reads and its one
/// value.
pub struct Filter {
    pub expression: &'static str,
    pub names: &'static [(&'static str, &'static str)],
    pub value: (&'static str, AttributeValue),
}

impl<'a> QuerySpec<'a> {
    pub fn table(pk: String, sk_prefix: &'a str, forward: bool) -> Self {
        Self { index: None, pk_attr: PK, pk, sk_attr: SK, sk_prefix, forward, filters: Vec::new() }
    }
    pub fn gsi1(pk: String, sk_prefix: &'a str) -> Self {
        Self { index: Some(GSI1), pk_attr: GSI1PK, pk, sk_attr: GSI1SK, sk_prefix, forward: true, filters: Vec::new() }
    }
    pub fn gsi2(pk: String, sk_prefix: &'a str) -> Self {
        Self { index: Some(GSI2), pk_attr: GSI2PK, pk, sk_attr: GSI2SK, sk_prefix, forward: true, filters: Vec::new() }
    }
}

impl DynamoStore {
    /// One record of kind `T` by its key, read consistently.
    pub(super) async fn get<T: Entity>(&self, input: T::KeyInput<'_>) -> Result<Option<T>, PortError> {
        let key = T::primary_key(input);
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key.item()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend("GetItem", e))?;
        out.item.map(decode).transpose()
    }

    /// BatchGetItem over any number of keys, retrying unprocessed keys.
    /// Absent items are left out; the order is DynamoDB's.
    pub(super) async fn batch_get(&self, keys: impl IntoIterator<Item = Primary>) -> Result<Vec<Item>, PortError> {
        let mut seen = HashSet::new();
        let all: Vec<Item> = keys.into_iter().filter(|k| seen.insert(k.clone())).map(Primary::item).collect();
        let mut found = Vec::with_capacity(all.len());
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

    /// `batch_get` of records of one kind.
    pub(super) async fn batch_get_all<T: Entity>(
        &self,
        keys: impl IntoIterator<Item = Primary>,
    ) -> Result<Vec<T>, PortError> {
        decode_all(self.batch_get(keys).await?)
    }

    /// One page of a key-condition query: the items (that passed the
    /// filter), where the next page starts, and how many items were read.
    pub(super) async fn query_page(
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
                for (placeholder, name) in f.names {
                    req = req.expression_attribute_names(*placeholder, *name);
                }
                req = req.expression_attribute_values(f.value.0, f.value.1.clone());
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

    /// Every item the query names, page after page.
    pub(super) async fn query_all<T: DeserializeOwned>(&self, q: &QuerySpec<'_>) -> Result<Vec<T>, PortError> {
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
    pub(super) async fn paged<T: DeserializeOwned>(
        &self,
        pk: String,
        prefix: &str,
        forward: bool,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<T>, PortError> {
        let start = start_after(&pk, prefix, cursor)?;
        let q = QuerySpec::table(pk, prefix, forward);
        let (items, last, _) = self.query_page(&q, Some(limit), start).await?;
        let next = last.as_ref().and_then(cursor::after);
        let items = items.into_iter().map(decode).collect::<Result<Vec<T>, _>>()?;
        Ok(Page { items, next })
    }

    /// Up to `limit` items of a filtered query on the base table, reading
    /// page after page until that many match. When a page yields more than
    /// needed the cursor is the last item returned, not the page's end, so
    /// nothing is skipped.
    pub(super) async fn filtered<T: DeserializeOwned>(
        &self,
        q: &QuerySpec<'_>,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<T>, PortError> {
        let mut start = start_after(&q.pk, q.sk_prefix, cursor)?;
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
            let (items, last, read) = self.query_page(q, Some(page), start.take()).await?;
            scanned += read;
            matched += items.len();
            found.extend(items);
            if found.len() >= limit {
                found.truncate(limit);
                // A full page always carries a cursor; when nothing follows,
                // the next page is simply empty.
                let next = found.last().and_then(cursor::after);
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
}

/// The key a cursor resumes after, in the partition `pk`.
fn start_after(pk: &str, prefix: &str, cursor: Option<&str>) -> Result<Option<Item>, PortError> {
    cursor.map(|c| Ok(Primary::new(pk, cursor::decode(c, prefix)?).item())).transpose()
}
