//! What a change leaves behind: audit events (R32) and outbox items (R33).

use super::{Entity, Keyed, Placement, Primary};
use crate::dynamo::keys::time_key;
use crate::dynamo::shard::{Sharded, SparseIndex};
use roster_domain::ids::EventId;
use roster_domain::model::{AuditEvent, AuditScope, OutboxItem};

pub const EVENT_PREFIX: &str = "EVENT#";
/// The partition of each outbox item begins so; the stream's filter in
/// infra/template.yaml passes inserts of such keys only.
pub const OUTBOX_KEY_PREFIX: &str = "OUTBOX#";
/// The GSI1 list of live undelivered outbox items, by next attempt.
pub const OUTBOX_INDEX: Sharded = Sharded::new(SparseIndex::Gsi1, "OUTBOX");
/// The GSI1 list of dead outbox items, by death, for an operator (R42):
/// sharded too, since a mail service down for a day kills items as fast
/// as they are written.
pub const OUTBOX_DEAD_INDEX: Sharded = Sharded::new(SparseIndex::Gsi1, "OUTBOX_DEAD");

/// The partition of one audit log: a practice's, or a user's own.
pub fn audit_pk(scope: AuditScope) -> String {
    match scope {
        AuditScope::Practice(p) => format!("AUDIT#PRACTICE#{p}"),
        AuditScope::User(u) => format!("AUDIT#USER#{u}"),
    }
}

/// Events sort by their v7 ids, so the log reads newest first by key.
impl Keyed for AuditEvent {
    type KeyInput<'a> = (AuditScope, EventId);
    fn primary_key((scope, id): (AuditScope, EventId)) -> Primary {
        Primary::new(audit_pk(scope), format!("{EVENT_PREFIX}{id}"))
    }
}

impl Entity for AuditEvent {
    const TYPE: &'static str = "audit";
    const KEPT_BY_REPLACE: &'static [&'static str] = &[];
    fn placement(&self) -> Placement {
        Placement::new(Self::primary_key((self.scope, self.id)))
    }
    fn version(&self) -> Option<u64> {
        None
    }
}

impl Keyed for OutboxItem {
    type KeyInput<'a> = EventId;
    fn primary_key(id: EventId) -> Primary {
        Primary::new(format!("{OUTBOX_KEY_PREFIX}{id}"), "OUTBOX")
    }
}

impl Entity for OutboxItem {
    const TYPE: &'static str = "outbox";
    const KEPT_BY_REPLACE: &'static [&'static str] = &[];
    fn placement(&self) -> Placement {
        // GSI1: the sparse index of undelivered items, sorted by when each is
        // next due, so the sweep reads only what is due by key range (R42). A
        // delivered item leaves it and waits for its TTL. A dead item moves
        // to its own partition: out of the sweep's way, still listable.
        let primary = Self::primary_key(self.id);
        let gsi1 = match (self.delivered_at, self.dead_at) {
            (Some(_), _) => None,
            (None, Some(dead)) => Some(OUTBOX_DEAD_INDEX.key(&primary, format!("{}#{}", time_key(dead), self.id))),
            (None, None) => Some(OUTBOX_INDEX.key(&primary, format!("{}#{}", time_key(self.due_at()), self.id))),
        };
        Placement { gsi1, ttl: self.keep_until().map(|t| t.timestamp()), ..Placement::new(primary) }
    }
    fn version(&self) -> Option<u64> {
        None
    }
}
