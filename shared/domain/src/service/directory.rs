//! Practices, locations, roles and member reads (R1, R2, R20, R22).

use super::views::{AuditView, ListView, LocationView, MemberView, PracticeView};
use super::{audit_event, commit, outbox_event, to_value, Caller, MemberCtx};
use crate::error::DomainError;
use crate::ids::{LocationId, PracticeId, UserId};
use crate::model::*;
use crate::permissions::{self, PermissionDef, AUDIT_VIEW, PRACTICE_SETTINGS, USERS_VIEW};
use crate::ports::{App, CounterDelta, MemberFilter as StoreFilter, Record, Tx, Write};
use crate::validate::Errors;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

const PRACTICE_NAME_MAX: usize = 120;
const LOCATION_NAME_MAX: usize = 120;
const ADDRESS_MAX: usize = 500;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    pub name: Option<String>,
    pub address: Option<String>,
    pub time_zone: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePracticeInput {
    pub name: Option<String>,
    pub location: Option<LocationInput>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchPracticeInput {
    pub name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchLocationInput {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "super::auth::double_option")]
    pub address: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::auth::double_option")]
    pub time_zone: Option<Option<String>>,
    pub active: Option<bool>,
}

/// `?status=` of the members list (R22).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberFilter {
    Active,
    Deactivated,
    Locked,
    All,
}

impl MemberFilter {
    pub fn parse(s: Option<&str>) -> Result<Self, DomainError> {
        match s.unwrap_or("active") {
            "active" => Ok(Self::Active),
            "deactivated" => Ok(Self::Deactivated),
            "locked" => Ok(Self::Locked),
            "all" => Ok(Self::All),
            _ => Err(DomainError::field("status", "must be one of active, deactivated, locked, all")),
        }
    }
}

/// An IANA zone name shape check: `Area/City` words or `UTC`. The zone
/// database itself is the client's concern; this keeps garbage out.
fn valid_time_zone(tz: &str) -> bool {
    tz == "UTC"
        || (tz.contains('/')
            && tz.split('/').all(|part| {
                !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
            }))
}

fn location_fields(e: &mut Errors, prefix: &str, input: &LocationInput) -> (String, Option<String>, Option<String>) {
    let name = e.required_text(&format!("{prefix}name"), input.name.as_deref(), LOCATION_NAME_MAX);
    let address = e.optional_text(&format!("{prefix}address"), input.address.as_deref(), ADDRESS_MAX);
    let time_zone = e.optional_text(&format!("{prefix}time_zone"), input.time_zone.as_deref(), 64);
    if let Some(tz) = &time_zone {
        if !valid_time_zone(tz) {
            e.add(&format!("{prefix}time_zone"), "must be an IANA time zone such as Europe/Lisbon");
        }
    }
    (name, address, time_zone)
}

fn practice_audit(
    ctx_practice: PracticeId,
    now: Time,
    actor: Actor,
    action: &str,
    target: Target,
    before: serde_json::Value,
    after: serde_json::Value,
) -> Record {
    audit_event(AuditScope::Practice(ctx_practice), now, actor, action, target, before, after)
}

