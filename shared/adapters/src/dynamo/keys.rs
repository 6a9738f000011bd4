//! The single-table key design. docs/design.md lists every access pattern and
//! the key it uses; this file is the only place keys are spelled.

use roster_domain::ids::{EventId, InvitationId, LocationId, PracticeId, UserId};
use roster_domain::model::{AuditScope, InvitationStatus};
use roster_domain::ports::{Key, Record};

pub const PK: &str = "PK";
pub const SK: &str = "SK";
pub const GSI1: &str = "GSI1";
pub const GSI1PK: &str = "GSI1PK";
pub const GSI1SK: &str = "GSI1SK";
pub const GSI2: &str = "GSI2";
pub const GSI2PK: &str = "GSI2PK";
pub const GSI2SK: &str = "GSI2SK";
pub const TTL: &str = "ttl";
/// Which record an item holds, for people reading the table.
pub const TYPE: &str = "type";

pub const PROFILE: &str = "PROFILE";
pub const MEMBER_PREFIX: &str = "MEMBER#";
pub const LOCATION_PREFIX: &str = "LOCATION#";
pub const EVENT_PREFIX: &str = "EVENT#";
pub const OUTBOX_INDEX_PK: &str = "OUTBOX";
pub const INVITE_PREFIX: &str = "INVITE#";
pub const DUE_INVITATIONS: &str = "DUE#INVITATION";
pub const DUE_SUPPORT_GRANTS: &str = "DUE#SUPPORT";
/// The attribute `Store::count_failure` counts in.
pub const FAILURES: &str = "failures";
pub const ROLE_PREFIX: &str = "ROLE#";

/// Index-only attributes, present on an item only while it belongs in that
/// index; a `Replace` removes those its new placement lacks.
pub const PLACEMENT_ATTRIBUTES: [&str; 5] = [GSI1PK, GSI1SK, GSI2PK, GSI2SK, TTL];

/// Sort keys that order by time must sort as strings: fixed-width epoch
/// milliseconds (RFC 3339 from chrono varies in its fraction digits).
pub fn time_key(t: chrono::DateTime<chrono::Utc>) -> String {
    format!("{:015}", t.timestamp_millis())
}

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
pub fn invitation_sk(id: InvitationId) -> String {
    format!("{INVITE_PREFIX}{id}")
}
pub fn invitee_pk(email_norm: &str) -> String {
    format!("INVITEE#{email_norm}")
}
pub fn event_sk(id: EventId) -> String {
    format!("{EVENT_PREFIX}{id}")
}
/// GSI2 partition of a practice's active directors (support-access mail).
pub fn directors_pk(id: PracticeId) -> String {
    format!("DIRECTORS#{id}")
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
        Key::Invitation(p, i) => (practice_pk(*p), invitation_sk(*i)),
        Key::Slot(p, email) => (practice_pk(*p), format!("SLOT#{email}")),
        Key::InvitationToken(hash) => (format!("INVTOKEN#{hash}"), "INVTOKEN".into()),
        Key::Role(p, r) => (practice_pk(*p), format!("{ROLE_PREFIX}{r}")),
        Key::RoleName(p, n) => (practice_pk(*p), format!("ROLENAME#{n}")),
        Key::Challenge(hash) => (format!("MFA#{hash}"), "MFA".into()),
        Key::SupportGrant(p) => (practice_pk(*p), "SUPPORT".into()),
        Key::LoginFailures(u) => (user_pk(*u), "LOGINFAIL".into()),
    }
}

/// Everything an item carries besides its own fields: keys, sparse index
/// keys, its type and (for what expires) the TTL epoch seconds (R35).
pub struct Placement {
    pub pk: String,
    pub sk: String,
    pub gsi1: Option<(String, String)>,
    pub gsi2: Option<(String, String)>,
    pub ttl: Option<i64>,
    pub kind: &'static str,
}

pub fn placement(record: &Record) -> Placement {
    let simple = |key: Key, kind| {
        let (pk, sk) = primary(&key);
        Placement { pk, sk, gsi1: None, gsi2: None, ttl: None, kind }
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
            // GSI2: the practice's active directors, whom support-access
            // mail goes to (R30); a Replace moves a member in or out.
            gsi2: (m.is_active() && m.access.is_director())
                .then(|| (directors_pk(m.practice_id), member_sk(m.user_id))),
            ..simple(Key::Membership(m.practice_id, m.user_id), "membership")
        },
        Record::Audit(a) => {
            Placement { pk: audit_pk(a.scope), sk: event_sk(a.id), gsi1: None, gsi2: None, ttl: None, kind: "audit" }
        }
        Record::Outbox(o) => Placement {
            // GSI1: the sparse index of undelivered items; a delivered item is
            // deleted, so the index holds only what the sweep must retry.
            gsi1: Some((OUTBOX_INDEX_PK.into(), format!("{}#{}", time_key(o.created_at), o.id))),
            ..simple(Key::Outbox(o.id), "outbox")
        },
        Record::Invitation(i) => {
            let base = simple(Key::Invitation(i.practice_id, i.id), "invitation");
            if i.status == InvitationStatus::Pending {
                // Pending only: the invitee's list (GSI1, R11), the sweep's due
                // list (GSI2, R34), and listable for 30 days past expiry (R35).
                Placement {
                    gsi1: Some((invitee_pk(&i.email_norm), invitation_sk(i.id))),
                    gsi2: Some((DUE_INVITATIONS.into(), format!("{}#{}", time_key(i.expires_at), i.id))),
                    ttl: Some((i.expires_at + chrono::Duration::days(30)).timestamp()),
                    ..base
                }
            } else {
                base
            }
        }
        Record::Slot(slot) => simple(Key::Slot(slot.practice_id, slot.email_norm.clone()), "slot"),
        Record::InvitationToken(t) => Placement {
            ttl: Some(t.keep_until.timestamp()),
            ..simple(Key::InvitationToken(t.token_hash.clone()), "invitation_token")
        },
        Record::Role(r) => simple(Key::Role(r.practice_id, r.id.clone()), "role"),
        Record::RoleName(n) => simple(Key::RoleName(n.practice_id, n.name_norm.clone()), "role_name"),
        Record::Challenge(c) => Placement {
            ttl: Some(c.expires_at.timestamp()),
            ..simple(Key::Challenge(c.token_hash.clone()), "mfa_challenge")
        },
        Record::SupportGrant(g) => Placement {
            // GSI2: the sweep's due list (R34). The TTL leaves the sweep a
            // month to end the grant with its event before the item goes;
            // reads check the expiry themselves (R30, R35).
            gsi2: Some((DUE_SUPPORT_GRANTS.into(), format!("{}#{}", time_key(g.expires_at), g.practice_id))),
            ttl: Some((g.expires_at + chrono::Duration::days(30)).timestamp()),
            ..simple(Key::SupportGrant(g.practice_id), "support_grant")
        },
    }
}

/// Attributes that only their own writes change (`AdjustCounters`,
/// `AdjustRoleHolders`, `MirrorUser`); a `Replace` of the record leaves
/// them alone so that no concurrent change to them is overwritten.
pub fn counter_attributes(record: &Record) -> &'static [&'static str] {
    match record {
        Record::Practice(_) => &["seats", "directors", "active_locations"],
        Record::Role(_) => &["holders"],
        // Kept in step with the user by `MirrorUser` alone.
        Record::Membership(_) => &["search", "locked"],
        _ => &[],
    }
}
