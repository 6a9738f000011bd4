//! Contract test: `roster_api::routes::ROUTES` is the one route table. The
//! cargo-lambda local router (root Cargo.toml), the SAM template
//! (infra/template.yaml), the OpenAPI document (infra/openapi.yaml) and the
//! packages under functions/ must agree with it. Every check collects all the
//! differences it finds and fails naming each of them.
//!
//! The template's own checks are in `template`, the OpenAPI document's in
//! `openapi`.

mod openapi;
mod template;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::common::{repo_file, repo_root};
use roster_api::routes::{Route, ROUTES};
use serde_yaml::Value;

/// (METHOD, path, function name).
pub(super) type Triple = (String, String, String);

pub(super) const HTTP_METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// The intrinsic-function short tags CloudFormation knows.
pub(super) const CFN_TAGS: [&str; 17] = [
    "Ref",
    "Sub",
    "GetAtt",
    "Join",
    "Select",
    "Split",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "FindInMap",
    "ImportValue",
    "GetAZs",
    "Base64",
    "Cidr",
    "Condition",
];

// ---------------------------------------------------------------- helpers

pub(super) fn cargo_toml(rel: &str) -> toml::Table {
    repo_file(rel).parse::<toml::Table>().unwrap_or_else(|e| panic!("{rel} is not valid TOML: {e}"))
}

/// Strip CloudFormation short tags (`!Ref x` parses as a tagged value).
pub(super) fn untag(v: &Value) -> &Value {
    match v {
        Value::Tagged(t) => untag(&t.value),
        other => other,
    }
}

pub(super) fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    untag(v).as_mapping().and_then(|m| m.get(key))
}

pub(super) fn get_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    get(v, key).map(untag).and_then(Value::as_str)
}

pub(super) fn entries(v: Option<&Value>) -> Vec<(String, &Value)> {
    v.map(untag)
        .and_then(Value::as_mapping)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.as_str()?.to_string(), v))).collect())
        .unwrap_or_default()
}

pub(super) fn route_triple(r: &Route) -> Triple {
    (r.method.to_ascii_uppercase(), r.path.to_string(), r.function.name().to_string())
}

pub(super) fn expected_triples() -> BTreeSet<Triple> {
    ROUTES.iter().map(route_triple).collect()
}

pub(super) fn show(t: &Triple) -> String {
    format!("{} {} -> {}", t.0, t.1, t.2)
}

/// Differences between ROUTES and what `source` declares, one line each.
pub(super) fn diff_routes(source: &str, found: &BTreeSet<Triple>) -> Vec<String> {
    let expected = expected_triples();
    let mut out = Vec::new();
    for t in expected.difference(found) {
        out.push(format!("in ROUTES but missing from {source}: {}", show(t)));
    }
    for t in found.difference(&expected) {
        out.push(format!("in {source} but not in ROUTES: {}", show(t)));
    }
    out
}

pub(super) fn fail_on(check: &str, problems: Vec<String>) {
    if !problems.is_empty() {
        let mut msg = format!("{check}: {} problem(s)\n", problems.len());
        for p in &problems {
            let _ = writeln!(msg, "  - {p}");
        }
        panic!("{msg}");
    }
}

/// `CreatePractice` -> `create_practice`.
pub(super) fn snake_case(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

pub(super) fn path_params(path: &str) -> BTreeSet<String> {
    path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).map(str::to_string).collect()
}

// ------------------------------------------------------------- packages

/// Package name of every crate directly under functions/, by directory name.
pub(super) fn function_packages() -> BTreeMap<String, String> {
    let dir = repo_root().join("functions");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("functions/ exists") {
        let entry = entry.expect("dir entry");
        let manifest = entry.path().join("Cargo.toml");
        if !manifest.is_file() {
            continue;
        }
        let dir_name = entry.file_name().to_string_lossy().into_owned();
        let rel = format!("functions/{dir_name}/Cargo.toml");
        let name = cargo_toml(&rel)
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
            .unwrap_or_else(|| panic!("{rel} has no package.name"))
            .to_string();
        out.insert(dir_name, name);
    }
    out
}

// -------------------------------------------------------------- template

pub(super) struct TemplateFunction {
    logical_id: String,
    binary: Option<String>,
    build_method: Option<String>,
    /// (METHOD, path) of each HttpApi event.
    routes: BTreeSet<(String, String)>,
    schedules: usize,
    problems: Vec<String>,
}

pub(super) fn template_functions(template: &Value) -> Vec<TemplateFunction> {
    let mut out = Vec::new();
    for (id, res) in entries(get(template, "Resources")) {
        if get_str(res, "Type") != Some("AWS::Serverless::Function") {
            continue;
        }
        let metadata = get(res, "Metadata");
        let mut f = TemplateFunction {
            logical_id: id.clone(),
            binary: metadata
                .and_then(|m| get(m, "BuildProperties"))
                .and_then(|b| get_str(b, "Binary"))
                .map(String::from),
            build_method: metadata.and_then(|m| get_str(m, "BuildMethod")).map(String::from),
            routes: BTreeSet::new(),
            schedules: 0,
            problems: Vec::new(),
        };
        let events = get(res, "Properties").and_then(|p| get(p, "Events"));
        for (ev_id, ev) in entries(events) {
            let props = get(ev, "Properties");
            match get_str(ev, "Type") {
                Some("HttpApi") => {
                    let method = props.and_then(|p| get_str(p, "Method"));
                    let path = props.and_then(|p| get_str(p, "Path"));
                    match (method, path) {
                        (Some(m), Some(p)) => {
                            if !f.routes.insert((m.to_ascii_uppercase(), p.to_string())) {
                                f.problems.push(format!("{id}.{ev_id}: duplicate event for {m} {p}"));
                            }
                        }
                        _ => f.problems.push(format!("{id}.{ev_id}: HttpApi event without Method and Path")),
                    }
                    if !refs(props.and_then(|p| get(p, "ApiId")), "HttpApi") {
                        f.problems.push(format!("{id}.{ev_id}: ApiId is not `!Ref HttpApi`"));
                    }
                }
                // A schedule (the sweep) or an EventBridge rule (SES feedback).
                Some("Schedule") | Some("ScheduleV2") | Some("EventBridgeRule") => f.schedules += 1,
                other => f.problems.push(format!("{id}.{ev_id}: unexpected event type {other:?}")),
            }
        }
        // The table's stream (delivery), mapped by a resource of its own so
        // that SAM attaches no managed policy (tests/it/iam.rs).
        f.schedules += entries(get(template, "Resources"))
            .iter()
            .filter(|(_, r)| get_str(r, "Type") == Some("AWS::Lambda::EventSourceMapping"))
            .filter(|(_, r)| refs(get(r, "Properties").and_then(|p| get(p, "FunctionName")), &id))
            .count();
        out.push(f);
    }
    out
}