/// `POST /practices`: the practice, its first location and the caller's
/// director membership in one transaction; the caller takes a staff seat.
pub async fn create_practice(
    app: &App,
    caller: &Caller,
    input: CreatePracticeInput,
) -> Result<PracticeView, DomainError> {
    let mut e = Errors::new();
    let name = e.required_text("name", input.name.as_deref(), PRACTICE_NAME_MAX);
    let loc = match &input.location {
        Some(l) => Some(location_fields(&mut e, "location.", l)),
        None => {
            e.add("location", "is required");
            None
        }
    };
    e.finish()?;
    let Some((loc_name, address, time_zone)) = loc else {
        return Err(DomainError::field("location", "is required"));
    };
    let now = app.now();
    let practice = Practice {
        id: PracticeId::new(),
        name,
        seats: Seats { practitioner: 0, staff: 1 },
        directors: 1,
        active_locations: 1,
        created_at: now,
        version: 1,
    };
    let location = Location {
        id: LocationId::new(),
        practice_id: practice.id,
        name: loc_name,
        address,
        time_zone,
        active: true,
        created_at: now,
        version: 1,
    };
    let membership = Membership::new(practice.id, &caller.user, Kind::Staff, permissions::DIRECTOR, location.id, now);
    let actor = Actor::user(&caller.user);
    let pid = practice.id;
    let mut tx = Tx::new();
    tx.push(Write::Create(Record::Practice(practice.clone())))
        .push(Write::Create(Record::Location(location.clone())))
        .push(Write::Create(Record::Membership(membership.clone())))
        .push(Write::PutSlot {
            slot: EmailSlot::member(pid, &caller.user.email_norm, caller.user.id),
            holder: None,
            now,
        })
        .push(Write::Create(practice_audit(
            pid,
            now,
            actor.clone(),
            "practice.created",
            Target::new("practice", pid),
            json!(null),
            json!({"name": practice.name}),
        )))
        .push(Write::Create(practice_audit(
            pid,
            now,
            actor.clone(),
            "location.created",
            Target::new("location", location.id),
            json!(null),
            to_value(&LocationView::from(&location)),
        )))
        .push(Write::Create(practice_audit(
            pid,
            now,
            actor,
            "member.joined",
            Target::new("user", caller.user.id),
            json!(null),
            json!({"role_id": membership.role_id, "kind": membership.kind}),
        )))
        .push(Write::Create(outbox_event(
            now,
            "PracticeCreated",
            json!({"practice_id": pid, "name": practice.name, "created_by": caller.user.id}),
        )))
        .push(Write::Create(outbox_event(
            now,
            "SeatAdded",
            json!({"practice_id": pid, "user_id": caller.user.id, "kind": "staff", "seats": practice.seats}),
        )));
    commit(app, tx).await?;
    Ok(PracticeView::from(&practice))
}

/// `GET /practices/{pid}`: any active member (R2 has already turned away the rest).
pub fn get_practice(ctx: &MemberCtx) -> PracticeView {
    PracticeView::from(&ctx.practice)
}

/// `PATCH /practices/{pid}` (practice.settings), optimistic on `version` (R18).
pub async fn patch_practice(
    app: &App,
    ctx: &MemberCtx,
    input: PatchPracticeInput,
    if_match: Option<u64>,
) -> Result<PracticeView, DomainError> {
    ctx.require(PRACTICE_SETTINGS)?;
    let mut e = Errors::new();
    let name = input.name.as_deref().map(|n| e.required_text("name", Some(n), PRACTICE_NAME_MAX));
    e.finish()?;
    let before = &ctx.practice;
    let expected = if_match.unwrap_or(before.version);
    if expected != before.version {
        return Err(DomainError::PreconditionFailed);
    }
    let Some(name) = name.filter(|n| *n != before.name) else {
        return Ok(PracticeView::from(before));
    };
    let now = app.now();
    let mut updated = before.clone();
    updated.name = name;
    updated.version += 1;
    let mut tx = Tx::new();
    tx.guarded(
        Write::Replace { record: Record::Practice(updated.clone()), expected_version: expected },
        DomainError::PreconditionFailed,
    )
    .push(Write::Create(practice_audit(
        before.id,
        now,
        ctx.actor(),
        "practice.updated",
        Target::new("practice", before.id),
        json!({"name": before.name}),
        json!({"name": updated.name}),
    )))
    .push(Write::Create(outbox_event(
        now,
        "PracticeUpdated",
        json!({"practice_id": before.id, "name": updated.name}),
    )));
    commit(app, tx).await?;
    Ok(PracticeView::from(&updated))
}

pub fn permission_catalogue() -> &'static [PermissionDef] {
    permissions::CATALOGUE
}

/// `GET /practices/{pid}/locations`: any active member, by name.
pub async fn list_locations(app: &App, ctx: &MemberCtx) -> Result<ListView<LocationView>, DomainError> {
    let mut items: Vec<LocationView> =
        app.store.locations(ctx.practice.id).await?.iter().map(LocationView::from).collect();
    items.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.id.cmp(&b.id)));
    Ok(ListView { items, next_cursor: None })
}

