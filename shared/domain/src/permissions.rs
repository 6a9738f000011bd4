//! The permission catalogue, the built-in roles and R1 (effective permissions).

use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct PermissionDef {
    pub key: &'static str,
    pub module: &'static str,
    pub description: &'static str,
    /// The key narrows what the rest of its module reaches, so removing it
    /// widens access (R36).
    pub restrictive: bool,
}

const fn p(key: &'static str, module: &'static str, description: &'static str) -> PermissionDef {
    PermissionDef { key, module, description, restrictive: false }
}

/// A restrictive key (R36).
const fn narrowing(key: &'static str, module: &'static str, description: &'static str) -> PermissionDef {
    PermissionDef { key, module, description, restrictive: true }
}

pub const USERS_MANAGE: &str = "users.manage";
pub const USERS_VIEW: &str = "users.view";
pub const PRACTICE_SETTINGS: &str = "practice.settings";
pub const SUPPORT_ACCESS_MANAGE: &str = "support_access.manage";
pub const AUDIT_VIEW: &str = "audit.view";
pub const EMERGENCY_ACCESS_USE: &str = "emergency_access.use";

pub static CATALOGUE: &[PermissionDef] = &[
    p(USERS_MANAGE, "users", "Invite, resend, revoke, change access, edit details, deactivate, reactivate, unlock and set temporary passwords"),
    p(USERS_VIEW, "users", "See the practice's members and invitations"),
    p(PRACTICE_SETTINGS, "practice", "Change the practice name, locations, custom roles and settings"),
    p(SUPPORT_ACCESS_MANAGE, "practice", "Grant and revoke the vendor's read-only support access"),
    p(AUDIT_VIEW, "practice", "Read the practice's audit log"),
    p(EMERGENCY_ACCESS_USE, "practice", "Open emergency access (break-the-glass) when the security policy enables it"),
    p("calendar.view", "calendar", "See calendars"),
    p("calendar.create", "calendar", "Create appointments"),
    p("calendar.delete", "calendar", "Delete appointments"),
    p("scheduling.settings", "calendar", "Change scheduling settings"),
    p("scheduling.vacation", "calendar", "Manage vacations and time off"),
    p("availability.edit_own", "calendar", "Edit one's own availability"),
    p("billing.payments", "billing", "Take and record payments"),
    p("billing.refunds", "billing", "Issue refunds"),
    p("billing.reports", "billing", "Read billing reports"),
    p("billing.public", "billing", "Bill public payers"),
    p("billing.private", "billing", "Bill private payers"),
    p("clinical.charts", "clinical", "Read and write charts"),
    p("clinical.notes", "clinical", "Read and write clinical notes"),
    p("clinical.medications", "clinical", "Manage medications"),
    p("clinical.prescriptions", "clinical", "Write prescriptions"),
    p("clinical.encounters", "clinical", "Record encounters"),
    p("clinical.answer_sheets_unlocked", "clinical", "Edit unlocked answer sheets"),
    narrowing("clinical.assigned_clients_only", "clinical", "Limit clinical access to assigned clients"),
    p("inbox", "communication", "Read the practice inbox"),
    p("outbox", "communication", "Send from the practice outbox"),
    p("patients", "communication", "Manage patients"),
    p("contacts", "communication", "Manage contacts"),
    p("referrals", "communication", "Manage referrals"),
    p("folders", "communication", "Manage shared folders"),
    p("lab_integration.setup", "setup", "Set up lab integrations"),
    p("templates.manage", "setup", "Manage document templates"),
    p("user_content.settings", "setup", "Manage user content settings"),
    p("point_of_care.app", "setup", "Use the point-of-care app"),
];

/// Whether removing `key` widens access (R36).
pub fn is_restrictive(key: &str) -> bool {
    CATALOGUE.iter().any(|d| d.key == key && d.restrictive)
}

/// The module a key belongs to, if it is a key.
pub fn module_of(key: &str) -> Option<&'static str> {
    CATALOGUE.iter().find(|d| d.key == key).map(|d| d.module)
}

pub fn is_known(key: &str) -> bool {
    CATALOGUE.iter().any(|d| d.key == key)
}

