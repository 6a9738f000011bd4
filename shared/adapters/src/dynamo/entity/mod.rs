//! Each record's place in the table, written beside the record: one
//! `impl Entity` per kind of item names its keys, the sparse index keys it
//! carries, its TTL, its `type`, its version, and what a `Replace` leaves
//! alone. `stored` is the one match over `Record` and `primary` the one over
//! `Key`; neither has a wildcard arm, so a new kind of record or key does not
//! compile until its keys are written here.

mod account;
mod emergency;
mod events;
mod invitation;
mod mail;
mod onboarding;
mod practice;

pub use account::{LoginFailures, SESSION_PREFIX};
pub use emergency::{unreviewed_pk, DUE_EMERGENCY, EMERGENCY_PREFIX, QUEUE_ENDED, QUEUE_OPEN};
pub use events::{audit_pk, EVENT_PREFIX, OUTBOX_DEAD_INDEX, OUTBOX_INDEX, OUTBOX_KEY_PREFIX};
pub use invitation::{invitee_pk, DUE_INVITATIONS, INVITE_PREFIX};
pub use onboarding::DUE_ONBOARDING;
pub use practice::{
    directors_pk, module_seats_attribute, DUE_SUPPORT_GRANTS, LOCATION_PREFIX, MEMBER_PREFIX, ROLE_PREFIX,
};

use super::codec::{s, Item};
use super::keys::{PK, SK};
use roster_domain::error::PortError;
use roster_domain::model::*;
use roster_domain::ports::{Key, Record};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

/// An item's primary key: the table's `PK` and `SK`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Primary {
    pub pk: String,
    pub sk: String,
}

impl Primary {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self { pk: pk.into(), sk: sk.into() }
    }

    /// The key as DynamoDB takes it in GetItem, Delete, Update and friends.
    pub fn item(self) -> Item {
        HashMap::from([(PK.to_string(), s(self.pk)), (SK.to_string(), s(self.sk))])
    }
}

/// A sparse index's key, carried only while the item belongs in the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexKey {
    pub pk: String,
    pub sk: String,
}

impl IndexKey {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self { pk: pk.into(), sk: sk.into() }
    }
}

/// Everything an item carries besides its own fields and its `type`: its
/// keys, its sparse index keys, (for what expires) the TTL in epoch
/// seconds (R35), and (for a named member) the text a filter searches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub primary: Primary,
    pub gsi1: Option<IndexKey>,
    pub gsi2: Option<IndexKey>,
    pub ttl: Option<i64>,
    /// `display_search`: a practice's name for a member, lower-cased for
    /// the members search (R22). Derived from the record like its keys, so
    /// it is always the name's and no other write has to keep it so.
    pub display_search: Option<String>,
}

impl Placement {
    /// In the table only: no index, no TTL, nothing searched.
    pub fn new(primary: Primary) -> Self {
        Self { primary, gsi1: None, gsi2: None, ttl: None, display_search: None }
    }
}

/// What names one item of a kind. Implemented by every record, and by the
/// one item that is no record (`LoginFailures`).
pub trait Keyed {
    /// The parts of the domain's `Key` variant for this kind.
    type KeyInput<'a>;
    fn primary_key(input: Self::KeyInput<'_>) -> Primary;
}

/// A kind of record and its place in the table. Nothing has a default, so
/// each record states all of it.
pub trait Entity: Keyed + Serialize + DeserializeOwned {
    /// The item's `type` attribute.
    const TYPE: &'static str;
    /// Attributes that only their own writes change (`AdjustCounters`,
    /// `AdjustRoleHolders`, `MirrorUser`); a `Replace` of the record leaves
    /// them alone so that no concurrent change to them is overwritten.
    const KEPT_BY_REPLACE: &'static [&'static str];
    /// Where this record is: its key, and the index keys and TTL it carries
    /// in its present state.
    fn placement(&self) -> Placement;
    /// The version a `Replace` is conditioned on; `None` for records that
    /// are only ever created and deleted.
    fn version(&self) -> Option<u64>;
}

/// What the write path needs of a record of any kind: `Entity` seen through
/// `dyn`, so that the one match over `Record` serves every write.
pub trait Stored {
    /// The whole item: fields, placement and `type`.
    fn item(&self) -> Result<Item, PortError>;
    fn versioned(&self) -> bool;
    fn kept_by_replace(&self) -> &'static [&'static str];
}

impl<T: Entity> Stored for T {
    fn item(&self) -> Result<Item, PortError> {
        super::codec::to_item(self)
    }
    fn versioned(&self) -> bool {
        self.version().is_some()
    }
    fn kept_by_replace(&self) -> &'static [&'static str] {
        T::KEPT_BY_REPLACE
    }
}

/// The record as its entity.
pub fn stored(record: &Record) -> &dyn Stored {
    match record {
        Record::User(r) => r,
        Record::EmailClaim(r) => r,
        Record::Session(r) => r,
        Record::Token(r) => r,
        Record::Practice(r) => r,
        Record::Location(r) => r,
        Record::Membership(r) => r,
        Record::Audit(r) => r,
        Record::Outbox(r) => r,
        Record::Invitation(r) => r,
        Record::Slot(r) => r,
        Record::InvitationToken(r) => r,
        Record::Role(r) => r,
        Record::RoleName(r) => r,
        Record::Challenge(r) => r,
        Record::SupportGrant(r) => r,
        Record::SentMails(r) => r,
        Record::PracticeSettings(r) => r,
        Record::OnboardingMail(r) => r,
        Record::BulkAnswer(r) => r,
        Record::EmergencyAccess(r) => r,
        Record::EmergencyPointer(r) => r,
    }
}

/// The primary key the domain's `Key` names, spelled by its kind.
pub fn primary(key: &Key) -> Primary {
    match key {
        Key::User(id) => User::primary_key(*id),
        Key::EmailClaim(email_norm) => EmailClaim::primary_key(email_norm),
        Key::Session { user_id, token_hash } => Session::primary_key((*user_id, token_hash)),
        Key::Token(hash) => EmailToken::primary_key(hash),
        Key::Practice(id) => Practice::primary_key(*id),
        Key::Location(p, l) => Location::primary_key((*p, *l)),
        Key::Membership(p, u) => Membership::primary_key((*p, *u)),
        Key::Outbox(id) => OutboxItem::primary_key(*id),
        Key::Invitation(p, i) => Invitation::primary_key((*p, *i)),
        Key::Slot(p, email_norm) => EmailSlot::primary_key((*p, email_norm)),
        Key::InvitationToken(hash) => InvitationToken::primary_key(hash),
        Key::Role(p, r) => Role::primary_key((*p, r)),
        Key::RoleName(p, name_norm) => RoleName::primary_key((*p, name_norm)),
        Key::Challenge(hash) => MfaChallenge::primary_key(hash),
        Key::SupportGrant(p) => SupportGrant::primary_key(*p),
        Key::PracticeSettings(p) => PracticeSettings::primary_key(*p),
        Key::OnboardingMail(p, u, step) => OnboardingMail::primary_key((*p, *u, *step)),
        Key::LoginFailures(u) => LoginFailures::primary_key(*u),
        Key::BulkAnswer(p, u, key_hash, part) => BulkAnswer::primary_key((*p, *u, key_hash, *part)),
        Key::EmergencyAccess(p, id) => EmergencyAccess::primary_key((*p, *id)),
        Key::EmergencyPointer(p, u) => EmergencyPointer::primary_key((*p, *u)),
    }
}