/// `POST /practices/{pid}/locations` (practice.settings).
pub async fn create_location(app: &App, ctx: &MemberCtx, input: LocationInput) -> Result<LocationView, DomainError> {
    ctx.require(PRACTICE_SETTINGS)?;
    let mut e = Errors::new();
    let (name, address, time_zone) = location_fields(&mut e, "", &input);
    e.finish()?;
    let now = app.now();
    let pid = ctx.practice.id;
    let location = Location {
        id: LocationId::new(),
        practice_id: pid,
        name,
        address,
        time_zone,
        active: true,
        created_at: now,
        version: 1,
    };
    let view = LocationView::from(&location);
    let mut tx = Tx::new();
    tx.push(Write::Create(Record::Location(location.clone())))
        .guarded(
            Write::AdjustCounters {
                practice_id: pid,
                delta: CounterDelta { active_locations: 1, ..Default::default() },
            },
            DomainError::NotFound,
        )
        .push(Write::Create(practice_audit(
            pid,
            now,
            ctx.actor(),
            "location.created",
            Target::new("location", location.id),
            json!(null),
            to_value(&view),
        )))
        .push(Write::Create(outbox_event(
            now,
            "LocationCreated",
            json!({"practice_id": pid, "location_id": location.id}),
        )));
    commit(app, tx).await?;
    Ok(view)
}

/// `PATCH /practices/{pid}/locations/{lid}` (practice.settings). The last
/// active location cannot be deactivated: the counter update's floor fails
/// the whole transaction, however many admins try at once.
pub async fn patch_location(
    app: &App,
    ctx: &MemberCtx,
    id: LocationId,
    input: PatchLocationInput,
    if_match: Option<u64>,
) -> Result<LocationView, DomainError> {
    ctx.require(PRACTICE_SETTINGS)?;
    let pid = ctx.practice.id;
    let before = app.store.location(pid, id).await?.ok_or(DomainError::NotFound)?;
    let mut e = Errors::new();
    let mut updated = before.clone();
    if input.name.is_some() {
        updated.name = e.required_text("name", input.name.as_deref(), LOCATION_NAME_MAX);
    }
    if let Some(a) = &input.address {
        updated.address = e.optional_text("address", a.as_deref(), ADDRESS_MAX);
    }
    if let Some(tz) = &input.time_zone {
        updated.time_zone = e.optional_text("time_zone", tz.as_deref(), 64);
        if let Some(tz) = &updated.time_zone {
            if !valid_time_zone(tz) {
                e.add("time_zone", "must be an IANA time zone such as Europe/Lisbon");
            }
        }
    }
    if let Some(active) = input.active {
        updated.active = active;
    }
    e.finish()?;
    let expected = if_match.unwrap_or(before.version);
    if expected != before.version {
        return Err(DomainError::PreconditionFailed);
    }
    if updated == before {
        return Ok(LocationView::from(&before));
    }
    updated.version += 1;
    let now = app.now();
    let mut tx = Tx::new();
    tx.guarded(
        Write::Replace { record: Record::Location(updated.clone()), expected_version: expected },
        DomainError::PreconditionFailed,
    );
    let delta = match (before.active, updated.active) {
        (true, false) => -1,
        (false, true) => 1,
        _ => 0,
    };
    if delta != 0 {
        tx.guarded(
            Write::AdjustCounters {
                practice_id: pid,
                delta: CounterDelta { active_locations: delta, ..Default::default() },
            },
            DomainError::Conflict("last_active_location"),
        );
    }
    let (b, a) = (LocationView::from(&before), LocationView::from(&updated));
    tx.push(Write::Create(practice_audit(
        pid,
        now,
        ctx.actor(),
        "location.updated",
        Target::new("location", id),
        to_value(&b),
        to_value(&a),
    )))
    .push(Write::Create(outbox_event(
        now,
        "LocationUpdated",
        json!({"practice_id": pid, "location_id": id, "active": updated.active}),
    )));
    commit(app, tx).await?;
    Ok(a)
}

