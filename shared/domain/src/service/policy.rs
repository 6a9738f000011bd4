//! A practice's security policy (R48, R50's configuration): read by any
//! member, changed with `practice.settings`. Stored on the practice item,
//! so `authenticate` applies it from the read it makes anyway.

use super::context::MemberCtx;
use super::writes::{audit_event, commit, outbox_event, to_value};
use crate::error::DomainError;
use crate::model::*;
use crate::permissions::{is_known, is_restrictive, EMERGENCY_ACCESS_USE, PRACTICE_SETTINGS};
use crate::ports::{Tx, Write};
use crate::validate::Errors;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeSet;

/// `PUT /practices/{pid}/security-policy`: a field left out keeps its
/// current value (R48, R50), so that a body naming one setting cannot
/// silently switch off another (a director turning emergency access on
/// must not, by leaving it out, turn off a required second factor). Numbers are read wide, so that one out
/// of range is a `422` naming it rather than a `400`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyInput {
    pub require_mfa: Option<bool>,
    pub session_idle_minutes: Option<i64>,
    pub emergency_access: Option<EmergencyInput>,
    /// What `GET` answered, sent back with the changes: the version the
    /// client read, a precondition as `If-Match` is.
    pub version: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyInput {
    pub enabled: Option<bool>,
    pub permissions: Option<Vec<String>>,
    pub max_minutes: Option<i64>,
}

/// The policy as API.md shows it, with the version `If-Match` names.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyView {
    #[serde(flatten)]
    pub policy: SecurityPolicy,
    pub version: u64,
}

impl From<&Practice> for PolicyView {
    fn from(p: &Practice) -> Self {
        Self { policy: p.security_policy.clone(), version: p.security_policy_version }
    }
}

/// `GET /practices/{pid}/security-policy`: any member, and a support agent
/// under a grant (R30). Every member is held by it (a second factor to
/// enroll, an idle limit), so it is no secret inside the practice.
pub fn get_policy(ctx: &MemberCtx) -> PolicyView {
    PolicyView::from(&ctx.practice)
}

fn minutes(e: &mut Errors, field: &str, raw: Option<i64>, range: std::ops::RangeInclusive<u32>, current: u32) -> u32 {
    let Some(n) = raw else { return current };
    match u32::try_from(n).ok().filter(|n| range.contains(n)) {
        Some(n) => n,
        None => {
            e.add(field, &format!("must be a whole number of minutes from {} to {}", range.start(), range.end()));
            current
        }
    }
}

/// Parses the input into the policy it names over `current` (what is left
/// out stays as it is); the permission set's keys must be catalogue keys and none
/// restrictive (adding a restriction in an emergency makes no sense).
fn parse(input: PolicyInput, current: &SecurityPolicy) -> Result<SecurityPolicy, DomainError> {
    let mut e = Errors::new();
    let idle = minutes(
        &mut e,
        "session_idle_minutes",
        input.session_idle_minutes,
        SESSION_IDLE_MINUTES,
        current.session_idle_minutes,
    );
    let was = &current.emergency_access;
    let emergency = input.emergency_access.unwrap_or_default();
    let max_minutes =
        minutes(&mut e, "emergency_access.max_minutes", emergency.max_minutes, EMERGENCY_MINUTES, was.max_minutes);
    let permissions = match emergency.permissions {
        None => was.permissions.clone(),
        Some(keys) => {
            let mut set = BTreeSet::new();
            for key in keys {
                if !is_known(&key) {
                    e.add("emergency_access.permissions", &format!("{key:?} is not a permission key"));
                } else if is_restrictive(&key) {
                    e.add("emergency_access.permissions", &format!("{key:?} restricts access; it cannot be granted"));
                } else if key == EMERGENCY_ACCESS_USE {
                    // A use would hand on the right to open the next one.
                    e.add("emergency_access.permissions", &format!("{key:?} cannot be granted by emergency access"));
                }
                set.insert(key);
            }
            set
        }
    };
    e.finish()?;
    Ok(SecurityPolicy {
        require_mfa: input.require_mfa.unwrap_or(current.require_mfa),
        session_idle_minutes: idle,
        emergency_access: EmergencyPolicy {
            enabled: emergency.enabled.unwrap_or(was.enabled),
            permissions,
            max_minutes,
        },
    })
}

/// R36 for the policy: a member who is not a director may not put into the
/// emergency set a key they lack themselves (keys already there stay), nor
/// any key unless they reach every location: the set applies across all
/// locations when used, so a key held at one location would be handed out
/// at all of them. Nor may they loosen what protects every member,
/// directors included: turn a required second factor off (as they may not
/// clear one member's), let sessions idle longer, or switch emergency
/// access on or lengthen it, which would make live a set a director chose,
/// across all locations; lengthening is refused while it is off too, as a
/// director's later `{"enabled": true}` keeps the stored duration. Adding
/// keys needs no such care: they are keys the member holds everywhere.
fn ensure_may_set(ctx: &MemberCtx, before: &SecurityPolicy, after: &SecurityPolicy) -> Result<(), DomainError> {
    if ctx.is_director() {
        return Ok(());
    }
    let everywhere = ctx.member()?.access.location_access == LocationAccess::All;
    let (was, will) = (&before.emergency_access, &after.emergency_access);
    let added: Vec<&String> = will.permissions.difference(&was.permissions).collect();
    let loosens = (before.require_mfa && !after.require_mfa)
        || after.session_idle_minutes > before.session_idle_minutes
        || (will.enabled && !was.enabled)
        || will.max_minutes > was.max_minutes;
    if added.iter().any(|k| !ctx.holds(k)) || (!added.is_empty() && !everywhere) || loosens {
        return Err(DomainError::Forbidden);
    }
    Ok(())
}

