//! Who is acting: a signed-in [`Caller`], and inside a practice a
//! [`MemberCtx`] with the permissions the request is authorized with (R1),
//! and the grant rule every change that hands out access obeys.

use crate::error::DomainError;
use crate::ids::PracticeId;
use crate::model::*;
use crate::permissions::{is_custom_role, DIRECTOR};
use crate::ports::{App, Write};

/// A signed-in user, as established from a live session.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub session: Session,
}

/// A caller acting inside one practice: an active member of it, or a
/// support agent while the practice's grant is active (R30).
#[derive(Debug, Clone)]
pub struct MemberCtx {
    pub caller: Caller,
    pub practice: Practice,
    /// `None` for a support agent, who is no member.
    pub membership: Option<Membership>,
    /// Effective permissions (R1), computed once per request; a support
    /// agent's are the read-only few of
    /// [`AGENT_PERMISSIONS`](super::support::AGENT_PERMISSIONS).
    pub permissions: Vec<String>,
}

/// The caller's context in a practice: their permissions come from their
/// role as stored now, so a change of role or overrides applies to the very
/// next request (R1). A custom role costs one more read.
pub async fn member_ctx(
    app: &App,
    caller: Caller,
    practice: Practice,
    membership: Membership,
) -> Result<MemberCtx, DomainError> {
    let custom = custom_role_of(app, practice.id, &membership.access.role_id).await?;
    let permissions = membership.permissions(&custom);
    Ok(MemberCtx { caller, practice, membership: Some(membership), permissions })
}

/// The custom role a membership or invitation names, if it is one and
/// still exists, for computing its permissions.
pub async fn custom_role_of(app: &App, practice: PracticeId, role_id: &str) -> Result<Vec<Role>, DomainError> {
    if !is_custom_role(role_id) {
        return Ok(Vec::new());
    }
    Ok(app.store.role(practice, role_id).await?.into_iter().collect())
}

impl MemberCtx {
    pub fn can(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }
    /// A support agent lacking a permission is refused as read-only (R31),
    /// anyone else as forbidden.
    pub fn require(&self, permission: &str) -> Result<(), DomainError> {
        match (self.can(permission), self.is_support()) {
            (true, _) => Ok(()),
            (false, true) => Err(DomainError::SupportReadOnly),
            (false, false) => Err(DomainError::Forbidden),
        }
    }
    pub fn is_support(&self) -> bool {
        self.membership.is_none()
    }
    /// The caller's own membership: every change is made by a member.
    pub fn member(&self) -> Result<&Membership, DomainError> {
        self.membership.as_ref().ok_or(DomainError::SupportReadOnly)
    }
    pub fn actor(&self) -> Actor {
        Actor { support: self.is_support(), ..Actor::user(&self.caller.user) }
    }
    pub fn is_director(&self) -> bool {
        self.membership.as_ref().is_some_and(|m| m.access.is_director())
    }
    /// Nobody hands out more than they hold: a change may add to a member
    /// only permissions the acting member has, and only a director makes or
    /// changes a director. (DOMAIN.md is silent; without this, `users.manage`
    /// alone could invite a second account of one's own with every key.)
    pub fn ensure_may_grant(&self, role_after: &str, before: &[String], after: &[String]) -> Result<(), DomainError> {
        if self.is_director() {
            return Ok(());
        }
        if role_after == DIRECTOR {
            return Err(DomainError::Forbidden);
        }
        let added = after.iter().filter(|k| !before.contains(k));
        for key in added {
            if !self.can(key) {
                return Err(DomainError::Forbidden);
            }
        }
        Ok(())
    }
    /// The condition that the acting member still holds the access this
    /// request was authorized with, for the transaction that acts on it.
    pub fn still_authorized(&self) -> Result<Write, DomainError> {
        Ok(Write::CheckMember {
            practice_id: self.practice.id,
            user_id: self.caller.user.id,
            version: self.member()?.version,
        })
    }
}