pub struct MemberQuery {
    pub filter: MemberFilter,
    pub q: Option<String>,
    pub limit: usize,
    pub cursor: Option<String>,
}

/// `GET /practices/{pid}/members` (users.view, R22), in user-id order. The
/// store filters on the status, the search text and the lock (both kept on
/// each membership), and its cursor is the last member returned: no member
/// is skipped or repeated.
pub async fn list_members(app: &App, ctx: &MemberCtx, query: MemberQuery) -> Result<ListView<MemberView>, DomainError> {
    ctx.require(USERS_VIEW)?;
    let contains = query.q.as_deref().map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty());
    let status = match query.filter {
        MemberFilter::Active => Some(MemberStatus::Active),
        MemberFilter::Deactivated => Some(MemberStatus::Deactivated),
        MemberFilter::Locked | MemberFilter::All => None,
    };
    let store_filter = StoreFilter { status, contains, locked_only: query.filter == MemberFilter::Locked };
    let (roles, page) =
        futures::try_join!(async { app.store.roles(ctx.practice.id).await.map_err(DomainError::from) }, async {
            app.store
                .members(ctx.practice.id, &store_filter, query.limit, query.cursor.as_deref())
                .await
                .map_err(DomainError::from)
        },)?;
    let ids: Vec<UserId> = page.items.iter().map(|m| m.user_id).collect();
    let users: HashMap<UserId, User> = app.store.users(&ids).await?.into_iter().map(|u| (u.id, u)).collect();
    let items =
        page.items.iter().filter_map(|m| users.get(&m.user_id).map(|u| MemberView::new(m, u, &roles))).collect();
    Ok(ListView { items, next_cursor: page.next })
}

/// `GET /practices/{pid}/members/{uid}`: oneself, or anyone with users.view.
pub async fn get_member(app: &App, ctx: &MemberCtx, uid: UserId) -> Result<MemberView, DomainError> {
    let (m, u) = if let Some(own) = ctx.membership.as_ref().filter(|m| m.user_id == uid) {
        (own.clone(), ctx.caller.user.clone())
    } else {
        ctx.require(USERS_VIEW)?;
        let m = app.store.membership(ctx.practice.id, uid).await?.ok_or(DomainError::NotFound)?;
        let u = app.store.user(uid).await?.ok_or(DomainError::NotFound)?;
        (m, u)
    };
    let custom = super::custom_role_of(app, ctx.practice.id, &m.role_id).await?;
    Ok(MemberView::new(&m, &u, &custom))
}

/// `GET /practices/{pid}/audit` (audit.view, R32): newest first; the events
/// are written in the transactions of their changes.
pub async fn audit_log(
    app: &App,
    ctx: &MemberCtx,
    limit: usize,
    cursor: Option<&str>,
) -> Result<ListView<AuditView>, DomainError> {
    ctx.require(AUDIT_VIEW)?;
    let page = app.store.audit(AuditScope::Practice(ctx.practice.id), limit, cursor).await?;
    Ok(ListView { items: page.items.iter().map(AuditView::from).collect(), next_cursor: page.next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones() {
        for ok in ["UTC", "Europe/Lisbon", "America/Argentina/Buenos_Aires", "Etc/GMT+3"] {
            assert!(valid_time_zone(ok), "{ok}");
        }
        for bad in ["", "Lisbon", "Europe/", "Europe//X", "Europe/Lis bon", "<script>/x"] {
            assert!(!valid_time_zone(bad), "{bad}");
        }
    }

    // R22
    #[test]
    fn member_filter_parses_the_four_statuses() {
        assert_eq!(MemberFilter::parse(None).ok(), Some(MemberFilter::Active));
        assert_eq!(MemberFilter::parse(Some("all")).ok(), Some(MemberFilter::All));
        assert!(MemberFilter::parse(Some("pending")).is_err());
    }
}
