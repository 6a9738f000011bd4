//! Changing a member's access (R14..R18) and details (R14).

use super::{access_audit, authorized, ensure_may_touch, member_audit, on_fresh_reads, target, Acted};
use crate::access::AccessPatch;
use crate::error::DomainError;
use crate::ids::UserId;
use crate::model::{EventType, Membership, PracticeName, User};
use crate::permissions::USERS_MANAGE;
use crate::ports::{App, CounterDelta, Record, Tx, Write};
use crate::service::context::MemberCtx;
use crate::service::roles::{release_role, take_role, unknown_role};
use crate::service::seats::{license_consent, module_events, seat_added, seat_removed, with_consent};
use crate::service::views::MemberView;
use crate::service::writes::{commit, outbox_event};
use crate::validate::{double_option, Errors, NoOtherFields, DISPLAY_NAME_MAX, NAME_MAX, TITLE_MAX};
use serde::Deserialize;
use serde_json::{json, Value};

/// `PATCH /practices/{pid}/members/{uid}`: any fields of the access.
#[derive(Debug, Default, Deserialize)]
pub struct UpdateAccessInput {
    /// R45: needed when the change adds a paid seat (a change of kind to
    /// practitioner, or a module added).
    pub accept_license_terms: Option<bool>,
    #[serde(flatten)]
    pub access: AccessPatch,
    #[serde(flatten)]
    pub no_other_fields: NoOtherFields,
}

/// `PATCH /practices/{pid}/members/{uid}` (users.manage, R14..R18): the
/// change is [`AccessPatch::apply`] to the member's access.
pub async fn update_access(
    app: &App,
    ctx: &MemberCtx,
    uid: UserId,
    input: UpdateAccessInput,
    if_match: Option<u64>,
) -> Result<MemberView, DomainError> {
    on_fresh_reads(if_match.is_none(), || update_access_once(app, ctx, uid, &input, if_match)).await
}

async fn update_access_once(
    app: &App,
    ctx: &MemberCtx,
    uid: UserId,
    input: &UpdateAccessInput,
    if_match: Option<u64>,
) -> Result<MemberView, DomainError> {
    ctx.require(USERS_MANAGE)?;
    let pid = ctx.practice.id;
    let patch = &input.access;
    let read = target(app, ctx, uid, patch.role_id.as_deref(), &patch.named_locations()).await?;
    let Acted { member: before, user, roles, locations } = read;
    if !before.is_active() {
        return Err(DomainError::MemberDeactivated);
    }
    ensure_may_touch(ctx, &before)?;
    let mut e = Errors::new();
    let access = input.access.apply(Some(&before.access), &mut e, &locations, &roles);
    e.finish()?;
    let Some(access) = access else { return Err(DomainError::field("kind", "is required")) };
    let expected = if_match.unwrap_or(before.version);
    if expected != before.version {
        return Err(DomainError::PreconditionFailed);
    }
    let mut after = before.clone();
    after.access = access;
    let (b, a) = (access_audit(&before, &roles), access_audit(&after, &roles));
    ctx.ensure_may_grant(Some(uid), Some(&before.access), &after.access, &roles)?;
    if b == a {
        return Ok(MemberView::new(&before, &user, &roles));
    }
    let now = app.now();
    let accepted = input.accept_license_terms == Some(true);
    let consent = license_consent(app, ctx, Some(&before.access), &after.access, accepted, now)?;
    after.version += 1;
    let mut tx = Tx::new();
    tx.guarded(
        Write::Replace { record: Record::Membership(after.clone()), expected_version: expected },
        DomainError::PreconditionFailed,
    );
    let delta = before.access.leaving() + after.access.joining();
    if delta != CounterDelta::default() {
        // A demotion lowers the director count; its floor is R15.
        tx.guarded(Write::AdjustCounters { practice_id: pid, delta }, DomainError::LastDirector);
    }
    if before.access.role_id != after.access.role_id {
        release_role(&mut tx, pid, &before.access.role_id);
        take_role(&mut tx, pid, &after.access.role_id, unknown_role());
    }
    if after.access.primary_location_id != before.access.primary_location_id {
        // What the read found active, the commit still finds so.
        tx.push(Write::CheckLocation { practice_id: pid, location_id: after.access.primary_location_id });
    }
    authorized(&mut tx, ctx, uid)?;
    let audited = with_consent(a.clone(), consent.as_ref());
    tx.push(Write::Create(member_audit(ctx, now, "member.access_changed", uid, b.clone(), audited))).push(
        Write::Create(outbox_event(
            now,
            EventType::MemberAccessChanged,
            json!({"practice_id": pid, "user_id": uid, "before": b, "after": a}),
        )),
    );
    if before.access.kind != after.access.kind {
        tx.push(Write::Create(seat_removed(now, pid, uid, before.access.kind))).push(Write::Create(seat_added(
            now,
            pid,
            uid,
            after.access.kind,
            consent.as_ref(),
        )));
    }
    module_events(&mut tx, now, pid, uid, Some(&before.access), Some(&after.access), consent.as_ref());
    commit(app, tx).await?;
    Ok(MemberView::new(&after, &user, &roles))
}

/// `PATCH /practices/{pid}/members/{uid}/details`. Fields left out keep
/// their value.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateDetailsInput {
    /// The practice's name for the member (R14).
    pub display_name: Option<String>,
    /// The practice's title for the member; `null` clears it, absent
    /// leaves it.
    #[serde(default, deserialize_with = "double_option")]
    pub title: Option<Option<String>>,
    /// The user's own names: the practice may change them only for a user
    /// who belongs to it alone (R14).
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

/// A details change whose every field keeps its rules: names normalised,
/// no lookalikes, within their lengths.
#[derive(Debug)]
struct DetailsChange {
    display_name: Option<String>,
    title: Option<Option<String>>,
    first_name: Option<String>,
    last_name: Option<String>,
}

