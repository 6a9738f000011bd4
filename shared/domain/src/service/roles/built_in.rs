//! Built-in roles adjusted per practice (R23): a practice may give any
//! built-in but `director` a permission set of its own, and reset it to the
//! catalogue's. The sets live on the practice item (see
//! `Practice::built_in_roles`), so every holder's next request sees them.

use super::rules::{check_permissions, role_audit};
use crate::error::DomainError;
use crate::model::*;
use crate::permissions::{self, BuiltInRole, DIRECTOR};
use crate::ports::{App, Tx, Write};
use crate::service::context::MemberCtx;
use crate::service::views::RoleView;
use crate::service::writes::{commit, outbox_event, to_value};
use crate::validate::Errors;
use serde_json::json;

/// How often a change re-reads the practice after another built-in of the
/// same practice changed first (they share one version).
const ATTEMPTS: usize = 3;

fn catalogue_keys(r: &BuiltInRole) -> Vec<String> {
    r.permissions.iter().map(|k| k.to_string()).collect()
}

/// A built-in role as `practice` has it.
pub fn view(r: &BuiltInRole, practice: &Practice) -> RoleView {
    let own = practice.built_in_roles.get(r.id).filter(|_| r.id != DIRECTOR);
    RoleView {
        id: r.id.to_string(),
        name: r.name.to_string(),
        built_in: true,
        customized: own.is_some(),
        permissions: own.map_or_else(|| catalogue_keys(r), |s| s.permissions.clone()),
        version: own.map(|s| s.version),
    }
}

/// The built-in role `id` that a practice may adjust: 403 for `director`,
/// which is read-only, `None` for an id that names no built-in.
pub fn adjustable(id: &str) -> Result<Option<BuiltInRole>, DomainError> {
    match permissions::built_in_role(id) {
        Some(r) if r.id == DIRECTOR => Err(DomainError::Forbidden),
        other => Ok(other),
    }
}

/// `PATCH …/roles/{built-in}` (practice.settings): its permissions only;
/// the name and id are the catalogue's (422 for another name).
pub async fn update(
    app: &App,
    ctx: &MemberCtx,
    role: &BuiltInRole,
    name: Option<&str>,
    permissions: Option<&[String]>,
    if_match: Option<u64>,
) -> Result<RoleView, DomainError> {
    let mut e = Errors::new();
    if name.is_some_and(|n| n.split_whitespace().collect::<Vec<_>>().join(" ") != role.name) {
        e.add("name", "a built-in role keeps its name");
    }
    let wanted = permissions.map(|p| check_permissions(&mut e, p));
    e.finish()?;
    adjust(app, ctx, role, wanted, if_match, "role.updated", EventType::RoleUpdated).await
}

/// `POST …/roles/{built-in}/reset` (practice.settings): the catalogue's set.
pub async fn reset(app: &App, ctx: &MemberCtx, role: &BuiltInRole) -> Result<RoleView, DomainError> {
    adjust(app, ctx, role, Some(catalogue_keys(role)), None, "role.reset", EventType::RoleReset).await
}

/// Give `role` the set `wanted` (`None`: keep the one in force) in this
/// practice; a set equal to the catalogue's is no adjustment. R36 holds:
/// nobody adds a key they lack or removes a restriction.
async fn adjust(
    app: &App,
    ctx: &MemberCtx,
    role: &BuiltInRole,
    wanted: Option<Vec<String>>,
    if_match: Option<u64>,
    action: &str,
    event: EventType,
) -> Result<RoleView, DomainError> {
    let pid = ctx.practice.id;
    let mut practice = ctx.practice.clone();
    for attempt in 1..=ATTEMPTS {
        let before = view(role, &practice);
        if if_match.is_some_and(|v| Some(v) != before.version && !(v == 0 && before.version.is_none())) {
            return Err(DomainError::PreconditionFailed);
        }
        let after_keys = wanted.clone().unwrap_or_else(|| before.permissions.clone());
        ctx.ensure_may_set_keys(&before.permissions, &after_keys)?;
        if after_keys == before.permissions {
            return Ok(before);
        }
        let now = app.now();
        let mut sets = practice.built_in_roles.clone();
        if after_keys == catalogue_keys(role) {
            sets.remove(role.id);
        } else {
            // The practice's map version only ever grows, so a role's version
            // never repeats, not even after a reset (R18: an old If-Match
            // must not match again).
            let version = practice.built_in_roles_version + 1;
            sets.insert(role.id.to_string(), RoleSet { permissions: after_keys, version, updated_at: now });
        }
        let after = view(role, &Practice { built_in_roles: sets.clone(), ..practice.clone() });
        let mut tx = Tx::new();
        tx.guarded(
            Write::SetBuiltInRoles { practice_id: pid, sets, expected_version: practice.built_in_roles_version },
            DomainError::PreconditionFailed,
        )
        .guarded(ctx.still_authorized()?, DomainError::Forbidden)
        .push(Write::Create(role_audit(ctx, now, action, role.id, to_value(&before), to_value(&after))))
        .push(Write::Create(outbox_event(
            now,
            event,
            json!({"practice_id": pid, "role_id": role.id, "permissions": after.permissions, "customized": after.customized}),
        )));
        match commit(app, tx).await {
            // Another built-in of this practice changed first: read again.
            Err(DomainError::PreconditionFailed) if attempt < ATTEMPTS => {
                practice = app.store.practice(pid).await?.ok_or(DomainError::NotFound)?;
            }
            other => return other.map(|()| after),
        }
    }
    Err(DomainError::PreconditionFailed)
}
