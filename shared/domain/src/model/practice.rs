//! A practice (R2, R20, R23, R30, R43): its counters, locations, custom
//! roles, settings and the support grant.

use super::license::ModuleSeats;
use super::record::InvitedBy;
use crate::clock::Time;
use crate::ids::{LocationId, PracticeId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seats {
    pub practitioner: i64,
    pub staff: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Practice {
    pub id: PracticeId,
    pub name: String,
    /// Counters change only through [`Write::AdjustCounters`](crate::ports::Write::AdjustCounters), never by a
    /// read-modify-write, so concurrent changes cannot lose an update.
    #[serde(default)]
    pub seats: Seats,
    #[serde(default)]
    pub directors: i64,
    #[serde(default)]
    pub active_locations: i64,
    /// Active practitioners holding each licensed module (R46), counted like
    /// `seats`. Flattened: see [`ModuleSeats`] for why each is an attribute
    /// of its own.
    #[serde(flatten)]
    pub module_seats: ModuleSeats,
    /// The practice's own permission sets for built-in roles (R23), by role
    /// id. On the practice item, which every request in the practice reads
    /// already, so holders see a change on their next request at no cost.
    /// Changed only by [`Write::SetBuiltInRoles`](crate::ports::Write::SetBuiltInRoles), under
    /// `built_in_roles_version`, never by a rename of the practice.
    #[serde(default)]
    pub built_in_roles: BTreeMap<String, RoleSet>,
    #[serde(default)]
    pub built_in_roles_version: u64,
    /// R48, R50. Changed only by [`Write::SetSecurityPolicy`](crate::ports::Write::SetSecurityPolicy), under
    /// `security_policy_version` (0: never saved, the defaults).
    #[serde(default)]
    pub security_policy: super::policy::SecurityPolicy,
    #[serde(default)]
    pub security_policy_version: u64,
    pub created_at: Time,
    pub version: u64,
}

/// A built-in role's permissions as a practice adjusted them (R23).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleSet {
    pub permissions: Vec<String>,
    /// The role's own version (its ETag, R18): 1 at the first adjustment.
    pub version: u64,
    pub updated_at: Time,
}

impl Practice {
    /// `stored` (custom roles of this practice) with the built-ins this
    /// practice adjusted, as roles: what a member's permissions are
    /// computed from (R1, R23). Only id and permissions count there; a
    /// built-in's name is the catalogue's, so the id stands in for it.
    pub fn roles_in_force(&self, mut stored: Vec<Role>) -> Vec<Role> {
        stored.extend(self.built_in_roles.iter().map(|(id, set)| Role {
            id: id.clone(),
            practice_id: self.id,
            name: id.clone(),
            permissions: set.permissions.clone(),
            holders: 0,
            created_at: self.created_at,
            updated_at: set.updated_at,
            version: set.version,
        }));
        stored
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub id: LocationId,
    pub practice_id: PracticeId,
    pub name: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    pub active: bool,
    pub created_at: Time,
    pub version: u64,
}

/// A practice's own role (built-in roles live in code and are read-only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    pub id: String,
    pub practice_id: PracticeId,
    pub name: String,
    pub permissions: Vec<String>,
    /// Active memberships plus pending invitations holding the role, plus
    /// one for each kind the practice's settings make it the default of
    /// (R23, R43).
    /// Changed only by [`Write::AdjustRoleHolders`](crate::ports::Write::AdjustRoleHolders); deleting the role is
    /// conditioned on it being zero.
    #[serde(default)]
    pub holders: i64,
    pub created_at: Time,
    pub updated_at: Time,
    pub version: u64,
}

/// The role an invitation gets when it names none, by kind (R43). Never
/// `director`: a default must never make anyone a director.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultRoles {
    pub practitioner: String,
    pub staff: String,
}

impl Default for DefaultRoles {
    /// The built-ins that fit each kind best: a practitioner treats, staff
    /// run the front desk. (Slugs of `permissions::built_in_roles`, which
    /// this module cannot name without an import circle; a test there
    /// keeps them built-ins.)
    fn default() -> Self {
        Self { practitioner: "clinician".into(), staff: "front_desk".into() }
    }
}

/// A practice's settings (R43). An item of their own beside the practice,
/// with their own version: a rename never makes a settings `If-Match`
/// stale, and no write of the practice can overwrite them. A practice that
/// never saved any has [`PracticeSettings::defaults`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PracticeSettings {
    pub practice_id: PracticeId,
    pub default_roles: DefaultRoles,
    /// R44: onboarding mails to whoever joins; checked when each is due.
    pub onboarding_mails: bool,
    pub version: u64,
}

impl PracticeSettings {
    /// What a practice has until its settings are first saved: version 1,
    /// so that saving them makes version 2 and a stale `If-Match` of 1
    /// fails like any other.
    pub fn defaults(practice_id: PracticeId) -> Self {
        Self { practice_id, default_roles: DefaultRoles::default(), onboarding_mails: true, version: 1 }
    }
}

/// Claims a role name within a practice (R23: names are unique), created
/// and deleted in the same transaction as the role's name changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleName {
    pub practice_id: PracticeId,
    pub name_norm: String,
    pub role_id: String,
}

pub fn role_name_norm(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// A director's consent for the vendor's support agents to read the
/// practice (R30). One per practice; granting again replaces it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupportGrant {
    pub practice_id: PracticeId,
    pub granted_by: InvitedBy,
    pub granted_at: Time,
    pub expires_at: Time,
    pub version: u64,
}

impl SupportGrant {
    /// Dead past its expiry whatever the sweep has done (R30, R35).
    pub fn active_at(&self, now: Time) -> bool {
        self.expires_at > now
    }
}

/// Signed changes to a practice's counters. The adapter applies them as one
/// atomic update whose condition keeps the floors: at least one director (R15)
/// and one active location, never a negative seat count (R20, R46).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CounterDelta {
    pub practitioner_seats: i64,
    pub staff_seats: i64,
    pub directors: i64,
    pub active_locations: i64,
    pub module_seats: ModuleSeats,
}

impl std::ops::Add for CounterDelta {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self {
            practitioner_seats: self.practitioner_seats + o.practitioner_seats,
            staff_seats: self.staff_seats + o.staff_seats,
            directors: self.directors + o.directors,
            active_locations: self.active_locations + o.active_locations,
            module_seats: self.module_seats + o.module_seats,
        }
    }
}

impl std::ops::Neg for CounterDelta {
    type Output = Self;
    fn neg(self) -> Self {
        Self {
            practitioner_seats: -self.practitioner_seats,
            staff_seats: -self.staff_seats,
            directors: -self.directors,
            active_locations: -self.active_locations,
            module_seats: -self.module_seats,
        }
    }
}