impl UpdateDetailsInput {
    /// The change, or `422` naming every broken field.
    fn parse(self) -> Result<DetailsChange, DomainError> {
        let mut e = Errors::new();
        let mut required =
            |field: &str, v: Option<String>, max: usize| v.map(|v| e.required_name(field, Some(&v), max));
        let display_name = required("display_name", self.display_name, DISPLAY_NAME_MAX);
        let first_name = required("first_name", self.first_name, NAME_MAX);
        let last_name = required("last_name", self.last_name, NAME_MAX);
        let title = self.title.map(|t| e.optional_name("title", t.as_deref(), TITLE_MAX));
        e.finish()?;
        Ok(DetailsChange { display_name, title, first_name, last_name })
    }
}

impl DetailsChange {
    /// `before` with the practice's part of the change made.
    fn practice_name(&self, before: &PracticeName) -> PracticeName {
        PracticeName {
            display_name: self.display_name.clone().unwrap_or_else(|| before.display_name.clone()),
            title: self.title.clone().unwrap_or_else(|| before.title.clone()),
        }
    }

    /// `user` with the person's part of the change made.
    fn person(&self, user: &User) -> User {
        let mut u = user.clone();
        if let Some(first) = &self.first_name {
            u.first_name = first.clone();
        }
        if let Some(last) = &self.last_name {
            u.last_name = last.clone();
        }
        u
    }
}

/// A member's details as audited and published: the practice's name for
/// them and the user's own names.
fn details_of(name: &PracticeName, u: &User) -> Value {
    json!({"display_name": name.display_name, "title": name.title, "first_name": u.first_name, "last_name": u.last_name})
}

/// `PATCH /practices/{pid}/members/{uid}/details` (users.manage, R14): the
/// practice's name and title for any member, as a change of the membership
/// under its version (R18); and the user's own names, only for a user who
/// belongs to this practice alone, under the user's version too. Both in
/// one transaction.
pub async fn update_details(
    app: &App,
    ctx: &MemberCtx,
    uid: UserId,
    input: UpdateDetailsInput,
    if_match: Option<u64>,
) -> Result<MemberView, DomainError> {
    ctx.require(USERS_MANAGE)?;
    let change = input.parse()?;
    on_fresh_reads(if_match.is_none(), || update_details_once(app, ctx, uid, &change, if_match)).await
}

async fn update_details_once(
    app: &App,
    ctx: &MemberCtx,
    uid: UserId,
    change: &DetailsChange,
    if_match: Option<u64>,
) -> Result<MemberView, DomainError> {
    let pid = ctx.practice.id;
    // Only a change of the person's own names needs to know who else
    // knows them.
    let renames_person = change.first_name.is_some() || change.last_name.is_some();
    let (read, memberships) = futures::try_join!(target(app, ctx, uid, None, &[]), async {
        if renames_person {
            app.store.memberships_of_user(uid).await.map_err(DomainError::from)
        } else {
            Ok(Vec::new())
        }
    },)?;
    let Acted { member: before, user, roles, .. } = read;
    if !before.is_active() {
        return Err(DomainError::MemberDeactivated);
    }
    // Details are not access, so a manager may change their own (R36 is
    // about access); a director's are still a director's to change.
    ensure_may_touch(ctx, &before)?;
    let person = change.person(&user);
    let person_changed = (&person.first_name, &person.last_name) != (&user.first_name, &user.last_name);
    // One practice's administrators do not rename a person other practices
    // know too (R2, R14), whatever their standing there; that person
    // changes their own name through PATCH /me. Names sent unchanged are no
    // change, so a form that sends every field still works for a locum.
    if person_changed && memberships.iter().any(|o| o.practice_id != pid) {
        return Err(DomainError::Forbidden);
    }
    let expected = if_match.unwrap_or(before.version);
    if expected != before.version {
        return Err(DomainError::PreconditionFailed);
    }
    let name_before = before.name(&user);
    let name_after = change.practice_name(&name_before);
    if name_after == name_before && !person_changed {
        return Ok(MemberView::new(&before, &user, &roles));
    }
    let now = app.now();
    let mut after = before.clone();
    after.name = Some(name_after.clone());
    after.version += 1;
    let mut tx = Tx::new();
    let user_after = if person_changed {
        let mut updated = person;
        updated.updated_at = now;
        updated.version += 1;
        // The user belongs to this practice alone, so this membership holds
        // the only copy of them the members search reads (R22): it is
        // written here, in the one write this item may have.
        after.search = Membership::search_text(&updated);
        after.locked = updated.locked;
        after.user_version = updated.version;
        tx.guarded(
            Write::Replace { record: Record::User(updated.clone()), expected_version: user.version },
            DomainError::PreconditionFailed,
        )
        .guarded(
            Write::ReplaceMirrored { membership: after.clone(), expected_version: expected },
            DomainError::PreconditionFailed,
        );
        updated
    } else {
        tx.guarded(
            Write::Replace { record: Record::Membership(after.clone()), expected_version: expected },
            DomainError::PreconditionFailed,
        );
        user.clone()
    };
    authorized(&mut tx, ctx, uid)?;
    let (b, a) = (details_of(&name_before, &user), details_of(&name_after, &user_after));
    tx.push(Write::Create(member_audit(ctx, now, "member.details_changed", uid, b.clone(), a.clone()))).push(
        Write::Create(outbox_event(
            now,
            EventType::MemberDetailsChanged,
            json!({"practice_id": pid, "user_id": uid, "before": b, "after": a}),
        )),
    );
    commit(app, tx).await?;
    Ok(MemberView::new(&after, &user_after, &roles))
}
