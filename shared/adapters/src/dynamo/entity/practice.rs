//! A practice and what lives in its partition: its settings, locations,
//! memberships, custom roles and their name claims, and the support grant.

use super::{Entity, IndexKey, Keyed, Placement, Primary};
use crate::dynamo::keys::{practice_pk, time_key, user_pk};
use crate::dynamo::shard::{Sharded, SparseIndex};
use roster_domain::ids::{LocationId, PracticeId, UserId};
use roster_domain::model::{Location, Membership, Module, Practice, PracticeSettings, Role, RoleName, SupportGrant};

pub const LOCATION_PREFIX: &str = "LOCATION#";
pub const MEMBER_PREFIX: &str = "MEMBER#";
pub const ROLE_PREFIX: &str = "ROLE#";
/// The GSI2 list of support grants by expiry, for the sweep (R34).
pub const DUE_SUPPORT_GRANTS: Sharded = Sharded::new(SparseIndex::Gsi2, "DUE#SUPPORT");

/// The practice item's module seat counter of `m` (R46): an attribute of
/// its own per module (see `ModuleSeats`, whose field names these are).
pub fn module_seats_attribute(m: Module) -> &'static str {
    match m {
        Module::Billing => "module_seats_billing",
        Module::Telehealth => "module_seats_telehealth",
        Module::Eprescribing => "module_seats_eprescribing",
        Module::PatientPortal => "module_seats_patient_portal",
        Module::Analytics => "module_seats_analytics",
    }
}

/// GSI2 partition of a practice's active directors (support-access mail).
pub fn directors_pk(id: PracticeId) -> String {
    format!("DIRECTORS#{id}")
}

fn member_sk(id: UserId) -> String {
    format!("{MEMBER_PREFIX}{id}")
}

impl Keyed for Practice {
    type KeyInput<'a> = PracticeId;
    fn primary_key(id: PracticeId) -> Primary {
        Primary::new(practice_pk(id), "PRACTICE")
    }
}

impl Entity for Practice {
    const TYPE: &'static str = "practice";
    const KEPT_BY_REPLACE: &'static [&'static str] = &[
        "seats",
        "directors",
        "active_locations",
        "module_seats_billing",
        "module_seats_telehealth",
        "module_seats_eprescribing",
        "module_seats_patient_portal",
        "module_seats_analytics",
        "built_in_roles",
        "built_in_roles_version",
        "security_policy",
        "security_policy_version",
    ];
    fn placement(&self) -> Placement {
        Placement::new(Self::primary_key(self.id))
    }
    fn version(&self) -> Option<u64> {
        Some(self.version)
    }
}

/// One per practice, beside it (R43): a practice's `Replace` never touches
/// this item, so a rename cannot overwrite settings saved meanwhile.
impl Keyed for PracticeSettings {
    type KeyInput<'a> = PracticeId;
    fn primary_key(id: PracticeId) -> Primary {
        Primary::new(practice_pk(id), "SETTINGS")
    }
}

impl Entity for PracticeSettings {
    const TYPE: &'static str = "practice_settings";
    const KEPT_BY_REPLACE: &'static [&'static str] = &[];
    fn placement(&self) -> Placement {
        Placement::new(Self::primary_key(self.practice_id))
    }
    fn version(&self) -> Option<u64> {
        Some(self.version)
    }
}

impl Keyed for Location {
    type KeyInput<'a> = (PracticeId, LocationId);
    fn primary_key((practice_id, id): (PracticeId, LocationId)) -> Primary {
        Primary::new(practice_pk(practice_id), format!("{LOCATION_PREFIX}{id}"))
    }
}

impl Entity for Location {
    const TYPE: &'static str = "location";
    const KEPT_BY_REPLACE: &'static [&'static str] = &[];
    fn placement(&self) -> Placement {
        Placement::new(Self::primary_key((self.practice_id, self.id)))
    }
    fn version(&self) -> Option<u64> {
        Some(self.version)
    }
}

