//! Roles: the built-ins, which a practice may adjust (all but `director`),
//! and a practice's custom roles (R1, R23).

pub mod built_in;
mod rules;

use rules::{check_permissions, role_audit};

use super::context::MemberCtx;
use super::views::{ListView, RoleView};
use super::writes::{commit, outbox_event, to_value};
use crate::error::DomainError;
use crate::model::*;
use crate::permissions::is_custom_role;
use crate::permissions::{self, PRACTICE_SETTINGS};
use crate::ports::{App, Key, Record, Tx, Write};
use crate::validate::Errors;
use serde::Deserialize;
use serde_json::json;

pub const ROLE_NAME_MAX: usize = 60;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    pub name: Option<String>,
    pub permissions: Option<Vec<String>>,
}

/// `GET /practices/{pid}/roles`: the built-ins, then the practice's own by name.
pub async fn list_roles(app: &App, ctx: &MemberCtx) -> Result<ListView<RoleView>, DomainError> {
    let mut custom = app.store.roles(ctx.practice.id).await?;
    custom.sort_by_key(|r| r.name.to_lowercase());
    let items = permissions::built_in_roles()
        .iter()
        .map(|r| built_in::view(r, &ctx.practice))
        .chain(custom.iter().map(RoleView::from))
        .collect();
    Ok(ListView { items, next_cursor: None })
}