fn module_keys(module: &str) -> impl Iterator<Item = &'static str> + '_ {
    CATALOGUE.iter().filter(move |d| d.module == module).map(|d| d.key)
}

pub const DIRECTOR: &str = "director";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuiltInRole {
    pub id: &'static str,
    pub name: &'static str,
    pub permissions: Vec<&'static str>,
}

/// The six built-in roles of DOMAIN.md; ids are their slugs.
pub fn built_in_roles() -> Vec<BuiltInRole> {
    let calendar: Vec<_> = module_keys("calendar").collect();
    let clinical: Vec<_> = module_keys("clinical").collect();
    let communication: Vec<_> = module_keys("communication").collect();
    let billing: Vec<_> = module_keys("billing").collect();
    let set = |parts: Vec<Vec<&'static str>>| -> Vec<&'static str> {
        let s: BTreeSet<&'static str> = parts.into_iter().flatten().collect();
        s.into_iter().collect()
    };
    vec![
        BuiltInRole {
            id: DIRECTOR,
            name: "Director",
            permissions: set(vec![CATALOGUE.iter().map(|d| d.key).collect()]),
        },
        BuiltInRole {
            id: "supervisor",
            name: "Supervisor",
            permissions: set(vec![
                vec![USERS_VIEW, AUDIT_VIEW, "billing.reports"],
                calendar.clone(),
                clinical.iter().copied().filter(|k| *k != "clinical.assigned_clients_only").collect(),
                communication.clone(),
            ]),
        },
        BuiltInRole {
            id: "clinician",
            name: "Clinician",
            permissions: set(vec![
                vec!["calendar.view", "calendar.create", "availability.edit_own", "point_of_care.app"],
                clinical.clone(),
                communication.clone(),
            ]),
        },
        BuiltInRole {
            id: "administrative",
            name: "Administrative",
            permissions: set(vec![
                vec![USERS_VIEW, "patients", "contacts", "referrals", "folders", "inbox", "outbox"],
                calendar.clone(),
                billing.clone(),
            ]),
        },
        BuiltInRole {
            id: "front_desk",
            name: "Front desk",
            permissions: set(vec![vec![
                "calendar.view",
                "calendar.create",
                "calendar.delete",
                "patients",
                "contacts",
                "inbox",
                "outbox",
                "billing.payments",
            ]]),
        },
        BuiltInRole {
            id: "billing_manager",
            name: "Billing manager",
            permissions: set(vec![vec!["patients", "contacts", "inbox"], billing]),
        },
    ]
}

pub fn built_in_role(id: &str) -> Option<BuiltInRole> {
    built_in_roles().into_iter().find(|r| r.id == id)
}

/// A role's permissions: the practice's own role's from `in_force` (its
/// custom roles and the built-ins it adjusted, `Practice::roles_in_force`),
/// else a built-in's from the catalogue. A director's are always the
/// catalogue's: no practice adjusts them (R23). `None` when no such role
/// exists (any more).
pub fn role_permissions(role_id: &str, in_force: &[crate::model::practice::Role]) -> Option<Vec<String>> {
    let own = in_force.iter().find(|r| r.id == role_id && role_id != DIRECTOR);
    match (own, built_in_role(role_id)) {
        (Some(r), _) => Some(r.permissions.clone()),
        (None, Some(b)) => Some(b.permissions.iter().map(|k| k.to_string()).collect()),
        (None, None) => None,
    }
}

/// Whether a role id names a practice's own role rather than a built-in.
pub fn is_custom_role(role_id: &str) -> bool {
    built_in_role(role_id).is_none()
}

/// `raw` as the id of a custom role that could be stored: custom role ids
/// are UUIDs, so anything else is not read (nor can it make a key too long
/// for DynamoDB).
pub fn stored_role_id(raw: &str) -> Option<&str> {
    let id = raw.trim();
    (is_custom_role(id) && uuid::Uuid::parse_str(id).is_ok()).then_some(id)
}

/// Inputs to R1, gathered from a membership and its role.
pub struct Grants<'a> {
    pub role_id: &'a str,
    pub role_permissions: &'a [String],
    pub grant: &'a [String],
    pub revoke: &'a [String],
    pub access_billing: bool,
    pub active: bool,
}