/// Whether `v` is `!Ref target` (or the long form `{Ref: target}`).
pub(super) fn refs(v: Option<&Value>, target: &str) -> bool {
    match v {
        Some(Value::Tagged(t)) => t.tag == "Ref" && t.value.as_str() == Some(target),
        Some(v) => get_str(v, "Ref") == Some(target),
        None => false,
    }
}

pub(super) fn collect_tags(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Tagged(t) => {
            out.insert(t.tag.to_string());
            collect_tags(&t.value, out);
        }
        Value::Sequence(s) => s.iter().for_each(|x| collect_tags(x, out)),
        Value::Mapping(m) => m.iter().for_each(|(k, x)| {
            collect_tags(k, out);
            collect_tags(x, out);
        }),
        _ => {}
    }
}

// --------------------------------------------------------------- openapi

/// Follow a local `$ref` (`#/a/b`) through the document.
pub(super) fn resolve<'a>(doc: &'a Value, v: &'a Value) -> Result<&'a Value, String> {
    let mut v = v;
    for _ in 0..16 {
        let Some(r) = get_str(v, "$ref") else { return Ok(v) };
        let pointer = r.strip_prefix("#/").ok_or_else(|| format!("non-local $ref {r}"))?;
        let mut at = doc;
        for part in pointer.split('/') {
            let part = part.replace("~1", "/").replace("~0", "~");
            at = get(at, &part).ok_or_else(|| format!("$ref {r} does not resolve"))?;
        }
        v = at;
    }
    Err("$ref chain too long".into())
}

pub(super) fn all_refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Mapping(m) => {
            for (k, x) in m {
                if k.as_str() == Some("$ref") {
                    if let Some(s) = x.as_str() {
                        out.push(s);
                    }
                } else {
                    all_refs(x, out);
                }
            }
        }
        Value::Sequence(s) => s.iter().for_each(|x| all_refs(x, out)),
        Value::Tagged(t) => all_refs(&t.value, out),
        _ => {}
    }
}

// ================================================================= tests

#[test]
fn routes_table_is_consistent() {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for r in ROUTES {
        if !seen.insert((r.method, r.path)) {
            problems.push(format!("duplicate route {} {}", r.method, r.path));
        }
        if !HTTP_METHODS.contains(&r.method.to_ascii_lowercase().as_str()) || r.method != r.method.to_ascii_uppercase()
        {
            problems.push(format!("method {:?} of {} is not an upper-case HTTP method", r.method, r.path));
        }
        if !r.path.starts_with('/') || r.path.ends_with('/') || r.path.contains("//") {
            problems.push(format!("path {:?} is not of the form /a/{{b}}", r.path));
        }
    }
    let ops: BTreeSet<String> = ROUTES.iter().map(|r| format!("{:?}", r.op)).collect();
    if ops.len() != ROUTES.len() {
        problems.push("two routes share one Op".into());
    }
    fail_on("ROUTES", problems);
}

/// a) `[workspace.metadata.lambda.watch.router]` in the root Cargo.toml.
#[test]
fn cargo_lambda_router_matches_routes() {
    let manifest = cargo_toml("Cargo.toml");
    let router = manifest
        .get("workspace")
        .and_then(|w| w.get("metadata"))
        .and_then(|m| m.get("lambda"))
        .and_then(|l| l.get("watch"))
        .and_then(|w| w.get("router"))
        .and_then(|r| r.as_table())
        .expect("root Cargo.toml has a [workspace.metadata.lambda.watch.router] table");

    let mut problems = Vec::new();
    let mut found = BTreeSet::new();
    for (path, routes) in router {
        let Some(routes) = routes.as_array() else {
            problems.push(format!("router {path:?}: not an array of {{ method, function }}"));
            continue;
        };
        for entry in routes {
            let method = entry.get("method").and_then(|m| m.as_str());
            let function = entry.get("function").and_then(|f| f.as_str());
            match (method, function) {
                (Some(m), Some(f)) => {
                    let t = (m.to_ascii_uppercase(), path.clone(), f.to_string());
                    if !found.insert(t.clone()) {
                        problems.push(format!("router: duplicate entry {}", show(&t)));
                    }
                }
                _ => problems.push(format!("router {path:?}: entry {entry} lacks method or function")),
            }
        }
    }
    problems.extend(diff_routes("the cargo-lambda router (Cargo.toml)", &found));
    fail_on("cargo-lambda router", problems);
}
