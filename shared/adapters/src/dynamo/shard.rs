//! The platform-wide lists in the sparse indexes (the sweep's due lists and
//! the outbox's), each spread over `SHARDS` index partitions: one partition
//! per list would take every tenant's writes, and DynamoDB caps a partition
//! at about 1,000 write units a second (docs/design.md, "No hot key"). An
//! item's shard comes from a hash of its primary key, so it never moves
//! while the item lives; the sort key stays the due time, so each shard
//! still reads as a key range of what is due.

use super::entity::{IndexKey, Primary};
use super::keys::{GSI1, GSI1PK, GSI1SK, GSI2, GSI2PK, GSI2SK};
use sha2::{Digest, Sha256};

/// Index partitions per list. Changing it re-homes every listed item, so
/// it is a migration, not a setting.
pub const SHARDS: u8 = 16;

/// Which sparse index a list is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SparseIndex {
    Gsi1,
    Gsi2,
}

impl SparseIndex {
    /// The index's name and its key attributes.
    pub fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Gsi1 => (GSI1, GSI1PK, GSI1SK),
            Self::Gsi2 => (GSI2, GSI2PK, GSI2SK),
        }
    }
}

/// A list all tenants write: its index and the name its shards' partition
/// keys start with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sharded {
    pub index: SparseIndex,
    pub name: &'static str,
}

impl Sharded {
    pub const fn new(index: SparseIndex, name: &'static str) -> Self {
        Self { index, name }
    }

    /// The partition key of shard `shard`: `<name>#<two digits>`.
    pub fn pk(self, shard: u8) -> String {
        format!("{}#{shard:02}", self.name)
    }

    /// Every shard's partition key, in shard order.
    pub fn pks(self) -> impl Iterator<Item = String> {
        (0..SHARDS).map(move |shard| self.pk(shard))
    }

    /// The index key of the item at `primary`, sorted by `sk` in its shard.
    pub fn key(self, primary: &Primary, sk: String) -> IndexKey {
        IndexKey::new(self.pk(shard_of(primary)), sk)
    }
}

/// The shard of the item at `primary`: SHA-256 rather than std's hasher,
/// whose output Rust does not promise to keep from one release to the next.
pub fn shard_of(primary: &Primary) -> u8 {
    let mut hash = Sha256::new();
    hash.update(primary.pk.as_bytes());
    // A separator, so ("ab", "c") and ("a", "bc") hash apart.
    hash.update([0]);
    hash.update(primary.sk.as_bytes());
    hash.finalize()[0] % SHARDS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_fill_evenly_and_never_move() {
        let mut counts = [0usize; SHARDS as usize];
        for i in 0..16_000 {
            let p = Primary::new(format!("OUTBOX#{i}"), "OUTBOX");
            assert_eq!(shard_of(&p), shard_of(&p.clone()));
            counts[shard_of(&p) as usize] += 1;
        }
        // 1,000 expected in each; a fair hash stays well within 15%.
        assert!(counts.iter().all(|c| (850..1150).contains(c)), "{counts:?}");
    }

    #[test]
    fn a_shard_key_names_its_list_and_shard() {
        let list = Sharded::new(SparseIndex::Gsi2, "DUE#INVITATION");
        assert_eq!(list.pk(7), "DUE#INVITATION#07");
        assert_eq!(list.pks().count(), usize::from(SHARDS));
    }
}