/// `PUT /practices/{pid}/security-policy` (practice.settings), optimistic
/// on the policy's own `version` (R18), audited with a
/// `PracticePolicyChanged` event. No read: the practice came with the
/// session. `require_mfa` holds from every member's next request in the
/// practice (R28), which is where it is applied.
pub async fn put_policy(
    app: &crate::ports::App,
    ctx: &MemberCtx,
    input: PolicyInput,
    if_match: Option<u64>,
) -> Result<PolicyView, DomainError> {
    ctx.require(PRACTICE_SETTINGS)?;
    let read = match (if_match, input.version) {
        (Some(header), Some(body)) if header != body => {
            return Err(DomainError::field("version", "must equal the version If-Match names"))
        }
        (header, body) => header.or(body),
    };
    let practice = &ctx.practice;
    let before = &practice.security_policy;
    let after = parse(input, before)?;
    let expected = read.unwrap_or(practice.security_policy_version);
    if expected != practice.security_policy_version {
        return Err(DomainError::PreconditionFailed);
    }
    ensure_may_set(ctx, before, &after)?;
    if &after == before {
        return Ok(PolicyView::from(practice));
    }
    let b = PolicyView::from(practice);
    let a = PolicyView { policy: after.clone(), version: expected + 1 };
    let now = app.now();
    let mut tx = Tx::new();
    tx.guarded(
        Write::SetSecurityPolicy { practice_id: practice.id, policy: after, expected_version: expected },
        DomainError::PreconditionFailed,
    )
    .guarded(ctx.still_authorized()?, DomainError::Forbidden)
    .push(Write::Create(audit_event(
        AuditScope::Practice(practice.id),
        now,
        ctx.actor(),
        "practice.security_policy_updated",
        Target::new("security_policy", practice.id),
        to_value(&b),
        to_value(&a),
    )))
    .push(Write::Create(outbox_event(
        now,
        EventType::PracticePolicyChanged,
        json!({"practice_id": practice.id, "require_mfa": a.policy.require_mfa,
            "session_idle_minutes": a.policy.session_idle_minutes,
            "emergency_access": a.policy.emergency_access, "version": a.version}),
    )));
    commit(app, tx).await?;
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(v: serde_json::Value) -> PolicyInput {
        serde_json::from_value(v).expect("input")
    }

    fn parse_new(body: serde_json::Value) -> Result<SecurityPolicy, DomainError> {
        parse(input(body), &SecurityPolicy::default())
    }

    // R48, R50: a new practice's policy; an empty body changes nothing.
    #[test]
    fn an_empty_policy_is_the_default() {
        assert_eq!(parse_new(json!({})).ok(), Some(SecurityPolicy::default()));
        let d = SecurityPolicy::default();
        assert_eq!((d.require_mfa, d.session_idle_minutes), (false, 60));
        assert_eq!((d.emergency_access.enabled, d.emergency_access.max_minutes), (false, 240));
    }

    #[test]
    fn limits_and_keys_are_checked() {
        for (body, field) in [
            (json!({"session_idle_minutes": 4}), "session_idle_minutes"),
            (json!({"session_idle_minutes": 1441}), "session_idle_minutes"),
            (json!({"session_idle_minutes": -1}), "session_idle_minutes"),
            (json!({"emergency_access": {"max_minutes": 0}}), "emergency_access.max_minutes"),
            (json!({"emergency_access": {"max_minutes": 481}}), "emergency_access.max_minutes"),
            (json!({"emergency_access": {"permissions": ["nope"]}}), "emergency_access.permissions"),
            (
                json!({"emergency_access": {"permissions": ["clinical.assigned_clients_only"]}}),
                "emergency_access.permissions",
            ),
        ] {
            let Err(DomainError::Validation(list)) = parse_new(body.clone()) else { panic!("{body}") };
            assert_eq!(list[0].field, field, "{body}");
        }
        let edges =
            json!({"session_idle_minutes": 5, "emergency_access": {"max_minutes": 480, "permissions": ["users.view"]}});
        let p = parse_new(edges).expect("valid");
        assert_eq!((p.session_idle_minutes, p.emergency_access.max_minutes), (5, 480));
        assert!(parse_new(json!({"session_idle_minutes": 1440, "emergency_access": {"max_minutes": 1}})).is_ok());
    }

    // A body naming one setting leaves the others as they are: turning
    // emergency access on must not turn a required second factor off.
    #[test]
    fn what_is_left_out_keeps_its_current_value() {
        let current = SecurityPolicy {
            require_mfa: true,
            session_idle_minutes: 15,
            emergency_access: EmergencyPolicy {
                enabled: false,
                permissions: ["users.view".to_string()].into(),
                max_minutes: 30,
            },
        };
        let p = parse(input(json!({"emergency_access": {"enabled": true}})), &current).expect("valid");
        assert_eq!((p.require_mfa, p.session_idle_minutes), (true, 15));
        let want = EmergencyPolicy { enabled: true, ..current.emergency_access.clone() };
        assert_eq!(p.emergency_access, want);
        let p = parse(input(json!({"require_mfa": false, "emergency_access": {"permissions": []}})), &current)
            .expect("valid");
        assert_eq!((p.require_mfa, p.emergency_access.permissions.len()), (false, 0), "named fields change");
        assert_eq!(parse(input(json!({})), &current).ok(), Some(current));
    }
}