impl Keyed for Membership {
    type KeyInput<'a> = (PracticeId, UserId);
    fn primary_key((practice_id, user_id): (PracticeId, UserId)) -> Primary {
        Primary::new(practice_pk(practice_id), member_sk(user_id))
    }
}

impl Entity for Membership {
    const TYPE: &'static str = "membership";
    // Kept in step with the user by `MirrorUser` alone.
    const KEPT_BY_REPLACE: &'static [&'static str] = &["search", "locked", "user_version"];
    fn placement(&self) -> Placement {
        let director = self.is_active() && self.access.is_director();
        Placement {
            // GSI1: a user's memberships across practices (GET /me, R3).
            gsi1: Some(IndexKey::new(user_pk(self.user_id), format!("{MEMBER_PREFIX}{}", self.practice_id))),
            // GSI2: the practice's active directors, whom support-access
            // mail goes to (R30); a Replace moves a member in or out.
            gsi2: director.then(|| IndexKey::new(directors_pk(self.practice_id), member_sk(self.user_id))),
            // Beside `search`, which `MirrorUser` keeps as the user's: the
            // practice's name and the user's never overwrite each other.
            display_search: self.name.as_ref().map(|n| n.display_name.to_lowercase()),
            ..Placement::new(Self::primary_key((self.practice_id, self.user_id)))
        }
    }
    fn version(&self) -> Option<u64> {
        Some(self.version)
    }
}

impl Keyed for Role {
    type KeyInput<'a> = (PracticeId, &'a str);
    fn primary_key((practice_id, id): (PracticeId, &str)) -> Primary {
        Primary::new(practice_pk(practice_id), format!("{ROLE_PREFIX}{id}"))
    }
}

impl Entity for Role {
    const TYPE: &'static str = "role";
    const KEPT_BY_REPLACE: &'static [&'static str] = &["holders"];
    fn placement(&self) -> Placement {
        Placement::new(Self::primary_key((self.practice_id, &self.id)))
    }
    fn version(&self) -> Option<u64> {
        Some(self.version)
    }
}

/// Role names are unique in a practice (R23): created with
/// `attribute_not_exists(PK)`.
impl Keyed for RoleName {
    type KeyInput<'a> = (PracticeId, &'a str);
    fn primary_key((practice_id, name_norm): (PracticeId, &str)) -> Primary {
        Primary::new(practice_pk(practice_id), format!("ROLENAME#{name_norm}"))
    }
}

impl Entity for RoleName {
    const TYPE: &'static str = "role_name";
    const KEPT_BY_REPLACE: &'static [&'static str] = &[];
    fn placement(&self) -> Placement {
        Placement::new(Self::primary_key((self.practice_id, &self.name_norm)))
    }
    fn version(&self) -> Option<u64> {
        None
    }
}

/// One per practice; granting again replaces it (R30).
impl Keyed for SupportGrant {
    type KeyInput<'a> = PracticeId;
    fn primary_key(practice_id: PracticeId) -> Primary {
        Primary::new(practice_pk(practice_id), "SUPPORT")
    }
}

impl Entity for SupportGrant {
    const TYPE: &'static str = "support_grant";
    const KEPT_BY_REPLACE: &'static [&'static str] = &[];
    fn placement(&self) -> Placement {
        let primary = Self::primary_key(self.practice_id);
        Placement {
            // GSI2: the sweep's due list (R34). The TTL leaves the sweep a
            // month to end the grant with its event before the item goes;
            // reads check the expiry themselves (R30, R35).
            gsi2: Some(DUE_SUPPORT_GRANTS.key(&primary, format!("{}#{}", time_key(self.expires_at), self.practice_id))),
            ttl: Some((self.expires_at + chrono::Duration::days(30)).timestamp()),
            ..Placement::new(primary)
        }
    }
    fn version(&self) -> Option<u64> {
        Some(self.version)
    }
}
