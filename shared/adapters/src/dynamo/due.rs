//! A sharded list read back as one (see `shard`): every shard's key range,
//! queried in parallel, merged by sort key, so the items come oldest first
//! across shards exactly as one partition would give them (R42), and a
//! page resumes right after the last item of the one before.
//!
//! To know the next item of the whole list a merge must hold the next item
//! of every shard, so each page reads a little past its end in some shards.
//! That read-ahead is kept for the next page of the same pass (same list,
//! same bound, resuming after the item this page ended on) rather than read
//! again: over a pass every due item is read once, and what grows with the
//! number of shards is one Query per shard, not the items read. Anything
//! else (another list, a new run, another caller's cursor) reads afresh
//! from the cursor, which is always correct, only dearer.

use super::codec::{decode, s, Item};
use super::entity::{Entity, Placement, Primary};
use super::keys::{time_key, PK};
use super::shard::{Sharded, SparseIndex, SHARDS};
use super::{backend, DynamoStore};
use futures::future::try_join_all;
use roster_domain::error::PortError;
use roster_domain::metrics::{self, Count};
use roster_domain::model::Time;
use serde::de::DeserializeOwned;
use std::collections::VecDeque;
use std::sync::Mutex;

/// Where a read resumes: right after this item of the list.
struct After {
    primary: Primary,
    sk: String,
}

impl After {
    /// Right after the item `placement` places, if it is in `list`'s index.
    fn of(placement: Placement, list: Sharded) -> Option<Self> {
        let key = match list.index {
            SparseIndex::Gsi1 => placement.gsi1,
            SparseIndex::Gsi2 => placement.gsi2,
        }?;
        Some(Self { primary: placement.primary, sk: key.sk })
    }

    /// The `ExclusiveStartKey` that starts `shard` right after this item:
    /// the item's own key in its shard, and in any other the same position,
    /// which DynamoDB takes whether or not an item sits there.
    fn start_key(&self, list: Sharded, shard: u8) -> Item {
        let (_, pk, sk) = list.index.names();
        let mut key = self.primary.clone().item();
        key.insert(pk.to_string(), s(list.pk(shard)));
        key.insert(sk.to_string(), s(self.sk.clone()));
        key
    }
}

/// One shard's part of a merged read.
#[derive(Debug)]
struct ShardRead {
    shard: u8,
    /// Read and not yet returned, in sort-key order, each with its sort key.
    ahead: VecDeque<(String, Item)>,
    /// Where its next Query starts (`None`: at the start of the range).
    start: Option<Item>,
    /// Nothing more in range.
    done: bool,
}

impl ShardRead {
    /// Might hold the next item of the list but has none in hand.
    fn dry(&self) -> bool {
        self.ahead.is_empty() && !self.done
    }
}

/// A read that stopped at its page's end, kept for the page that follows.
#[derive(Debug)]
struct Paused {
    list: Sharded,
    upper: Option<String>,
    /// The sort key of the last item returned.
    last: String,
    shards: Vec<ShardRead>,
}

/// The one read of this store that may go on: a sweep pass pages through
/// one list at a time.
#[derive(Debug, Default)]
pub(super) struct ReadAhead(Mutex<Option<Paused>>);

impl ReadAhead {
    fn resume(&self, list: Sharded, upper: &Option<String>, after: &After) -> Option<Vec<ShardRead>> {
        let mut slot = self.0.lock().ok()?;
        match slot.take() {
            Some(p) if p.list == list && &p.upper == upper && p.last == after.sk => Some(p.shards),
            other => {
                *slot = other;
                None
            }
        }
    }

    fn pause(&self, paused: Option<Paused>) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = paused;
        }
    }
}

/// One item of a list, or `None`, logged by its keys alone, if it cannot
/// be read: skipped, not an error, so the items after it are still
/// reached (R42), and not counted in a page, so a page short of its limit
/// still means the list's end. The read resumes past it (after the last
/// item read), so one pass skips it once.
fn read_one<T: DeserializeOwned>(list: Sharded, sk: &str, item: Item) -> Option<T> {
    let pk = item.get(PK).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
    // The decoder's message may quote the item's content: only keys are logged.
    decode(item).inspect_err(|_| tracing::error!(list = list.name, pk, sort_key = sk, "unreadable item skipped")).ok()
}

