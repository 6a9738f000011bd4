//! Who is acting: a signed-in [`Caller`], and inside a practice a
//! [`MemberCtx`] with the permissions the request is authorized with (R1),
//! and the grant rule every change that hands out access obeys.

use crate::error::DomainError;
use crate::ids::{EmergencyAccessId, UserId};
use crate::model::*;
use crate::permissions::{is_custom_role, is_restrictive, module_of, EMERGENCY_ACCESS_USE};
use crate::ports::{App, Write};
use std::collections::BTreeSet;

/// A signed-in user, as established from a live session.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub session: Session,
}

impl Caller {
    /// For what only the owner of the address may do: enroll a second
    /// factor (R40), send invitations (R41). Whoever signs up first with an
    /// address holds the account until the mailbox proves otherwise.
    pub fn ensure_verified(&self) -> Result<(), DomainError> {
        match self.user.email_verified {
            true => Ok(()),
            false => Err(DomainError::EmailUnverified),
        }
    }
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
    /// The permissions the caller holds in their own right: `permissions`
    /// before an emergency set is added (R50). Every R36 check ("nobody
    /// grants more than they hold") reads these, so a borrowed key allows
    /// the action but is never handed on.
    pub held: Vec<String>,
    /// The member's emergency access pointer as stored (R50), open or run
    /// out: opening another replaces a run-out one at its version.
    pub emergency: Option<EmergencyPointer>,
    /// Whether it was open when the request began, so `permissions`
    /// include its set and every audit event of the request names it.
    pub emergency_open: bool,
}

/// The caller's context in a practice: their permissions come from their
/// role as stored now, so a change of role or overrides applies to the very
/// next request (R1). A custom role costs one more read. An emergency
/// access open now (R50, checked here, whatever the sweep has done) adds
/// its set, across all locations, while the member still holds
/// `emergency_access.use` and the policy is on: it came with the session,
/// at no read.
pub async fn member_ctx(
    app: &App,
    caller: Caller,
    practice: Practice,
    membership: Membership,
    emergency: Option<EmergencyPointer>,
) -> Result<MemberCtx, DomainError> {
    let custom = custom_role_of(app, &practice, &membership.access.role_id).await?;
    let held = membership.permissions(&custom);
    let emergency = emergency.filter(|e| e.practice_id == practice.id && e.user_id == membership.user_id);
    // A use counts only while the member still holds the key that opened it
    // and the policy is still on: revoking either ends its effect at once.
    let usable = held.iter().any(|k| k == EMERGENCY_ACCESS_USE) && practice.security_policy.emergency_access.enabled;
    let emergency_open = usable && emergency.as_ref().is_some_and(|e| e.open_at(app.now()));
    let mut permissions = held.clone();
    if let Some(e) = emergency.as_ref().filter(|_| emergency_open) {
        // Added after R1's rules: the member's restrictive keys stay, and
        // billing keys reach only who has billing access.
        let billing = membership.access.access_billing;
        let lent = e.permissions.iter().filter(|k| billing || module_of(k) != Some("billing"));
        let all: BTreeSet<String> = held.iter().chain(lent).cloned().collect();
        permissions = all.into_iter().collect();
    }
    Ok(MemberCtx { caller, practice, membership: Some(membership), permissions, held, emergency, emergency_open })
}

/// The roles in force for computing the permissions of a membership or
/// invitation holding `role_id` in `practice`: its custom role, if it is
/// one and still exists, and the built-ins the practice adjusted (R23).
pub async fn custom_role_of(app: &App, practice: &Practice, role_id: &str) -> Result<Vec<Role>, DomainError> {
    let stored = if is_custom_role(role_id) {
        app.store.role(practice.id, role_id).await?.into_iter().collect()
    } else {
        Vec::new()
    };
    Ok(practice.roles_in_force(stored))
}

impl MemberCtx {
    /// Every role in force in the practice: its custom roles and the
    /// built-ins it adjusted (R23), for permissions computed in a use case.
    pub async fn roles(&self, app: &App) -> Result<Vec<Role>, DomainError> {
        Ok(self.practice.roles_in_force(app.store.roles(self.practice.id).await?))
    }

