//! What custom and built-in role changes share: the permission list rule
//! and the audit event.

use crate::model::*;
use crate::permissions;
use crate::ports::Record;
use crate::service::context::MemberCtx;
use crate::service::writes::audit_event;
use crate::validate::Errors;

/// Trimmed, sorted, without duplicates; an unknown key is named.
pub fn check_permissions(e: &mut Errors, keys: &[String]) -> Vec<String> {
    let mut keys: Vec<String> = keys.iter().map(|k| k.trim().to_string()).collect();
    keys.sort();
    keys.dedup();
    if let Some(bad) = keys.iter().find(|k| !permissions::is_known(k)) {
        e.add("permissions", &format!("{bad} is not a permission"));
    }
    keys
}

pub fn role_audit(
    ctx: &MemberCtx,
    now: Time,
    action: &str,
    id: &str,
    before: serde_json::Value,
    after: serde_json::Value,
) -> Record {
    audit_event(AuditScope::Practice(ctx.practice.id), now, ctx.actor(), action, Target::new("role", id), before, after)
}
