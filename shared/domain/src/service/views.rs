//! Resources as the API returns them (API.md, "Resources as returned").

use crate::ids::{LocationId, PracticeId, UserId};
use crate::model::*;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    pub id: UserId,
    pub email: String,
    pub title: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub email_verified: bool,
    pub mfa_enabled: bool,
    pub must_change_password: bool,
    pub locked: bool,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id,
            email: u.email.clone(),
            title: u.title.clone(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            email_verified: u.email_verified,
            mfa_enabled: u.mfa_enabled,
            must_change_password: u.must_change_password,
            locked: u.locked,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    pub token: String,
    pub expires_at: Time,
}

#[derive(Debug, Clone, Serialize)]
pub struct MemberView {
    pub user_id: UserId,
    pub practice_id: PracticeId,
    pub email: String,
    pub title: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub kind: Kind,
    pub role_id: String,
    pub permissions: Vec<String>,
    pub overrides: Overrides,
    pub access_billing: bool,
    pub show_on_calendar: bool,
    pub primary_location_id: LocationId,
    pub location_access: LocationAccess,
    pub mfa_required: bool,
    pub status: MemberStatus,
    pub locked: bool,
    pub practitioner: Option<PractitionerProfile>,
    pub joined_at: Time,
    pub deactivated_at: Option<Time>,
    pub version: u64,
}

impl MemberView {
    /// `custom` are custom roles of the practice (at least the member's).
    pub fn new(m: &Membership, u: &User, custom: &[Role]) -> Self {
        Self {
            user_id: m.user_id,
            practice_id: m.practice_id,
            email: u.email.clone(),
            title: u.title.clone(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            kind: m.kind,
            role_id: m.role_id.clone(),
            permissions: super::permissions_of(m, custom),
            overrides: m.overrides.clone(),
            access_billing: m.access_billing,
            show_on_calendar: m.show_on_calendar,
            primary_location_id: m.primary_location_id,
            location_access: m.location_access.clone(),
            mfa_required: m.mfa_required,
            status: m.status,
            locked: u.locked,
            practitioner: m.practitioner.clone(),
            joined_at: m.joined_at,
            deactivated_at: m.deactivated_at,
            version: m.version,
        }
    }
}

/// A member of `GET /me`: the membership plus the practice's name.
#[derive(Debug, Clone, Serialize)]
pub struct MyMembershipView {
    #[serde(flatten)]
    pub member: MemberView,
    pub practice_name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MeView {
    pub user: UserView,
    pub memberships: Vec<MyMembershipView>,
    pub pending_invitations: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct PracticeView {
    pub id: PracticeId,
    pub name: String,
    pub seats: Seats,
    pub created_at: Time,
    pub version: u64,
}

impl From<&Practice> for PracticeView {
    fn from(p: &Practice) -> Self {
        Self { id: p.id, name: p.name.clone(), seats: p.seats, created_at: p.created_at, version: p.version }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LocationView {
    pub id: LocationId,
    pub name: String,
    pub address: Option<String>,
    pub time_zone: Option<String>,
    pub active: bool,
    pub version: u64,
}

impl From<&Location> for LocationView {
    fn from(l: &Location) -> Self {
        Self {
            id: l.id,
            name: l.name.clone(),
            address: l.address.clone(),
            time_zone: l.time_zone.clone(),
            active: l.active,
            version: l.version,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RoleView {
    pub id: String,
    pub name: String,
    pub built_in: bool,
    pub permissions: Vec<String>,
    /// `None` for the read-only built-ins.
    pub version: Option<u64>,
}

impl From<&Role> for RoleView {
    fn from(r: &Role) -> Self {
        Self {
            id: r.id.clone(),
            name: r.name.clone(),
            built_in: false,
            permissions: r.permissions.clone(),
            version: Some(r.version),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ListView<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// An audit event as `GET /practices/{pid}/audit` returns it (R32).
#[derive(Debug, Clone, Serialize)]
pub struct AuditView {
    pub id: crate::ids::EventId,
    pub at: Time,
    pub actor: Actor,
    pub action: String,
    pub target: Target,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

impl From<&AuditEvent> for AuditView {
    fn from(a: &AuditEvent) -> Self {
        Self {
            id: a.id,
            at: a.at,
            actor: a.actor.clone(),
            action: a.action.clone(),
            target: a.target.clone(),
            before: a.before.clone(),
            after: a.after.clone(),
        }
    }
}