impl DynamoStore {
    /// Up to `limit` items of `list` whose sort key starts with a time at
    /// or before `upto` (every item if `None`), oldest first across shards,
    /// resuming after `after`. Fewer than `limit` means nothing more is in
    /// range. A key range in each shard, never a scan (R34).
    async fn listed<T: DeserializeOwned>(
        &self,
        list: Sharded,
        upto: Option<Time>,
        after: Option<After>,
        limit: usize,
    ) -> Result<Vec<T>, PortError> {
        let upper = upto.map(|t| format!("{}#~", time_key(t)));
        if limit == 0 {
            return Ok(Vec::new());
        }
        if let (Some(a), Some(u)) = (&after, &upper) {
            // DynamoDB refuses a start key outside the range; nothing
            // after it is in range anyway.
            if a.sk > *u {
                return Ok(Vec::new());
            }
        }
        let mut shards = match after.as_ref().and_then(|a| self.read_ahead.resume(list, &upper, a)) {
            Some(kept) => kept,
            None => (0..SHARDS)
                .map(|shard| ShardRead {
                    shard,
                    ahead: VecDeque::new(),
                    start: after.as_ref().map(|a| a.start_key(list, shard)),
                    done: false,
                })
                .collect(),
        };
        // The page's own size from each shard, since a page may come from
        // one shard alone: fewer, fuller Queries waste less of DynamoDB's
        // rounding of each up to 4 KB, and what they read past the page is
        // kept for the next, not read again.
        let per_shard = limit.clamp(1, 1000);
        let mut page: Vec<(String, T)> = Vec::with_capacity(limit);
        let mut skipped = 0;
        loop {
            let dry = shards.iter_mut().filter(|r| r.dry());
            try_join_all(dry.map(|r| self.read_shard(list, upper.as_deref(), per_shard, r))).await?;
            // The smallest item in hand is the list's next only while every
            // shard that may hold more has one in hand too.
            while page.len() < limit && !shards.iter().any(ShardRead::dry) {
                let heads = shards.iter().enumerate().filter_map(|(i, r)| r.ahead.front().map(|(sk, _)| (sk, i)));
                let Some((_, i)) = heads.min() else { break };
                let Some((sk, item)) = shards[i].ahead.pop_front() else { break };
                match read_one(list, &sk, item) {
                    Some(read) => page.push((sk, read)),
                    None => skipped += 1,
                }
            }
            if page.len() >= limit || shards.iter().all(|r| r.done && r.ahead.is_empty()) {
                break;
            }
        }
        let paused = (page.len() >= limit).then(|| page.last().map(|(sk, _)| sk.clone())).flatten();
        self.read_ahead.pause(paused.map(|last| Paused { list, upper, last, shards }));
        metrics::count(Count::UnreadableSkipped, skipped);
        Ok(page.into_iter().map(|(_, read)| read).collect())
    }

    /// The first `limit` items of `list`, due or not, oldest first.
    pub(super) async fn head<T: DeserializeOwned>(&self, list: Sharded, limit: usize) -> Result<Vec<T>, PortError> {
        self.listed(list, None, None, limit).await
    }

    /// Up to `limit` items of a due list at or before `now`, oldest first,
    /// resuming after `after` (an item a previous call returned).
    pub(super) async fn due<T: Entity>(
        &self,
        list: Sharded,
        now: Time,
        after: Option<&T>,
        limit: usize,
    ) -> Result<Vec<T>, PortError> {
        let after = after.and_then(|item| After::of(item.placement(), list));
        self.listed(list, Some(now), after, limit).await
    }

    /// One Query on one shard: its next `limit` items in range.
    async fn read_shard(
        &self,
        list: Sharded,
        upper: Option<&str>,
        limit: usize,
        read: &mut ShardRead,
    ) -> Result<(), PortError> {
        let (index, pk, sk) = list.index.names();
        let mut req = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .expression_attribute_names("#pk", pk)
            .expression_attribute_values(":pk", s(list.pk(read.shard)));
        req = match upper {
            Some(upper) => req
                .key_condition_expression("#pk = :pk AND #sk <= :upper")
                .expression_attribute_names("#sk", sk)
                .expression_attribute_values(":upper", s(upper)),
            None => req.key_condition_expression("#pk = :pk"),
        };
        let out = req
            .limit(limit as i32)
            .set_exclusive_start_key(read.start.take())
            .send()
            .await
            .map_err(|e| backend("Query", e))?;
        for item in out.items.unwrap_or_default() {
            let key = item.get(sk).and_then(|v| v.as_s().ok()).cloned();
            let key = key.ok_or_else(|| PortError::Backend(format!("an item of {} has no {sk}", list.name)))?;
            read.ahead.push_back((key, item));
        }
        read.done = out.last_evaluated_key.is_none();
        read.start = out.last_evaluated_key;
        Ok(())
    }
}
