//! A practice's settings (R43): the role an invitation gets when it names
//! none, by kind, and whether people who join get onboarding mails (R44).

use super::context::MemberCtx;
use super::views::SettingsView;
use super::writes::{audit_event, commit, outbox_event, to_value};
use crate::error::DomainError;
use crate::ids::PracticeId;
use crate::model::*;
use crate::permissions::stored_role_id;
use crate::permissions::{is_custom_role, role_permissions, DIRECTOR, PRACTICE_SETTINGS};
use crate::ports::{App, Record, Tx, Write};
use crate::validate::Errors;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

/// `PUT /practices/{pid}/settings`: the whole resource, every field required.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    pub default_roles: Option<DefaultRolesInput>,
    pub onboarding_mails: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultRolesInput {
    pub practitioner: Option<String>,
    pub staff: Option<String>,
}

/// The practice's settings: as saved, or the defaults until they are.
pub async fn settings_of(app: &App, practice: PracticeId) -> Result<PracticeSettings, DomainError> {
    Ok(saved_or_defaults(app.store.practice_settings(practice).await?, practice))
}

/// The practice's settings as saved, or the defaults until first saved.
pub fn saved_or_defaults(saved: Option<PracticeSettings>, practice: PracticeId) -> PracticeSettings {
    saved.unwrap_or_else(|| PracticeSettings::defaults(practice))
}

/// `GET /practices/{pid}/settings`: any member, and a support agent under a
/// grant (R30). They say what an invitation offers by default, which is no
/// secret inside the practice.
pub async fn get_settings(app: &App, ctx: &MemberCtx) -> Result<SettingsView, DomainError> {
    Ok(SettingsView::from(&settings_of(app, ctx.practice.id).await?))
}

/// One default role: a role of the practice, and never `director`, so that
/// an invitation naming no role can never make anyone a director.
fn default_role(e: &mut Errors, field: &str, raw: Option<&str>, custom: &[Role]) -> String {
    let role = raw.map(str::trim).unwrap_or_default();
    if role.is_empty() {
        e.add(field, "is required");
    } else if role == DIRECTOR {
        e.add(field, "cannot be director: a default role must never make anyone a director");
    } else if role_permissions(role, custom).is_none() {
        e.add(field, "is not a role of this practice");
    }
    role.to_string()
}

/// How each custom role's holder count moves as the defaults go from
/// `before` to `after`: a custom role counts one holder per kind it is the
/// default of, so deleting it is refused like deleting a held role (R23).
/// Built-ins are never counted.
fn holder_changes(before: &DefaultRoles, after: &DefaultRoles) -> BTreeMap<String, i64> {
    let mut changes = BTreeMap::new();
    for (roles, sign) in [(before, -1), (after, 1)] {
        for role in [&roles.practitioner, &roles.staff] {
            if is_custom_role(role) {
                *changes.entry(role.clone()).or_insert(0) += sign;
            }
        }
    }
    changes.retain(|_, delta| *delta != 0);
    changes
}

