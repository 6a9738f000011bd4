//! Changing and reading a practice's members (R14..R22): [`change`] their
//! access and details, [`status`] for deactivation, reactivation and
//! leaving, [`read`] for the list and one member. Each change is one
//! transaction whose conditions hold the version (R18), the director floor
//! (R15), the seat counts (R20) and the role holder counts (R23).

mod bulk;
pub mod change;
pub mod read;
pub mod status;

use crate::error::DomainError;
use crate::ids::{LocationId, PracticeId, UserId};
use crate::model::*;
use crate::permissions::{is_custom_role, stored_role_id};
use crate::ports::{App, MemberKeys, MembersBundle, Record, Tx};
use crate::service::context::MemberCtx;
use crate::service::writes::audit_event;
use serde::Serialize;
use serde_json::Value;

/// What a membership grants, as audited and published (before and after):
/// its access, what that lets it do, and its status.
#[derive(Serialize)]
struct AccessAudit<'a> {
    #[serde(flatten)]
    access: &'a Access,
    permissions: Vec<String>,
    status: MemberStatus,
}

fn access_audit(m: &Membership, custom: &[Role]) -> Value {
    crate::service::writes::to_value(&AccessAudit {
        access: &m.access,
        permissions: m.permissions(custom),
        status: m.status,
    })
}

fn member_audit(ctx: &MemberCtx, now: Time, action: &str, uid: UserId, before: Value, after: Value) -> Record {
    audit_event(
        AuditScope::Practice(ctx.practice.id),
        now,
        ctx.actor(),
        action,
        Target::new("user", uid),
        before,
        after,
    )
}

/// The member being acted on, with their user, read with what the request
/// names by key in one round trip (issue 15 item 4): `roles` are those in
/// force for the member's access and the role named, `locations` the
/// locations named. A member of no practice of the caller's is simply not
/// found (R2).
pub(crate) struct Acted {
    pub member: Membership,
    pub user: User,
    pub roles: Vec<Role>,
    pub locations: Vec<Location>,
}

pub(crate) async fn target(
    app: &App,
    ctx: &MemberCtx,
    uid: UserId,
    named_role: Option<&str>,
    locations: &[LocationId],
) -> Result<Acted, DomainError> {
    let named: Vec<&str> = named_role.and_then(stored_role_id).into_iter().collect();
    let keys = MemberKeys { practice: ctx.practice.id, users: &[uid], roles: &named, locations };
    let MembersBundle { mut memberships, mut users, roles, locations } = app.store.members_bundle(keys).await?;
    let (Some(member), Some(user)) = (memberships.pop(), users.pop()) else { return Err(DomainError::NotFound) };
    let roles = held_roles(app, ctx, roles, std::slice::from_ref(&member)).await?;
    Ok(Acted { member, user, roles, locations })
}

/// The roles in force for the access of `members`: those already `read`,
/// and the custom roles they hold besides, whose ids are known only once
/// the memberships are, in one more read when there are any.
async fn held_roles(
    app: &App,
    ctx: &MemberCtx,
    mut read: Vec<Role>,
    members: &[Membership],
) -> Result<Vec<Role>, DomainError> {
    let mut missing: Vec<(PracticeId, String)> = Vec::new();
    for id in members.iter().map(|m| m.access.role_id.as_str()).filter(|id| is_custom_role(id)) {
        if !read.iter().any(|r| r.id == id) && !missing.iter().any(|(_, r)| r == id) {
            missing.push((ctx.practice.id, id.to_string()));
        }
    }
    if !missing.is_empty() {
        read.extend(app.store.practices_and_roles(&[], &missing).await?.1);
    }
    Ok(ctx.practice.roles_in_force(read))
}

/// Only a director changes, deactivates or reactivates a director.
fn ensure_may_touch(ctx: &MemberCtx, m: &Membership) -> Result<(), DomainError> {
    if m.access.is_director() && !ctx.is_director() {
        return Err(DomainError::Forbidden);
    }
    Ok(())
}

/// The acting member must still hold their access when the change commits;
/// acting on oneself is already conditioned on that same item's version.
fn authorized(tx: &mut Tx, ctx: &MemberCtx, uid: UserId) -> Result<(), DomainError> {
    if uid != ctx.caller.user.id {
        tx.guarded(ctx.still_authorized()?, DomainError::Forbidden);
    }
    Ok(())
}

/// Run `op` again on a fresh read when a concurrent change made its read
/// stale, if the caller did not pin a version: without `If-Match` they asked
/// for the change on whatever is current, and a 412 would tell them nothing.
async fn on_fresh_reads<T, F, Fut>(retry: bool, mut op: F) -> Result<T, DomainError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, DomainError>>,
{
    let mut attempts = 0;
    loop {
        match op().await {
            Err(DomainError::PreconditionFailed) if retry && attempts < 3 => attempts += 1,
            other => return other,
        }
    }
}