/// R1: role ∪ grant − revoke, minus `billing.*` without billing access, nothing
/// when deactivated. A director takes no overrides and always has billing.
/// Keys outside the catalogue are dropped so a stale custom role grants nothing
/// unknown. The result is sorted.
pub fn effective_permissions(g: &Grants<'_>) -> Vec<String> {
    if !g.active {
        return Vec::new();
    }
    if g.role_id == DIRECTOR {
        return CATALOGUE.iter().map(|d| d.key.to_string()).collect::<BTreeSet<_>>().into_iter().collect();
    }
    let mut set: BTreeSet<&str> = g.role_permissions.iter().map(String::as_str).collect();
    set.extend(g.grant.iter().map(String::as_str));
    for r in g.revoke {
        set.remove(r.as_str());
    }
    if !g.access_billing {
        set.retain(|k| !k.starts_with("billing."));
    }
    set.into_iter().filter(|k| is_known(k)).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn catalogue_keys_are_unique() {
        let keys: BTreeSet<_> = CATALOGUE.iter().map(|d| d.key).collect();
        assert_eq!(keys.len(), CATALOGUE.len());
        assert_eq!(CATALOGUE.len(), 34);
    }

    #[test]
    fn built_in_roles_match_the_spec() {
        let r = |id| built_in_role(id).map(|r| r.permissions).unwrap_or_default();
        assert_eq!(r("director").len(), CATALOGUE.len());
        assert!(r("supervisor").contains(&"clinical.charts"));
        assert!(!r("supervisor").contains(&"clinical.assigned_clients_only"));
        assert!(!r("supervisor").contains(&USERS_MANAGE));
        assert!(r("clinician").contains(&"clinical.assigned_clients_only"));
        assert!(!r("clinician").contains(&"calendar.delete"));
        assert_eq!(r("front_desk").len(), 8);
        assert_eq!(r("billing_manager").len(), 8);
        assert!(r("administrative").contains(&"billing.refunds"));
        assert!(built_in_role("nope").is_none());
        for role in built_in_roles() {
            assert!(role.permissions.iter().all(|k| is_known(k)), "{}", role.id);
        }
    }

    // R1
    #[test]
    fn effective_is_role_plus_grant_minus_revoke() {
        let role = s(&["inbox", "patients", "billing.payments"]);
        let got = effective_permissions(&Grants {
            role_id: "front_desk",
            role_permissions: &role,
            grant: &s(&["contacts"]),
            revoke: &s(&["inbox"]),
            access_billing: true,
            active: true,
        });
        assert_eq!(got, s(&["billing.payments", "contacts", "patients"]));
    }

    // R1: billing access off removes every billing key, granted ones too.
    #[test]
    fn billing_access_off_removes_billing_keys() {
        let role = s(&["billing.payments", "patients"]);
        let got = effective_permissions(&Grants {
            role_id: "x",
            role_permissions: &role,
            grant: &s(&["billing.refunds"]),
            revoke: &[],
            access_billing: false,
            active: true,
        });
        assert_eq!(got, s(&["patients"]));
    }

    // R1, R19: a deactivated membership has nothing.
    #[test]
    fn deactivated_has_nothing() {
        let role = s(&["patients"]);
        let got = effective_permissions(&Grants {
            role_id: DIRECTOR,
            role_permissions: &role,
            grant: &[],
            revoke: &[],
            access_billing: true,
            active: false,
        });
        assert!(got.is_empty());
    }

    // R1: a director ignores overrides and billing access.
    #[test]
    fn director_has_everything() {
        let got = effective_permissions(&Grants {
            role_id: DIRECTOR,
            role_permissions: &[],
            grant: &[],
            revoke: &s(&[USERS_MANAGE]),
            access_billing: false,
            active: true,
        });
        assert_eq!(got.len(), CATALOGUE.len());
        assert!(got.contains(&USERS_MANAGE.to_string()));
        let mut sorted = got.clone();
        sorted.sort();
        assert_eq!(got, sorted);
    }

    #[test]
    fn unknown_keys_never_leak() {
        let got = effective_permissions(&Grants {
            role_id: "x",
            role_permissions: &s(&["made.up"]),
            grant: &s(&["also.fake"]),
            revoke: &[],
            access_billing: true,
            active: true,
        });
        assert!(got.is_empty());
    }
}