    pub fn can(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }
    /// Whether the caller holds `permission` in their own right, not only
    /// borrowed under emergency access: what R36 measures a grant against.
    pub fn holds(&self, permission: &str) -> bool {
        self.held.iter().any(|p| p == permission)
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
    /// The emergency access this request runs under, if any (R50).
    pub fn emergency_id(&self) -> Option<EmergencyAccessId> {
        self.emergency.as_ref().filter(|_| self.emergency_open).map(|e| e.access_id)
    }
    pub fn is_support(&self) -> bool {
        self.membership.is_none()
    }
    /// The caller's own membership: every change is made by a member.
    pub fn member(&self) -> Result<&Membership, DomainError> {
        self.membership.as_ref().ok_or(DomainError::SupportReadOnly)
    }
    pub fn actor(&self) -> Actor {
        Actor { support: self.is_support(), emergency_access_id: self.emergency_id(), ..Actor::user(&self.caller.user) }
    }
    pub fn is_director(&self) -> bool {
        self.membership.as_ref().is_some_and(|m| m.access.is_director())
    }

    /// R36 for a role: a non-director never changes the role they hold
    /// themselves, which would be changing their own access (a key held
    /// only by an override would outlive the override in the role).
    pub fn ensure_not_own_role(&self, role_id: &str) -> Result<(), DomainError> {
        match &self.membership {
            Some(m) if !self.is_director() && m.access.role_id == role_id => Err(DomainError::Forbidden),
            _ => Ok(()),
        }
    }
    /// R36, nobody grants more than they hold: the one check every change
    /// that makes or changes an access passes (invite, access change,
    /// reactivation). `member` is whose access it is (`None` for an
    /// invitation), `before` what they hold now (`None` when the access is
    /// new to them: an invitation, or a snapshot being restored). A director
    /// may do anything; anyone else may not touch their own access, make a
    /// director, add a key they lack, remove a restrictive key, reach past
    /// their own restrictions or locations, clear `mfa_required`, or add a
    /// licensed module they do not hold themselves (R46: a module is a
    /// grant like a key; taking one away is not).
    pub fn ensure_may_grant(
        &self,
        member: Option<UserId>,
        before: Option<&Access>,
        after: &Access,
        custom: &[Role],
    ) -> Result<(), DomainError> {
        if self.is_director() {
            return Ok(());
        }
        let actor = self.member()?;
        let own = member == Some(actor.user_id);
        let cleared_mfa = before.is_some_and(|b| b.mfa_required) && !after.mfa_required;
        let before_scope = before.map_or(LocationAccess::Only(Vec::new()), |b| b.location_access.clone());
        let widened = !within(&after.location_access, &before_scope);
        // Billing ticked back on grants nothing while the role holds no
        // billing key, and every billing key the day a director changes the
        // role: only who has billing access may tick it.
        let billing_on = before.is_some_and(|b| !b.access_billing)
            && after.access_billing
            && !self.held.iter().any(|k| module_of(k) == Some("billing"));
        let lacked_module = after.modules_added(before).iter().any(|m| !actor.access.modules.contains(m));
        if own
            || after.is_director()
            || cleared_mfa
            || billing_on
            || lacked_module
            || (widened && !within(&after.location_access, &actor.access.location_access))
        {
            return Err(DomainError::Forbidden);
        }
        self.ensure_may_set_overrides(before.map(|b| &b.overrides), &after.overrides)?;
        let held_before = before.map(|b| b.permissions(true, custom)).unwrap_or_default();
        self.ensure_may_set_keys(&held_before, &after.permissions(true, custom))
    }

    /// R36 for the override lists as stored, not only for what they grant
    /// today: a stored grant of a key nobody checked would take effect the
    /// day a director turns billing on or changes the role. So a key newly
    /// granted, or no longer revoked, must be one the actor holds, and a
    /// restrictive key is never newly revoked nor dropped from the grants.
    fn ensure_may_set_overrides(&self, before: Option<&Overrides>, after: &Overrides) -> Result<(), DomainError> {
        let empty = Overrides::default();
        let before = before.unwrap_or(&empty);
        let newly = |list: &[String], old: &[String]| -> Vec<String> {
            list.iter().filter(|k| !old.contains(k)).cloned().collect()
        };
        let granted = newly(&after.grant, &before.grant);
        let unrevoked = newly(&before.revoke, &after.revoke);
        let widening = granted.iter().chain(&unrevoked).any(|k| !is_restrictive(k) && !self.holds(k));
        let revoked_restriction = newly(&after.revoke, &before.revoke).iter().any(|k| is_restrictive(k));
        let dropped_restriction = newly(&before.grant, &after.grant).iter().any(|k| is_restrictive(k));
        if widening || revoked_restriction || dropped_restriction {
            return Err(DomainError::Forbidden);
        }
        Ok(())
    }

    /// R36 for a set of permission keys changing from `before` to `after`
    /// (a member's, or a custom role's, which every holder then has): no key
    /// the actor lacks is added, no restrictive key is removed, and where an
    /// added key reaches a module the actor is restricted in, the restriction
    /// comes with it.
    pub fn ensure_may_set_keys(&self, before: &[String], after: &[String]) -> Result<(), DomainError> {
        if self.is_director() {
            return Ok(());
        }
        let added: Vec<&String> = after.iter().filter(|k| !before.contains(k)).collect();
        let lacked = added.iter().any(|k| !self.holds(k));
        let removed_restriction = before.iter().any(|k| is_restrictive(k) && !after.contains(k));
        let unrestricted = self
            .held
            .iter()
            .filter(|r| is_restrictive(r) && !after.contains(r))
            .any(|r| added.iter().any(|k| module_of(k).is_some() && module_of(k) == module_of(r)));
        if lacked || removed_restriction || unrestricted {
            return Err(DomainError::Forbidden);
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

/// Whether every location `a` reaches, `b` reaches too.
fn within(a: &LocationAccess, b: &LocationAccess) -> bool {
    match (a, b) {
        (_, LocationAccess::All) => true,
        (LocationAccess::All, LocationAccess::Only(_)) => false,
        (LocationAccess::Only(x), LocationAccess::Only(y)) => x.iter().all(|id| y.contains(id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::LocationId;

    // R36: a location scope is widened when it reaches a location the
    // other does not.
    #[test]
    fn one_scope_within_another() {
        let (a, b) = (LocationId::new(), LocationId::new());
        let only = |ids: &[LocationId]| LocationAccess::Only(ids.to_vec());
        assert!(within(&only(&[a]), &LocationAccess::All));
        assert!(within(&LocationAccess::All, &LocationAccess::All));
        assert!(!within(&LocationAccess::All, &only(&[a, b])));
        assert!(within(&only(&[a]), &only(&[a, b])));
        assert!(!within(&only(&[a, b]), &only(&[a])));
        assert!(within(&only(&[]), &only(&[])));
    }
}
