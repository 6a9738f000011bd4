//! Practices and their locations (R2, R20), and the permission catalogue.

use super::context::{Caller, MemberCtx};
use super::views::{ListView, LocationView, PracticeView};
use super::writes::{audit_event, commit, outbox_event, to_value};
use crate::error::DomainError;
use crate::ids::{LocationId, PracticeId};
use crate::model::*;
use crate::permissions::{self, PermissionDef, PRACTICE_SETTINGS};
use crate::ports::{App, CounterDelta, Record, Tx, Write};
use crate::validate::{double_option, Errors, ADDRESS_MAX, LOCATION_NAME_MAX, PRACTICE_NAME_MAX, TIME_ZONE_MAX};
use serde::Deserialize;
use serde_json::json;

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
    #[serde(default, deserialize_with = "double_option")]
    pub address: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub time_zone: Option<Option<String>>,
    pub active: Option<bool>,
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
    let name = e.required_name(&format!("{prefix}name"), input.name.as_deref(), LOCATION_NAME_MAX);
    let address = e.optional_text(&format!("{prefix}address"), input.address.as_deref(), ADDRESS_MAX);
    let time_zone = e.optional_text(&format!("{prefix}time_zone"), input.time_zone.as_deref(), TIME_ZONE_MAX);
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
    let name = e.required_name("name", input.name.as_deref(), PRACTICE_NAME_MAX);
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
        module_seats: ModuleSeats::default(),
        built_in_roles: Default::default(),
        built_in_roles_version: 0,
        security_policy: Default::default(),
        security_policy_version: 0,
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
    let membership =
        Membership::new(practice.id, &caller.user, Access::new(Kind::Staff, permissions::DIRECTOR, location.id), now);
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
            json!({"role_id": membership.access.role_id, "kind": membership.access.kind}),
        )))
        .push(Write::Create(outbox_event(
            now,
            EventType::PracticeCreated,
            json!({"practice_id": pid, "name": practice.name, "created_by": caller.user.id}),
        )))
        .push(Write::Create(outbox_event(
            now,
            EventType::SeatAdded,
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
    let name = input.name.as_deref().map(|n| e.required_name("name", Some(n), PRACTICE_NAME_MAX));
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
    // The acting member still holds the access this was authorized with.
    .guarded(ctx.still_authorized()?, DomainError::Forbidden)
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
        EventType::PracticeUpdated,
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
        .guarded(ctx.still_authorized()?, DomainError::Forbidden)
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
            EventType::LocationCreated,
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
        updated.name = e.required_name("name", input.name.as_deref(), LOCATION_NAME_MAX);
    }
    if let Some(a) = &input.address {
        updated.address = e.optional_text("address", a.as_deref(), ADDRESS_MAX);
    }
    if let Some(tz) = &input.time_zone {
        updated.time_zone = e.optional_text("time_zone", tz.as_deref(), TIME_ZONE_MAX);
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
    )
    .guarded(ctx.still_authorized()?, DomainError::Forbidden);
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
        EventType::LocationUpdated,
        json!({"practice_id": pid, "location_id": id, "active": updated.active}),
    )));
    commit(app, tx).await?;
    Ok(a)
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
}
