//! The single-table key design. docs/design.md lists every access pattern and
//! the key it uses; this file is the only place keys are spelled.

use roster_domain::ids::{EventId, LocationId, PracticeId, UserId};
use roster_domain::model::AuditScope;
use roster_domain::ports::{Key, Record};

pub const PK: &str = "PK";
pub const SK: &str = "SK";
pub const GSI1: &str = "GSI1";
pub const GSI1PK: &str = "GSI1PK";
pub const GSI1SK: &str = "GSI1SK";
pub const TTL: &str = "ttl";
/// Which record an item holds, for people reading the table.
pub const TYPE: &str = "type";

pub const PROFILE: &str = "PROFILE";
pub const MEMBER_PREFIX: &str = "MEMBER#";
pub const LOCATION_PREFIX: &str = "LOCATION#";
pub const EVENT_PREFIX: &str = "EVENT#";
pub const OUTBOX_INDEX_PK: &str = "OUTBOX";

pub fn user_pk(id: UserId) -> String {
    format!("USER#{id}")
}
pub fn practice_pk(id: PracticeId) -> String {
    format!("PRACTICE#{id}")
}
pub fn member_sk(id: UserId) -> String {
    format!("{MEMBER_PREFIX}{id}")
}
pub fn location_sk(id: LocationId) -> String {
    format!("{LOCATION_PREFIX}{id}")
}
pub fn session_sk(token_hash: &str) -> String {
    format!("SESSION#{token_hash}")
}
pub fn audit_pk(scope: AuditScope) -> String {
    match scope {
        AuditScope::Practice(p) => format!("AUDIT#PRACTICE#{p}"),
        AuditScope::User(u) => format!("AUDIT#USER#{u}"),
    }
}
pub fn event_sk(id: EventId) -> String {
    format!("{EVENT_PREFIX}{id}")
}

/// (PK, SK) of a key.
pub fn primary(key: &Key) -> (String, String) {
    match key {
        Key::User(id) => (user_pk(*id), PROFILE.into()),
        Key::EmailClaim(norm) => (format!("EMAIL#{norm}"), "EMAIL".into()),
        Key::Session { user_id, token_hash } => (user_pk(*user_id), session_sk(token_hash)),
        Key::Token(hash) => (format!("TOKEN#{hash}"), "TOKEN".into()),
        Key::Practice(id) => (practice_pk(*id), "PRACTICE".into()),
        Key::Location(p, l) => (practice_pk(*p), location_sk(*l)),
        Key::Membership(p, u) => (practice_pk(*p), member_sk(*u)),
        Key::Outbox(id) => (format!("OUTBOX#{id}"), "OUTBOX".into()),
    }
}

/// Everything an item carries besides its own fields: keys, sparse index
/// keys, its type and (for what expires) the TTL epoch seconds (R35).
pub struct Placement {
    pub pk: String,
    pub sk: String,
    pub gsi1: Option<(String, String)>,
    pub ttl: Option<i64>,
    pub kind: &'static str,
}

pub fn placement(record: &Record) -> Placement {
    let simple = |key: Key, kind| {
        let (pk, sk) = primary(&key);
        Placement { pk, sk, gsi1: None, ttl: None, kind }
    };
    match record {
        Record::User(u) => simple(Key::User(u.id), "user"),
        Record::EmailClaim(c) => simple(Key::EmailClaim(c.email_norm.clone()), "email_claim"),
        Record::Session(s) => Placement {
            ttl: Some(s.expires_at.timestamp()),
            ..simple(Key::Session { user_id: s.user_id, token_hash: s.token_hash.clone() }, "session")
        },
        Record::Token(t) => {
            Placement { ttl: Some(t.expires_at.timestamp()), ..simple(Key::Token(t.token_hash.clone()), "token") }
        }
        Record::Practice(p) => simple(Key::Practice(p.id), "practice"),
        Record::Location(l) => simple(Key::Location(l.practice_id, l.id), "location"),
        Record::Membership(m) => Placement {
            // GSI1: a user's memberships across practices (GET /me, R3).
            gsi1: Some((user_pk(m.user_id), format!("{MEMBER_PREFIX}{}", m.practice_id))),
            ..simple(Key::Membership(m.practice_id, m.user_id), "membership")
        },
        Record::Audit(a) => {
            Placement { pk: audit_pk(a.scope), sk: event_sk(a.id), gsi1: None, ttl: None, kind: "audit" }
        }
        Record::Outbox(o) => Placement {
            // GSI1: the sparse index of undelivered items; a delivered item is
            // deleted, so the index holds only what the sweep must retry.
            gsi1: Some((OUTBOX_INDEX_PK.into(), format!("{}#{}", o.created_at.to_rfc3339(), o.id))),
            ..simple(Key::Outbox(o.id), "outbox")
        },
    }
}

/// Attributes that only `AdjustCounters` may change; a `Replace` of the
/// record leaves them alone so that no concurrent count is overwritten.
pub fn counter_attributes(record: &Record) -> &'static [&'static str] {
    match record {
        Record::Practice(_) => &["seats", "directors", "active_locations"],
        _ => &[],
    }
}
