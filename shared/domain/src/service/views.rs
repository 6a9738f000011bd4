//! Resources as the API returns them (API.md, "Resources as returned").

use crate::ids::{InvitationId, LocationId, PracticeId, SessionId, UserId};
use crate::model::*;
use serde::Serialize;
use std::collections::BTreeMap;

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

/// One of the caller's sessions as `GET /me/sessions` lists it (R49): its
/// id, never its token or the token's hash.
#[derive(Debug, Clone, Serialize)]
pub struct SessionItemView {
    pub id: SessionId,
    pub created_at: Time,
    pub last_used_at: Time,
    pub user_agent: Option<String>,
    pub current: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct MemberView {
    pub user_id: UserId,
    pub practice_id: PracticeId,
    pub email: String,
    /// The practice's name for the member, for notes and signatures (R14).
    pub display_name: String,
    /// The practice's title for the member (R14), not the user's own.
    pub title: Option<String>,
    /// The user's own names (the identity's, R3).
    pub first_name: String,
    pub last_name: String,
    #[serde(flatten)]
    pub access: Access,
    pub permissions: Vec<String>,
    pub status: MemberStatus,
    pub locked: bool,
    pub joined_at: Time,
    pub deactivated_at: Option<Time>,
    pub version: u64,
}

impl MemberView {
    /// `custom` are custom roles of the practice (at least the member's).
    pub fn new(m: &Membership, u: &User, custom: &[Role]) -> Self {
        Self::with_permissions(m, u, m.permissions(custom))
    }

    /// With the member's `permissions` already computed.
    pub fn with_permissions(m: &Membership, u: &User, permissions: Vec<String>) -> Self {
        let name = m.name(u);
        Self {
            user_id: m.user_id,
            practice_id: m.practice_id,
            email: u.email.clone(),
            display_name: name.display_name,
            title: name.title,
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            access: m.access.clone(),
            permissions,
            status: m.status,
            locked: u.locked,
            joined_at: m.joined_at,
            deactivated_at: m.deactivated_at,
            version: m.version,
        }
    }
}

/// An invitation as the practice sees it; its status is as of now (R7).
#[derive(Debug, Clone, Serialize)]
pub struct InvitationView {
    pub id: InvitationId,
    pub practice_id: PracticeId,
    pub email: String,
    pub title: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    #[serde(flatten)]
    pub access: Access,
    pub status: InvitationStatus,
    /// Whether mail to the address bounced (issue 14).
    pub delivery: MailDelivery,
    pub invited_by: InvitedBy,
    pub created_at: Time,
    pub expires_at: Time,
    pub resend_count: u32,
    pub accepted_at: Option<Time>,
    pub revoked_at: Option<Time>,
    pub declined_at: Option<Time>,
}

impl InvitationView {
    /// `mark`: the address's undeliverable mark, if it has one.
    pub fn new(i: &Invitation, now: Time, mark: Option<&Undeliverable>) -> Self {
        let status = i.status_at(now);
        Self {
            id: i.id,
            practice_id: i.practice_id,
            email: i.email.clone(),
            title: i.title.clone(),
            first_name: i.first_name.clone(),
            last_name: i.last_name.clone(),
            access: i.access.clone(),
            status,
            delivery: MailDelivery::of(status == InvitationStatus::Pending, mark),
            invited_by: i.invited_by.clone(),
            created_at: i.created_at,
            expires_at: i.expires_at,
            resend_count: i.resend_count,
            accepted_at: i.accepted_at,
            revoked_at: i.revoked_at,
            declined_at: i.declined_at,
        }
    }
}

/// One of the caller's own invitations (R11), with the practice's name.
#[derive(Debug, Clone, Serialize)]
pub struct MyInvitationView {
    #[serde(flatten)]
    pub invitation: InvitationView,
    pub practice_name: String,
}

/// What the invitee sees of an invitation before deciding (R10).
#[derive(Debug, Clone, Serialize)]
pub struct PreviewView {
    pub practice_name: String,
    pub invited_by: InvitedBy,
    pub email: String,
    /// The name the practice typed (R11), for the invitee to confirm.
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub role_id: String,
    pub kind: Kind,
    pub expires_at: Time,
    pub account_exists: bool,
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
    /// R46: active practitioners holding each module, every module of the
    /// catalogue named.
    pub module_seats: BTreeMap<Module, i64>,
    pub created_at: Time,
    pub version: u64,
}

impl From<&Practice> for PracticeView {
    fn from(p: &Practice) -> Self {
        Self {
            id: p.id,
            name: p.name.clone(),
            seats: p.seats,
            module_seats: Module::ALL.into_iter().map(|m| (m, p.module_seats.get(m))).collect(),
            created_at: p.created_at,
            version: p.version,
        }
    }
}

/// A practice's settings (R43), with their own version for `If-Match`.
#[derive(Debug, Clone, Serialize)]
pub struct SettingsView {
    pub default_roles: DefaultRoles,
    pub onboarding_mails: bool,
    pub version: u64,
}

impl From<&PracticeSettings> for SettingsView {
    fn from(s: &PracticeSettings) -> Self {
        Self { default_roles: s.default_roles.clone(), onboarding_mails: s.onboarding_mails, version: s.version }
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
    /// A built-in this practice gave a permission set of its own (R23).
    pub customized: bool,
    pub permissions: Vec<String>,
    /// `None` for a built-in as the catalogue has it.
    pub version: Option<u64>,
}

impl From<&Role> for RoleView {
    fn from(r: &Role) -> Self {
        Self {
            id: r.id.clone(),
            name: r.name.clone(),
            built_in: false,
            customized: false,
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
