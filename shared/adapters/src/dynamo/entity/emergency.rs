//! Emergency access in the practice's partition (R50): one history item per
//! use, and the member's pointer to the one open now.

use super::{Entity, IndexKey, Keyed, Placement, Primary};
use crate::dynamo::keys::{practice_pk, time_key};
use crate::dynamo::shard::{Sharded, SparseIndex};
use roster_domain::ids::{EmergencyAccessId, PracticeId, UserId};
use roster_domain::model::{EmergencyAccess, EmergencyPointer};

/// History items sort by their v7 ids, so by opening time.
pub const EMERGENCY_PREFIX: &str = "EMERGENCY#";
/// Pointers: at most one per member; a practice's open uses are these.
pub const EMERGENCY_OPEN_PREFIX: &str = "EMERGENCY_OPEN#";
/// The GSI2 list of uses not yet ended, by `ends_at`, for the sweep (R50).
pub const DUE_EMERGENCY: Sharded = Sharded::new(SparseIndex::Gsi2, "DUE#EMERGENCY");

/// The GSI1 partition of a practice's unreviewed uses: the directors'
/// review queue without reading the reviewed ones.
pub fn unreviewed_pk(practice_id: PracticeId) -> String {
    format!("{}#EMERGENCY_UNREVIEWED", practice_pk(practice_id))
}

/// The queue's sort keys, `<prefix><id>`: uses not yet stamped ended apart
/// from ended ones, so the practice's open uses are a key range of the
/// queue (a use is reviewed only once it has ended, so every open one is
/// in it), each part in id (opening) order.
pub const QUEUE_OPEN: &str = "OPEN#";
pub const QUEUE_ENDED: &str = "ENDED#";

fn queue_sk(a: &EmergencyAccess) -> String {
    let part = if a.ended_at.is_none() { QUEUE_OPEN } else { QUEUE_ENDED };
    format!("{part}{}", a.id)
}

impl Keyed for EmergencyAccess {
    type KeyInput<'a> = (PracticeId, EmergencyAccessId);
    fn primary_key((practice_id, id): (PracticeId, EmergencyAccessId)) -> Primary {
        Primary::new(practice_pk(practice_id), format!("{EMERGENCY_PREFIX}{id}"))
    }
}

/// Kept like the audit log (no TTL): the review is the HIPAA record.
impl Entity for EmergencyAccess {
    const TYPE: &'static str = "emergency_access";
    const KEPT_BY_REPLACE: &'static [&'static str] = &[];
    fn placement(&self) -> Placement {
        let primary = Self::primary_key((self.practice_id, self.id));
        let due = format!("{}#{}#{}", time_key(self.ends_at), self.practice_id, self.id);
        Placement {
            gsi1: self.review.is_none().then(|| IndexKey::new(unreviewed_pk(self.practice_id), queue_sk(self))),
            gsi2: self.ended_at.is_none().then(|| DUE_EMERGENCY.key(&primary, due)),
            ..Placement::new(primary)
        }
    }
    fn version(&self) -> Option<u64> {
        Some(self.version)
    }
}

impl Keyed for EmergencyPointer {
    type KeyInput<'a> = (PracticeId, UserId);
    fn primary_key((practice_id, user_id): (PracticeId, UserId)) -> Primary {
        Primary::new(practice_pk(practice_id), format!("{EMERGENCY_OPEN_PREFIX}{user_id}"))
    }
}

impl Entity for EmergencyPointer {
    const TYPE: &'static str = "emergency_pointer";
    const KEPT_BY_REPLACE: &'static [&'static str] = &[];
    fn placement(&self) -> Placement {
        // Reads check `ends_at`; the TTL only clears what nobody closed.
        Placement {
            ttl: Some((self.ends_at + chrono::Duration::days(1)).timestamp()),
            ..Placement::new(Self::primary_key((self.practice_id, self.user_id)))
        }
    }
    fn version(&self) -> Option<u64> {
        Some(self.version)
    }
}
