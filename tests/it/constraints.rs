//! Issue 14 item 9: the OpenAPI document's constraints on every request
//! field (bodies, query, path and header parameters) are the code's. Each
//! field the document's operations take has one rule below, written with the
//! code's own constants and parsers; the test fails when a field has no rule,
//! a rule names no field, or the document says anything else. A fuzzer that
//! generates from the document then sends what the code takes, and the code
//! refuses what the document refuses.

use crate::common::repo_yaml;
use roster_api::request::{LIMIT_DEFAULT, LIMIT_MAX};
use roster_domain::access::Kind;
use roster_domain::model::invitation::InvitationStatus;
use roster_domain::model::license::Module;
use roster_domain::model::policy as pol;
use roster_domain::model::EmergencyList;
use roster_domain::permissions::CATALOGUE;
use roster_domain::service::audit_export::ExportFormat;
use roster_domain::service::invitations::{answers, bulk};
use roster_domain::service::members::read::MemberListStatus;
use roster_domain::service::members::status::BULK_MAX;
use roster_domain::service::roles::ROLE_NAME_MAX;
use roster_domain::validate::{self as v, text_pattern};
use serde_json::{json, Value};
use serde_yaml::Value as Yaml;
use std::collections::{BTreeMap, BTreeSet};

/// What the code makes of one field, as the document must say it.
enum Rule {
    /// `Errors::required_name` / `optional_name`: a name of at most `max`
    /// characters; `required` ones may not be empty, `nullable` ones take `null`.
    Name {
        max: usize,
        required: bool,
        nullable: bool,
    },
    /// `Errors::optional_text`: plain text, `null` for none.
    Text(usize),
    /// A location's time zone: the shape `practices::valid_time_zone` takes.
    TimeZone,
    /// `validate::parse_email`.
    Email,
    /// `Errors::password` (R24).
    NewPassword,
    /// A password typed to be checked: anything but empty.
    Typed,
    /// A token or code: anything but whitespace (`str::trim`).
    NonBlank,
    /// Any string: the stored state decides (a role id, a cursor, a version).
    AnyString,
    /// A practitioner profile's text: only its length is checked.
    MaxChars(usize),
    Npi,
    Taxonomy,
    Capacity,
    SchedulingStep,
    Bool,
    True,
    Uuid,
    Kind,
    Modules,
    Permissions,
    UserIds,
    /// R52's rows: invitation bodies, at most `bulk::MAX_ROWS`.
    BulkRows,
    /// `answers::KEY_MAX` visible ASCII characters.
    IdempotencyKey,
    Limit,
    Search,
    MemberStatus,
    InvitationStatus,
    /// `EmergencyList::parse` (R50), the review queue when left out.
    EmergencyStatus,
    /// An RFC 3339 instant (`DateTime::parse_from_rfc3339`).
    Instant,
    /// `audit_export::ExportFormat`, `csv` when left out.
    AuditFormat,
    /// A number of minutes in a range, with its default (R48, R50).
    /// Whole minutes in a range; left out, the current value stays.
    Minutes(std::ops::RangeInclusive<u32>),
    /// The field is the named schema (whose own fields have their rules).
    Ref(&'static str),
    /// The named schema, or `null`.
    RefOrNull(&'static str),
}

/// The rule of each field, by `Schema.field`, or `operation?param` for a
/// parameter written in one operation, `#param` for a shared one.
fn rules() -> Vec<(&'static str, Rule)> {
    use Rule::*;
    let name = |max, required| Name { max, required, nullable: false };
    let optional = |max| Name { max, required: false, nullable: true };
    vec![
        ("SignupRequest.email", Email),
        ("SignupRequest.password", NewPassword),
        ("SignupRequest.first_name", name(v::NAME_MAX, true)),
        ("SignupRequest.last_name", name(v::NAME_MAX, true)),
        ("SignupRequest.title", optional(v::TITLE_MAX)),
        // Anything else than an address with an account is 401, as a wrong password.
        ("LoginRequest.email", Email),
        ("LoginRequest.password", Typed),
        ("LoginMfaRequest.mfa_token", NonBlank),
        ("LoginMfaRequest.code", NonBlank),
        ("VerifyEmailRequest.token", NonBlank),
        // Any text: one that names no account answers the same 202 (R27).
        ("PasswordResetRequest.email", AnyString),
        ("ConfirmPasswordResetRequest.token", NonBlank),
        ("ConfirmPasswordResetRequest.new_password", NewPassword),
        ("PatchMeRequest.title", optional(v::TITLE_MAX)),
        ("PatchMeRequest.first_name", name(v::NAME_MAX, true)),
        ("PatchMeRequest.last_name", name(v::NAME_MAX, true)),
        ("ChangePasswordRequest.current_password", Typed),
        ("ChangePasswordRequest.new_password", NewPassword),
        ("DisableTotpRequest.current_password", Typed),
        ("DisableTotpRequest.code", NonBlank),
        ("TotpCodeRequest.code", NonBlank),
        ("CreatePracticeRequest.name", name(v::PRACTICE_NAME_MAX, true)),
        ("CreatePracticeRequest.location", Ref("NewLocation")),
        ("PatchPracticeRequest.name", name(v::PRACTICE_NAME_MAX, true)),
        ("NewLocation.name", name(v::LOCATION_NAME_MAX, true)),
        ("NewLocation.address", Text(v::ADDRESS_MAX)),
        ("NewLocation.time_zone", TimeZone),
        ("PatchLocationRequest.name", name(v::LOCATION_NAME_MAX, true)),
        ("PatchLocationRequest.address", Text(v::ADDRESS_MAX)),
        ("PatchLocationRequest.time_zone", TimeZone),
        ("PatchLocationRequest.active", Bool),
        ("PracticeSettingsRequest.default_roles", Ref("DefaultRoles")),
        ("PracticeSettingsRequest.onboarding_mails", Bool),
        ("SecurityPolicyRequest.require_mfa", Bool),
        ("SecurityPolicyRequest.session_idle_minutes", Minutes(pol::SESSION_IDLE_MINUTES)),
        ("SecurityPolicyRequest.emergency_access", Ref("EmergencyPolicyRequest")),
        ("EmergencyPolicyRequest.enabled", Bool),
        ("EmergencyPolicyRequest.permissions", Permissions),
        ("EmergencyPolicyRequest.max_minutes", Minutes(pol::EMERGENCY_MINUTES)),
        ("DefaultRoles.practitioner", AnyString),
        ("DefaultRoles.staff", AnyString),
        ("RoleInput.name", name(ROLE_NAME_MAX, true)),
        ("RoleInput.permissions", Permissions),
        ("RolePatch.name", name(ROLE_NAME_MAX, true)),
        ("RolePatch.permissions", Permissions),
        ("AccessChange.kind", Kind),
        ("AccessChange.role_id", AnyString),
        ("AccessChange.access_billing", Bool),
        ("AccessChange.show_on_calendar", Bool),
        ("AccessChange.primary_location_id", Uuid),
        ("AccessChange.location_access", Ref("LocationAccess")),
        ("AccessChange.overrides", Ref("OverridesInput")),
        ("AccessChange.mfa_required", Bool),
        ("AccessChange.practitioner", RefOrNull("PractitionerInput")),
        ("AccessChange.modules", Modules),
        ("OverridesInput.grant", Permissions),
        ("OverridesInput.revoke", Permissions),
        ("PractitionerInput.profession", MaxChars(v::PROFESSION_MAX)),
        ("PractitionerInput.registration_number", MaxChars(v::REGISTRATION_NUMBER_MAX)),
        ("PractitionerInput.npi", Npi),
        ("PractitionerInput.taxonomy_code", Taxonomy),
        ("PractitionerInput.bio", MaxChars(v::BIO_MAX)),
        ("PractitionerInput.capacity", Capacity),
        ("PractitionerInput.scheduling_step_minutes", SchedulingStep),
        ("InviteRequest.email", Email),
        ("InviteRequest.first_name", optional(v::NAME_MAX)),
        ("InviteRequest.last_name", optional(v::NAME_MAX)),
        ("InviteRequest.title", optional(v::TITLE_MAX)),
        ("InviteRequest.temporary_password", NewPassword),
        ("InviteRequest.accept_license_terms", Bool),
        ("UpdateAccessInput.accept_license_terms", Bool),
        ("UpdateDetailsInput.display_name", name(v::DISPLAY_NAME_MAX, true)),
        ("UpdateDetailsInput.title", optional(v::TITLE_MAX)),
        ("UpdateDetailsInput.first_name", name(v::NAME_MAX, true)),
        ("UpdateDetailsInput.last_name", name(v::NAME_MAX, true)),
        ("RegisterRequest.first_name", name(v::NAME_MAX, true)),
        ("RegisterRequest.last_name", name(v::NAME_MAX, true)),
        ("RegisterRequest.title", optional(v::TITLE_MAX)),
        ("RegisterRequest.password", NewPassword),
        ("RegisterRequest.accept_terms", True),
        ("ReactivateInput.role_id", AnyString),
        ("ReactivateInput.accept_license_terms", Bool),
        ("BulkReactivateInput.user_ids", UserIds),
        ("BulkReactivateInput.accept_license_terms", Bool),
        ("BulkInviteInput.rows", BulkRows),
        ("BulkInviteInput.dry_run", Bool),
        ("bulk_invite?dry_run", Bool),
        ("bulk_invite?Idempotency-Key", IdempotencyKey),
        ("UnlockInput.temporary_password", NewPassword),
        ("TemporaryPasswordInput.temporary_password", NewPassword),
        // An id that does not parse names nothing: 404 (R2), as one that does.
        ("#pid", Uuid),
        ("#lid", Uuid),
        ("#uid", Uuid),
        ("#iid", Uuid),
        ("#invitation_id", Uuid),
        ("#session_id", Uuid),
        ("#emergency_id", Uuid),
        ("#rid", AnyString),
        ("#token", AnyString),
        ("#IfMatch", AnyString),
        ("#cursor", AnyString),
        ("#limit", Limit),
        ("list_members?q", Search),
        ("list_members?status", MemberStatus),
        ("list_invitations?q", Search),
        ("list_invitations?status", InvitationStatus),
        ("list_emergency?status", EmergencyStatus),
        ("audit_export?from", Instant),
        ("audit_export?to", Instant),
        ("audit_export?format", AuditFormat),
        ("audit_export?cursor", AnyString),
    ]
}

/// The fields each request schema's code answers `422 "is required"` (or,
/// for `accept_terms`, "must be true") when left out; every other request
/// schema's fields may be left out.
fn required() -> BTreeMap<&'static str, Vec<&'static str>> {
    BTreeMap::from([
        ("SignupRequest", vec!["email", "password", "first_name", "last_name"]),
        ("LoginRequest", vec!["email", "password"]),
        ("LoginMfaRequest", vec!["mfa_token", "code"]),
        ("VerifyEmailRequest", vec!["token"]),
        ("ConfirmPasswordResetRequest", vec!["token", "new_password"]),
        ("ChangePasswordRequest", vec!["current_password", "new_password"]),
        ("TotpCodeRequest", vec!["code"]),
        ("CreatePracticeRequest", vec!["name", "location"]),
        ("NewLocation", vec!["name"]),
        ("PracticeSettingsRequest", vec!["default_roles", "onboarding_mails"]),
        ("DefaultRoles", vec!["practitioner", "staff"]),
        ("RoleInput", vec!["name", "permissions"]),
        ("InviteRequest", vec!["email", "kind", "primary_location_id"]),
        ("RegisterRequest", vec!["password", "accept_terms"]),
        ("BulkReactivateInput", vec!["user_ids"]),
        ("BulkInviteInput", vec!["rows"]),
        ("TemporaryPasswordInput", vec!["temporary_password"]),
    ])
}

/// A regular-expression class (without brackets) of the characters of the
/// Basic Multilingual Plane that `pick` picks, in runs.
fn class(pick: impl Fn(char) -> bool) -> String {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for c in (0..=0xFFFFu32).filter(|c| char::from_u32(*c).is_some_and(&pick)) {
        match runs.last_mut() {
            Some((_, b)) if *b + 1 == c => *b = c,
            _ => runs.push((c, c)),
        }
    }
    runs.iter().map(|&(a, b)| if a == b { escape(a) } else { format!("{}-{}", escape(a), escape(b)) }).collect()
}

/// Anything but whitespace as `str::trim` sees it.
fn non_blank_pattern() -> String {
    format!("[^{}]", class(char::is_whitespace))
}

/// The shape `practices::valid_time_zone` takes, between the whitespace
/// `str::trim` takes off that `Errors::plain` lets through.
fn time_zone_pattern() -> String {
    let ws = class(|c| c.is_whitespace() && !v::LINE_BREAKING.iter().any(|r| r.contains(&c)));
    format!("^[{ws}]*(UTC|[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)+)?[{ws}]*$")
}

fn escape(c: u32) -> String {
    match c {
        0x09 => "\\t".into(),
        0x0D => "\\r".into(),
        0x20 => " ".into(),
        _ => format!("\\u{c:04X}"),
    }
}

fn expected(rule: &Rule) -> Value {
    let text = text_pattern();
    let nullable_string = json!(["string", "null"]);
    match rule {
        Rule::Name { max, required, nullable } => {
            let mut v = json!({"type": "string", "format": "name", "maxLength": max, "pattern": text});
            if *required {
                v["minLength"] = json!(1);
            }
            // Not `type: [string, null]`: Schemathesis would take `null` for
            // a value that breaks the `format`.
            if *nullable {
                v = json!({"anyOf": [v, {"type": "null"}]});
            }
            v
        }
        Rule::Text(max) => json!({"type": nullable_string, "maxLength": max, "pattern": text}),
        Rule::TimeZone => {
            json!({"type": nullable_string, "maxLength": v::TIME_ZONE_MAX, "pattern": time_zone_pattern()})
        }
        Rule::Email => json!({"type": "string", "format": "email", "maxLength": v::EMAIL_MAX}),
        Rule::NewPassword => json!({"type": "string", "minLength": v::PASSWORD_MIN, "maxLength": v::PASSWORD_MAX}),
        Rule::Typed => json!({"type": "string", "minLength": 1}),
        Rule::NonBlank => json!({"type": "string", "pattern": non_blank_pattern()}),
        Rule::AnyString => json!({"type": "string"}),
        Rule::MaxChars(max) => json!({"type": nullable_string, "maxLength": max}),
        Rule::Npi => json!({"type": nullable_string, "pattern": "^[0-9]{10}$"}),
        Rule::Taxonomy => json!({"type": nullable_string, "pattern": "^[0-9A-Za-z]{9}X$"}),
        Rule::Capacity => json!({"type": ["integer", "null"], "minimum": v::CAPACITY.start(),
            "maximum": v::CAPACITY.end()}),
        Rule::SchedulingStep => {
            let mut steps: Vec<Value> = v::SCHEDULING_STEPS.iter().map(|s| json!(s)).collect();
            steps.push(Value::Null);
            json!({"type": ["integer", "null"], "enum": steps})
        }
        Rule::Bool => json!({"type": "boolean"}),
        Rule::True => json!({"type": "boolean", "const": true}),
        Rule::Uuid => json!({"type": "string", "format": "uuid"}),
        Rule::Kind => {
            let kinds = [Kind::Practitioner, Kind::Staff].map(|k| serde_json::to_value(k).unwrap_or_default());
            json!({"type": "string", "enum": kinds})
        }
        Rule::Modules => json!({"type": "array", "items": {"$ref": "#/components/schemas/Module"}}),
        Rule::Permissions => json!({"type": "array", "items": {"$ref": "#/components/schemas/PermissionKey"}}),
        Rule::UserIds => json!({"type": "array", "minItems": 1, "maxItems": BULK_MAX, "items": {"type": "string"}}),
        Rule::BulkRows => json!({"type": "array", "minItems": 1, "maxItems": bulk::MAX_ROWS,
            "items": {"$ref": "#/components/schemas/InviteRequest"}}),
        Rule::IdempotencyKey => {
            json!({"type": "string", "minLength": 1, "maxLength": answers::KEY_MAX, "pattern": "^[!-~]+$"})
        }
        Rule::Limit => json!({"type": "integer", "minimum": 1, "maximum": LIMIT_MAX, "default": LIMIT_DEFAULT}),
        Rule::Search => json!({"type": "string", "maxLength": v::SEARCH_MAX}),
        Rule::MemberStatus => json!({"type": "string", "enum": ["active", "deactivated", "locked", "all"],
            "default": "active"}),
        Rule::InvitationStatus => json!({"type": "string",
            "enum": ["pending", "accepted", "declined", "revoked", "expired", "all"], "default": "all"}),
        Rule::EmergencyStatus => json!({"type": "string", "enum": ["open", "unreviewed", "all"],
            "default": "unreviewed"}),
        Rule::Instant => json!({"type": "string", "format": "date-time"}),
        Rule::AuditFormat => {
            let formats = [ExportFormat::Csv, ExportFormat::Ndjson].map(ExportFormat::as_str);
            json!({"type": "string", "enum": formats, "default": ExportFormat::Csv.as_str()})
        }
        Rule::Minutes(range) => json!({"type": "integer", "minimum": range.start(), "maximum": range.end()}),
        Rule::Ref(name) => json!({"$ref": format!("#/components/schemas/{name}")}),
        Rule::RefOrNull(name) => {
            json!({"oneOf": [{"$ref": format!("#/components/schemas/{name}")}, {"type": "null"}]})
        }
    }
}

/// The constraint keywords of a field's schema, as JSON.
fn constraints(schema: &Yaml) -> Value {
    const KEYWORDS: [&str; 17] = [
        "type",
        "format",
        "minLength",
        "maxLength",
        "pattern",
        "enum",
        "const",
        "minimum",
        "maximum",
        "minItems",
        "maxItems",
        "items",
        "$ref",
        "oneOf",
        "anyOf",
        "default",
        "uniqueItems",
    ];
    let mut out = serde_json::Map::new();
    for k in KEYWORDS {
        if let Some(v) = schema.get(k) {
            let mut v = serde_json::to_value(v).unwrap_or_default();
            if let Some(items) = v.as_object_mut() {
                items.remove("description");
            }
            out.insert(k.to_string(), v);
        }
    }
    Value::Object(out)
}

/// Every request field of every operation, by the keys `rules` uses.
fn request_fields(doc: &Yaml) -> BTreeMap<String, Yaml> {
    let schemas = &doc["components"]["schemas"];
    let mut out = BTreeMap::new();
    let mut todo: Vec<String> = Vec::new();
    for (_, item) in doc["paths"].as_mapping().into_iter().flatten() {
        for (method, op) in item.as_mapping().into_iter().flatten() {
            let params = item["parameters"].as_sequence().into_iter().flatten();
            for p in params.chain(op["parameters"].as_sequence().into_iter().flatten()) {
                match p["$ref"].as_str() {
                    Some(r) => {
                        let name = r.rsplit('/').next().unwrap_or_default();
                        out.insert(format!("#{name}"), doc["components"]["parameters"][name]["schema"].clone());
                    }
                    None => {
                        let key = format!(
                            "{}?{}",
                            op["operationId"].as_str().unwrap_or_default(),
                            p["name"].as_str().unwrap_or_default()
                        );
                        out.insert(key, p["schema"].clone());
                    }
                }
            }
            if method.as_str() == Some("parameters") {
                continue;
            }
            let body = &op["requestBody"]["content"]["application/json"]["schema"]["$ref"];
            todo.extend(body.as_str().map(|r| r.rsplit('/').next().unwrap_or_default().to_string()));
        }
    }
    let mut seen = BTreeSet::new();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let schema = &schemas[name.as_str()];
        let target = schema["$ref"].as_str().map(|r| r.rsplit('/').next().unwrap_or_default().to_string());
        if let Some(target) = target {
            todo.push(target);
            continue;
        }
        let parts = schema["allOf"].as_sequence().cloned().unwrap_or_default();
        for part in parts.iter().chain([schema.clone()].iter()) {
            if let Some(r) = part["$ref"].as_str() {
                todo.push(r.rsplit('/').next().unwrap_or_default().to_string());
            }
            for (prop, field) in part["properties"].as_mapping().into_iter().flatten() {
                out.insert(format!("{name}.{}", prop.as_str().unwrap_or_default()), field.clone());
                let refs = [&field["$ref"]]
                    .into_iter()
                    .chain(field["oneOf"].as_sequence().into_iter().flatten().map(|s| &s["$ref"]));
                for r in refs.filter_map(Yaml::as_str) {
                    let target = r.rsplit('/').next().unwrap_or_default();
                    if schemas[target]["properties"].is_mapping() {
                        todo.push(target.to_string());
                    }
                }
            }
        }
    }
    out
}

#[test]
fn every_request_field_has_the_codes_constraints() {
    let doc = repo_yaml("infra/openapi.yaml");
    let fields = request_fields(&doc);
    let rules = rules();
    let mut problems = Vec::new();
    let ruled: BTreeSet<&str> = rules.iter().map(|(k, _)| *k).collect();
    for key in fields.keys().filter(|k| !ruled.contains(k.as_str())) {
        problems.push(format!("{key}: a request field with no rule in tests/it/constraints.rs"));
    }
    for (key, rule) in &rules {
        let Some(schema) = fields.get(*key) else {
            problems.push(format!("{key}: a rule for no request field of the document"));
            continue;
        };
        let (want, got) = (expected(rule), constraints(schema));
        if want != got {
            problems.push(format!("{key}: the document says {got}, the code {want}"));
        }
    }
    let schemas: BTreeSet<&str> = fields.keys().filter_map(|k| k.split_once('.').map(|(s, _)| s)).collect();
    let want = required();
    for schema in schemas {
        let listed = &doc["components"]["schemas"][schema];
        let parts = listed["allOf"].as_sequence().cloned().unwrap_or_default();
        let mut got: Vec<String> = parts
            .iter()
            .chain([listed])
            .flat_map(|p| p["required"].as_sequence().cloned().unwrap_or_default())
            .filter_map(|v| v.as_str().map(String::from))
            .collect();
        got.sort_unstable();
        let mut expected: Vec<String> = want.get(schema).into_iter().flatten().map(|s| s.to_string()).collect();
        expected.sort_unstable();
        if got != expected {
            problems.push(format!("{schema}: the document requires {got:?}, the code {expected:?}"));
        }
    }
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}

/// The enums the rules name are the code's: what the document lists parses,
/// and the code takes nothing else.
#[test]
fn the_documents_enums_are_the_codes() {
    let doc = repo_yaml("infra/openapi.yaml");
    let listed = |schema: &str| -> Vec<String> {
        doc["components"]["schemas"][schema]["enum"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    };
    let keys: Vec<String> = CATALOGUE.iter().map(|d| d.key.to_string()).collect();
    assert_eq!(listed("PermissionKey"), keys);
    let modules: Vec<String> = Module::ALL.iter().map(|m| m.as_str().to_string()).collect();
    assert_eq!(listed("Module"), modules);
    for s in ["active", "deactivated", "locked", "all"] {
        assert!(MemberListStatus::parse(Some(s)).is_ok(), "{s}");
    }
    assert_eq!(MemberListStatus::parse(None).ok(), MemberListStatus::parse(Some("active")).ok());
    assert!(MemberListStatus::parse(Some("pending")).is_err());
    for s in ["pending", "accepted", "declined", "revoked", "expired"] {
        assert!(InvitationStatus::parse(s).is_some(), "{s}");
    }
    assert!(InvitationStatus::parse("active").is_none());
    for s in ["open", "unreviewed", "all"] {
        assert!(EmergencyList::parse(Some(s)).is_ok(), "{s}");
    }
    assert_eq!(EmergencyList::parse(None).ok(), EmergencyList::parse(Some("unreviewed")).ok());
    // The taxonomy pattern takes lower-case letters because the code does.
    assert!(v::valid_taxonomy("207q00000X") && !v::valid_taxonomy("207Q00000x"));
    assert!(v::valid_npi("1234567893"));
}