fn check_name(e: &mut Errors, name: Option<&str>) -> String {
    let name = e.required_name("name", name, ROLE_NAME_MAX);
    let norm = role_name_norm(&name);
    // Built-in names are taken in every practice, so no role is ambiguous.
    if permissions::built_in_roles().iter().any(|r| role_name_norm(r.name) == norm || r.id == norm) {
        e.add("name", "is the name of a built-in role");
    }
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn name_taken() -> DomainError {
    DomainError::field("name", "is already the name of another role in this practice")
}

/// `POST /practices/{pid}/roles` (practice.settings). The name is claimed by
/// its own item in the same transaction, so two roles never share a name.
pub async fn create_role(app: &App, ctx: &MemberCtx, input: RoleInput) -> Result<RoleView, DomainError> {
    ctx.require(PRACTICE_SETTINGS)?;
    let mut e = Errors::new();
    let name = check_name(&mut e, input.name.as_deref());
    let perms = match &input.permissions {
        Some(p) => check_permissions(&mut e, p),
        None => {
            e.add("permissions", "is required");
            Vec::new()
        }
    };
    e.finish()?;
    ctx.ensure_may_set_keys(&[], &perms)?;
    let now = app.now();
    let role = Role {
        id: uuid::Uuid::now_v7().to_string(),
        practice_id: ctx.practice.id,
        name,
        permissions: perms,
        holders: 0,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let view = RoleView::from(&role);
    let mut tx = Tx::new();
    tx.guarded(
        Write::Create(Record::RoleName(RoleName {
            practice_id: role.practice_id,
            name_norm: role_name_norm(&role.name),
            role_id: role.id.clone(),
        })),
        name_taken(),
    )
    .guarded(ctx.still_authorized()?, DomainError::Forbidden)
    .push(Write::Create(role_audit(ctx, now, "role.created", &role.id, json!(null), to_value(&view))))
    .push(Write::Create(outbox_event(
        now,
        EventType::RoleCreated,
        json!({"practice_id": role.practice_id, "role_id": role.id, "name": role.name, "permissions": role.permissions}),
    )))
    .push(Write::Create(Record::Role(role)));
    commit(app, tx).await?;
    Ok(view)
}

/// A custom role of this practice; a built-in id is read-only (403).
async fn custom_role(app: &App, ctx: &MemberCtx, id: &str) -> Result<Role, DomainError> {
    if !is_custom_role(id) {
        return Err(DomainError::Forbidden);
    }
    // Custom role ids are UUIDs; anything else names nothing (and could be
    // longer than a key may be).
    if id.parse::<uuid::Uuid>().is_err() {
        return Err(DomainError::NotFound);
    }
    app.store.role(ctx.practice.id, id).await?.ok_or(DomainError::NotFound)
}

/// `PATCH /practices/{pid}/roles/{rid}` (practice.settings, R18). New
/// permissions apply to every holder's next request.
pub async fn update_role(
    app: &App,
    ctx: &MemberCtx,
    id: &str,
    input: RoleInput,
    if_match: Option<u64>,
) -> Result<RoleView, DomainError> {
    ctx.require(PRACTICE_SETTINGS)?;
    ctx.ensure_not_own_role(id)?;
    if let Some(r) = built_in::adjustable(id)? {
        return built_in::update(app, ctx, &r, input.name.as_deref(), input.permissions.as_deref(), if_match).await;
    }
    let before = custom_role(app, ctx, id).await?;
    let mut e = Errors::new();
    let mut after = before.clone();
    if input.name.is_some() {
        after.name = check_name(&mut e, input.name.as_deref());
    }
    if let Some(p) = &input.permissions {
        after.permissions = check_permissions(&mut e, p);
    }
    e.finish()?;
    let expected = if_match.unwrap_or(before.version);
    if expected != before.version {
        return Err(DomainError::PreconditionFailed);
    }
    ctx.ensure_may_set_keys(&before.permissions, &after.permissions)?;
    if (&after.name, &after.permissions) == (&before.name, &before.permissions) {
        return Ok(RoleView::from(&before));
    }
    let now = app.now();
    after.updated_at = now;
    after.version += 1;
    let (b, a) = (RoleView::from(&before), RoleView::from(&after));
    let mut tx = Tx::new();
    tx.guarded(
        Write::Replace { record: Record::Role(after.clone()), expected_version: expected },
        DomainError::PreconditionFailed,
    )
    .guarded(ctx.still_authorized()?, DomainError::Forbidden);
    let (old_norm, new_norm) = (role_name_norm(&before.name), role_name_norm(&after.name));
    if old_norm != new_norm {
        tx.push(Write::Delete(Key::RoleName(ctx.practice.id, old_norm))).guarded(
            Write::Create(Record::RoleName(RoleName {
                practice_id: ctx.practice.id,
                name_norm: new_norm,
                role_id: after.id.clone(),
            })),
            name_taken(),
        );
    }
    tx.push(Write::Create(role_audit(ctx, now, "role.updated", id, to_value(&b), to_value(&a)))).push(Write::Create(
        outbox_event(
            now,
            EventType::RoleUpdated,
            json!({"practice_id": ctx.practice.id, "role_id": id, "name": after.name, "permissions": after.permissions}),
        ),
    ));
    commit(app, tx).await?;
    Ok(a)
}

/// `POST /practices/{pid}/roles/{rid}/reset` (practice.settings, R23): a
/// built-in back to the catalogue's set; `director` is read-only (403), and
/// a custom role has no catalogue set (404).
pub async fn reset_role(app: &App, ctx: &MemberCtx, id: &str) -> Result<RoleView, DomainError> {
    ctx.require(PRACTICE_SETTINGS)?;
    ctx.ensure_not_own_role(id)?;
    let role = built_in::adjustable(id)?.ok_or(DomainError::NotFound)?;
    built_in::reset(app, ctx, &role).await
}

/// `DELETE /practices/{pid}/roles/{rid}` (practice.settings). R23: the
/// delete's condition is "no holders", the count every assignment keeps in
/// its own transaction, so a role cannot be deleted and taken at once.
pub async fn delete_role(app: &App, ctx: &MemberCtx, id: &str) -> Result<(), DomainError> {
    ctx.require(PRACTICE_SETTINGS)?;
    let role = custom_role(app, ctx, id).await?;
    let now = app.now();
    let mut tx = Tx::new();
    // Zero holders and an unchanged version: a failure is one or the other,
    // and a role taken meanwhile is by far the likelier.
    tx.guarded(
        Write::DeleteRole { practice_id: ctx.practice.id, role_id: role.id.clone(), expected_version: role.version },
        DomainError::RoleInUse,
    )
    .guarded(ctx.still_authorized()?, DomainError::Forbidden)
    .push(Write::Delete(Key::RoleName(ctx.practice.id, role_name_norm(&role.name))))
    .push(Write::Create(role_audit(ctx, now, "role.deleted", id, to_value(&RoleView::from(&role)), json!(null))))
    .push(Write::Create(outbox_event(
        now,
        EventType::RoleDeleted,
        json!({"practice_id": ctx.practice.id, "role_id": id}),
    )));
    commit(app, tx).await
}

/// The answer when a named role is not (or no longer) a role of the practice.
pub fn unknown_role() -> DomainError {
    DomainError::field("role_id", "is not a role of this practice")
}

/// Records one more holder of a custom role (nothing for a built-in).
/// Taking a role that is gone fails with `on_gone`.
pub fn take_role(tx: &mut Tx, practice: crate::ids::PracticeId, role_id: &str, on_gone: DomainError) {
    if is_custom_role(role_id) {
        tx.guarded(Write::AdjustRoleHolders { practice_id: practice, role_id: role_id.to_string(), delta: 1 }, on_gone);
    }
}

/// Records one holder fewer. A held role cannot have been deleted, so a
/// failure here means the count is wrong, not the request.
pub fn release_role(tx: &mut Tx, practice: crate::ids::PracticeId, role_id: &str) {
    if is_custom_role(role_id) {
        tx.guarded(
            Write::AdjustRoleHolders { practice_id: practice, role_id: role_id.to_string(), delta: -1 },
            DomainError::Conflict("role_count"),
        );
    }
}
