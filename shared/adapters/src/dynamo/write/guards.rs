//! Writes that each exist for one invariant, with a condition of their own:
//! the email slots (R6), role deletion (R23), the members list's mirror of
//! the user (R22), the lock and sign-in checks (R25, R28), the acting
//! member's check, and onboarding mails still wanted (R44).

use super::{check, delete, update};
use crate::dynamo::codec::{n, record_item, s};
use crate::dynamo::entity::{primary, Keyed};
use crate::dynamo::keys::FAILURES;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use roster_domain::error::PortError;
use roster_domain::ids::{InvitationId, LocationId, PracticeId, UserId};
use roster_domain::model::{
    EmailSlot, Location, Membership, Practice, PracticeSettings, Role, RoleSet, SecurityPolicy, Time, User,
};
use roster_domain::ports::{Key, Record};
use std::collections::BTreeMap;

/// Takes the (practice, email) slot: fails unless it is free, held by an
/// invitation that expired by `now`, or held by `holder`.
pub fn put_slot(
    table: &str,
    slot: &EmailSlot,
    holder: Option<InvitationId>,
    now: Time,
) -> Result<TransactWriteItem, PortError> {
    let mut condition = "attribute_not_exists(PK) OR #expires_ms <= :now".to_string();
    let mut put = Put::builder()
        .table_name(table)
        .set_item(Some(record_item(&Record::Slot(slot.clone()))?))
        .expression_attribute_names("#expires_ms", "expires_ms")
        .expression_attribute_values(":now", n(now.timestamp_millis()));
    if let Some(h) = holder {
        condition.push_str(" OR #invitation_id = :holder");
        put = put
            .expression_attribute_names("#invitation_id", "invitation_id")
            .expression_attribute_values(":holder", s(h.to_string()));
    }
    let put = put.condition_expression(condition).build().map_err(super::built)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// Frees the slot: fails unless `invitation` holds it.
pub fn release_slot(
    table: &str,
    practice: PracticeId,
    email_norm: &str,
    invitation: InvitationId,
) -> Result<TransactWriteItem, PortError> {
    delete(
        table,
        EmailSlot::primary_key((practice, email_norm)),
        Some("#invitation_id = :holder"),
        &[("#invitation_id", "invitation_id")],
        vec![(":holder", s(invitation.to_string()))],
    )
}

/// Fails unless the role exists at `expected_version` with no holders.
pub fn delete_role(
    table: &str,
    practice: PracticeId,
    role_id: &str,
    expected_version: u64,
) -> Result<TransactWriteItem, PortError> {
    delete(
        table,
        Role::primary_key((practice, role_id)),
        Some("attribute_exists(PK) AND #version = :v AND (attribute_not_exists(#holders) OR #holders <= :zero)"),
        &[("#holders", "holders"), ("#version", "version")],
        vec![(":zero", n(0)), (":v", n(expected_version as i64))],
    )
}

/// Copies the user's lock and (if given) search text onto one membership,
/// with the user version they come from; fails if the membership is gone
/// and, with `only_if_newer`, unless the copy there is older.
pub fn mirror_user(
    table: &str,
    practice: PracticeId,
    user: UserId,
    search: Option<&str>,
    locked: bool,
    user_version: u64,
    only_if_newer: bool,
) -> Result<TransactWriteItem, PortError> {
    let condition = if only_if_newer {
        "attribute_exists(PK) AND (attribute_not_exists(#user_version) OR #user_version < :user_version)"
    } else {
        "attribute_exists(PK)"
    };
    let mut names = vec![("#locked", "locked"), ("#user_version", "user_version")];
    let mut values = vec![(":locked", AttributeValue::Bool(locked)), (":user_version", n(user_version as i64))];
    let mut expression = "SET #locked = :locked, #user_version = :user_version".to_string();
    if let Some(search) = search {
        names.push(("#search", "search"));
        values.push((":search", s(search)));
        expression.push_str(", #search = :search");
    }
    update(table, Membership::primary_key((practice, user)), &expression, condition, &names, values)
}

/// Locks the user and moves their version on, so any Replace of the user
/// read before the lock fails instead of unlocking; fails if already
/// locked, so of racing fifth failures exactly one locks.
pub fn lock_user(table: &str, user: UserId) -> Result<TransactWriteItem, PortError> {
    update(
        table,
        User::primary_key(user),
        // A lock ends every session (R29): the epoch moves on with it.
        "SET #locked = :true, #version = #version + :one, #epoch = if_not_exists(#epoch, :zero) + :one",
        "attribute_exists(PK) AND #locked <> :true",
        &[("#locked", "locked"), ("#version", "version"), ("#epoch", "session_epoch")],
        vec![(":true", AttributeValue::Bool(true)), (":one", n(1)), (":zero", n(0))],
    )
}

/// Fails unless the counter at `key` has reached `at_least`.
pub fn check_failures(table: &str, key: &Key, at_least: u32) -> Result<TransactWriteItem, PortError> {
    check(table, primary(key), "#failures >= :n", &[("#failures", FAILURES)], vec![(":n", n(i64::from(at_least)))])
}

/// Fails if the user is locked; with a TOTP step, also fails unless the
/// step is later than the last one used, and records it.
pub fn confirm_sign_in(table: &str, user: UserId, totp_step: Option<u64>) -> Result<TransactWriteItem, PortError> {
    match totp_step {
        None => check(
            table,
            User::primary_key(user),
            "#locked <> :true",
            &[("#locked", "locked")],
            vec![(":true", AttributeValue::Bool(true))],
        ),
        // An attribute no record field names, so no Replace of the user
        // ever writes it back.
        Some(step) => update(
            table,
            User::primary_key(user),
            "SET #step = :step",
            "#locked <> :true AND (attribute_not_exists(#step) OR #step < :step)",
            &[("#locked", "locked"), ("#step", "totp_last_step")],
            vec![(":true", AttributeValue::Bool(true)), (":step", n(step as i64))],
        ),
    }
}

/// Fails unless the membership exists, active, at `version`.
pub fn check_member(
    table: &str,
    practice: PracticeId,
    user: UserId,
    version: u64,
) -> Result<TransactWriteItem, PortError> {
    check(
        table,
        Membership::primary_key((practice, user)),
        "#version = :v AND #status = :active",
        &[("#version", "version"), ("#status", "status")],
        vec![(":v", n(version as i64)), (":active", s("active"))],
    )
}

/// Fails unless the location exists and is active.
pub fn check_location(table: &str, practice: PracticeId, location: LocationId) -> Result<TransactWriteItem, PortError> {
    check(
        table,
        Location::primary_key((practice, location)),
        "#active = :true",
        &[("#active", "active")],
        vec![(":true", AttributeValue::Bool(true))],
    )
}

/// Sets a practice's adjusted built-in roles, the whole map at once, under
/// its own version; a practice write leaves them alone (`KEPT_BY_REPLACE`).
pub fn set_built_in_roles(
    table: &str,
    practice: PracticeId,
    sets: &BTreeMap<String, RoleSet>,
    expected_version: u64,
) -> Result<TransactWriteItem, PortError> {
    let map =
        serde_dynamo::to_attribute_value(sets).map_err(|e| PortError::Backend(format!("encoding role sets: {e}")))?;
    let part = Part { name: "roles", attribute: "built_in_roles", value: ":sets" };
    set_practice_part(table, practice, part, map, expected_version)
}

/// `Write::SetSecurityPolicy` (R48): like `set_built_in_roles`, on the
/// policy's own version, so a rename or a role change never races it.
pub fn set_security_policy(
    table: &str,
    practice: PracticeId,
    policy: &SecurityPolicy,
    expected_version: u64,
) -> Result<TransactWriteItem, PortError> {
    let map =
        serde_dynamo::to_attribute_value(policy).map_err(|e| PortError::Backend(format!("encoding a policy: {e}")))?;
    let part = Part { name: "policy", attribute: "security_policy", value: ":policy" };
    set_practice_part(table, practice, part, map, expected_version)
}

/// A part of the practice item that is set whole, under a version of its
/// own (`<attribute>_version`): its placeholder stem, attribute and value
/// placeholder.
struct Part {
    name: &'static str,
    attribute: &'static str,
    value: &'static str,
}

/// Sets `part` to `map`. Fails unless the practice exists with the part at
/// `expected_version`; never set yet is version 0, or none stored at all on
/// a practice made before the part existed.
fn set_practice_part(
    table: &str,
    practice: PracticeId,
    part: Part,
    map: AttributeValue,
    expected_version: u64,
) -> Result<TransactWriteItem, PortError> {
    let (name, version) = (format!("#{}", part.name), format!("#{}_version", part.name));
    let condition = if expected_version == 0 {
        format!("attribute_exists(PK) AND (attribute_not_exists({version}) OR {version} = :expected)")
    } else {
        format!("attribute_exists(PK) AND {version} = :expected")
    };
    let values =
        vec![(part.value, map), (":next", n(expected_version as i64 + 1)), (":expected", n(expected_version as i64))];
    let version_attribute = format!("{}_version", part.attribute);
    update(
        table,
        Practice::primary_key(practice),
        &format!("SET {name} = {}, {version} = :next", part.value),
        &condition,
        &[(name.as_str(), part.attribute), (version.as_str(), version_attribute.as_str())],
        values,
    )
}

/// Fails if the practice's saved settings turned onboarding mails off; a
/// practice that never saved settings has them on (R43, R44).
pub fn check_onboarding_mails(table: &str, practice: PracticeId) -> Result<TransactWriteItem, PortError> {
    check(
        table,
        PracticeSettings::primary_key(practice),
        "attribute_not_exists(PK) OR #onboarding_mails = :true",
        &[("#onboarding_mails", "onboarding_mails")],
        vec![(":true", AttributeValue::Bool(true))],
    )
}