/// `PUT /practices/{pid}/settings` (practice.settings), optimistic on the
/// settings' own `version` (R18), audited (R32) with a
/// `PracticeSettingsChanged` event (R33).
pub async fn put_settings(
    app: &App,
    ctx: &MemberCtx,
    input: SettingsInput,
    if_match: Option<u64>,
) -> Result<SettingsView, DomainError> {
    ctx.require(PRACTICE_SETTINGS)?;
    let pid = ctx.practice.id;
    // One round trip: the settings and the custom roles the request names,
    // by key; what is not read is no role of the practice.
    let named = input.default_roles.iter().flat_map(|d| [&d.practitioner, &d.staff]);
    let mut named: Vec<&str> = named.filter_map(|r| r.as_deref().and_then(stored_role_id)).collect();
    named.dedup();
    let (saved, custom) = app.store.settings_and_roles(pid, &named).await?;
    let mut e = Errors::new();
    let default_roles = match &input.default_roles {
        Some(d) => Some(DefaultRoles {
            practitioner: default_role(&mut e, "default_roles.practitioner", d.practitioner.as_deref(), &custom),
            staff: default_role(&mut e, "default_roles.staff", d.staff.as_deref(), &custom),
        }),
        None => {
            e.add("default_roles", "is required");
            None
        }
    };
    if input.onboarding_mails.is_none() {
        e.add("onboarding_mails", "is required");
    }
    e.finish()?;
    let (Some(default_roles), Some(onboarding_mails)) = (default_roles, input.onboarding_mails) else {
        return Err(DomainError::field("default_roles", "is required"));
    };
    let before = saved.clone().unwrap_or_else(|| PracticeSettings::defaults(pid));
    let expected = if_match.unwrap_or(before.version);
    if expected != before.version {
        return Err(DomainError::PreconditionFailed);
    }
    if (&default_roles, onboarding_mails) == (&before.default_roles, before.onboarding_mails) {
        return Ok(SettingsView::from(&before));
    }
    let after = PracticeSettings { practice_id: pid, default_roles, onboarding_mails, version: before.version + 1 };
    let record = Record::PracticeSettings(after.clone());
    // Never saved: the first save creates the item, and of two racing first
    // saves the second fails like a stale version.
    let write = match saved {
        Some(_) => Write::Replace { record, expected_version: expected },
        None => Write::Create(record),
    };
    let now = app.now();
    let (b, a) = (SettingsView::from(&before), SettingsView::from(&after));
    let mut tx = Tx::new();
    tx.guarded(write, DomainError::PreconditionFailed).guarded(ctx.still_authorized()?, DomainError::Forbidden);
    for (role, delta) in holder_changes(&before.default_roles, &after.default_roles) {
        // A role made a default must still exist at commit: of a save and a
        // delete of the role racing, one fails, so no default names a role
        // that is gone.
        let on_gone = match (delta > 0, after.default_roles.practitioner == role) {
            (true, true) => DomainError::field("default_roles.practitioner", "is not a role of this practice"),
            (true, false) => DomainError::field("default_roles.staff", "is not a role of this practice"),
            // A held role cannot have been deleted: the count is wrong, not
            // the request.
            (false, _) => DomainError::Conflict("role_count"),
        };
        tx.guarded(Write::AdjustRoleHolders { practice_id: pid, role_id: role, delta }, on_gone);
    }
    tx.push(Write::Create(audit_event(
        AuditScope::Practice(pid),
        now,
        ctx.actor(),
        "practice.settings_updated",
        Target::new("practice_settings", pid),
        to_value(&b),
        to_value(&a),
    )))
    .push(Write::Create(outbox_event(
        now,
        EventType::PracticeSettingsChanged,
        json!({"practice_id": pid, "default_roles": after.default_roles,
            "onboarding_mails": after.onboarding_mails, "version": after.version}),
    )));
    commit(app, tx).await?;
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permissions::built_in_role;

    fn roles(practitioner: &str, staff: &str) -> DefaultRoles {
        DefaultRoles { practitioner: practitioner.into(), staff: staff.into() }
    }

    // R43: the defaults are built-ins, and neither makes a director.
    #[test]
    fn the_defaults_are_built_ins_and_no_director() {
        let d = DefaultRoles::default();
        for role in [&d.practitioner, &d.staff] {
            assert!(built_in_role(role).is_some(), "{role}");
            assert_ne!(role, DIRECTOR);
        }
        assert!(PracticeSettings::defaults(PracticeId::new()).onboarding_mails);
    }

    // R23, R43: a custom default counts once per kind; built-ins never.
    #[test]
    fn a_custom_default_is_held_once_per_kind() {
        let changes = |b: DefaultRoles, a: DefaultRoles| holder_changes(&b, &a).into_iter().collect::<Vec<_>>();
        assert_eq!(changes(roles("clinician", "front_desk"), roles("x", "x")), vec![("x".into(), 2)]);
        assert_eq!(changes(roles("x", "x"), roles("x", "front_desk")), vec![("x".into(), -1)]);
        assert_eq!(changes(roles("x", "y"), roles("y", "x")), vec![]);
        assert_eq!(changes(roles("x", "front_desk"), roles("clinician", "y")), vec![("x".into(), -1), ("y".into(), 1)]);
        assert!(changes(roles("clinician", "front_desk"), roles("supervisor", "administrative")).is_empty());
    }

    #[test]
    fn a_default_role_is_a_role_and_never_director() {
        let mut e = Errors::new();
        assert_eq!(default_role(&mut e, "f", Some(" clinician "), &[]), "clinician");
        assert!(e.is_empty());
        for bad in [Some("director"), Some("nope"), Some("  "), None] {
            let mut e = Errors::new();
            default_role(&mut e, "f", bad, &[]);
            assert!(!e.is_empty(), "{bad:?}");
        }
    }
}
