//! Contract test: `roster_api::routes::ROUTES` is the one route table. The
//! cargo-lambda local router (root Cargo.toml), the SAM template
//! (infra/template.yaml), the OpenAPI document (infra/openapi.yaml) and the
//! packages under functions/ must agree with it. Every check collects all the
//! differences it finds and fails naming each of them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::common::{repo_file, repo_root, repo_yaml};
use roster_api::routes::{Route, ROUTES};
use serde_yaml::Value;

/// (METHOD, path, function name).
type Triple = (String, String, String);

const HTTP_METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// The intrinsic-function short tags CloudFormation knows.
const CFN_TAGS: [&str; 17] = [
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

fn cargo_toml(rel: &str) -> toml::Table {
    repo_file(rel).parse::<toml::Table>().unwrap_or_else(|e| panic!("{rel} is not valid TOML: {e}"))
}

/// Strip CloudFormation short tags (`!Ref x` parses as a tagged value).
fn untag(v: &Value) -> &Value {
    match v {
        Value::Tagged(t) => untag(&t.value),
        other => other,
    }
}

fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    untag(v).as_mapping().and_then(|m| m.get(key))
}

fn get_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    get(v, key).map(untag).and_then(Value::as_str)
}

fn entries(v: Option<&Value>) -> Vec<(String, &Value)> {
    v.map(untag)
        .and_then(Value::as_mapping)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.as_str()?.to_string(), v))).collect())
        .unwrap_or_default()
}

fn route_triple(r: &Route) -> Triple {
    (r.method.to_ascii_uppercase(), r.path.to_string(), r.function.name().to_string())
}

fn expected_triples() -> BTreeSet<Triple> {
    ROUTES.iter().map(route_triple).collect()
}

fn show(t: &Triple) -> String {
    format!("{} {} -> {}", t.0, t.1, t.2)
}

/// Differences between ROUTES and what `source` declares, one line each.
fn diff_routes(source: &str, found: &BTreeSet<Triple>) -> Vec<String> {
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

fn fail_on(check: &str, problems: Vec<String>) {
    if !problems.is_empty() {
        let mut msg = format!("{check}: {} problem(s)\n", problems.len());
        for p in &problems {
            let _ = writeln!(msg, "  - {p}");
        }
        panic!("{msg}");
    }
}

/// `CreatePractice` -> `create_practice`.
fn snake_case(camel: &str) -> String {
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

fn path_params(path: &str) -> BTreeSet<String> {
    path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).map(str::to_string).collect()
}

// ------------------------------------------------------------- packages

/// Package name of every crate directly under functions/, by directory name.
fn function_packages() -> BTreeMap<String, String> {
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

struct TemplateFunction {
    logical_id: String,
    binary: Option<String>,
    build_method: Option<String>,
    /// (METHOD, path) of each HttpApi event.
    routes: BTreeSet<(String, String)>,
    schedules: usize,
    problems: Vec<String>,
}

fn template_functions(template: &Value) -> Vec<TemplateFunction> {
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
fn refs(v: Option<&Value>, target: &str) -> bool {
    match v {
        Some(Value::Tagged(t)) => t.tag == "Ref" && t.value.as_str() == Some(target),
        Some(v) => get_str(v, "Ref") == Some(target),
        None => false,
    }
}

fn collect_tags(v: &Value, out: &mut BTreeSet<String>) {
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
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> Result<&'a Value, String> {
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

fn all_refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
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

/// The template parser copes with CloudFormation short tags.
#[test]
fn template_parses_with_cloudformation_tags() {
    let template = repo_yaml("infra/template.yaml");
    let mut tags = BTreeSet::new();
    collect_tags(&template, &mut tags);
    assert!(tags.iter().any(|t| t == "!Ref"), "expected `!Ref` tagged values in the template, got {tags:?}");
    let unknown: Vec<_> = tags.iter().filter(|t| !CFN_TAGS.iter().any(|k| t.trim_start_matches('!') == *k)).collect();
    assert!(unknown.is_empty(), "tags that are not CloudFormation short forms: {unknown:?}");

    let table_name = get(&template, "Globals")
        .and_then(|g| get(g, "Function"))
        .and_then(|f| get(f, "Environment"))
        .and_then(|e| get(e, "Variables"))
        .and_then(|v| get(v, "TABLE_NAME"));
    assert!(refs(table_name, "Table"), "Globals TABLE_NAME should be `!Ref Table`, got {table_name:?}");
    assert!(!template_functions(&template).is_empty(), "no AWS::Serverless::Function found");
}

/// b) HttpApi events of the SAM template, and each function's binary.
#[test]
fn sam_template_events_match_routes() {
    let template = repo_yaml("infra/template.yaml");
    let packages = function_packages();
    let mut problems = Vec::new();
    let mut found = BTreeSet::new();
    let mut binaries = BTreeSet::new();
    for f in template_functions(&template) {
        problems.extend(f.problems);
        if f.build_method.as_deref() != Some("rust-cargolambda") {
            problems
                .push(format!("{}: Metadata.BuildMethod is {:?}, not rust-cargolambda", f.logical_id, f.build_method));
        }
        let Some(binary) = f.binary else {
            problems.push(format!("{}: no Metadata.BuildProperties.Binary", f.logical_id));
            continue;
        };
        if !binaries.insert(binary.clone()) {
            problems.push(format!("{}: binary {binary:?} is built by two template functions", f.logical_id));
        }
        match packages.get(&binary) {
            None => problems
                .push(format!("{}: Binary {binary:?} names no package directory functions/{binary}", f.logical_id)),
            Some(name) if *name != binary => {
                problems.push(format!("{}: functions/{binary} is package {name:?}, not {binary:?}", f.logical_id))
            }
            Some(_) => {}
        }
        for (m, p) in f.routes {
            found.insert((m, p, binary.clone()));
        }
    }
    // The catch-all route (Roster's own problem+json 404) is no route of the
    // table: exactly one function takes it.
    let catch_all: Vec<Triple> = found.iter().filter(|(m, p, _)| m == "ANY" && p == "$default").cloned().collect();
    if catch_all.len() != 1 {
        problems.push(format!("{} functions take ANY $default; exactly one must", catch_all.len()));
    }
    found.retain(|t| !catch_all.contains(t));
    problems.extend(diff_routes("the SAM template's HttpApi events", &found));
    fail_on("SAM template", problems);
}

/// c) paths, methods, `x-roster-function`, `operationId`, security and path
/// parameters of the OpenAPI document.
#[test]
fn openapi_matches_routes() {
    let doc = repo_yaml("infra/openapi.yaml");
    let mut problems = Vec::new();

    let mut refs_in_doc = Vec::new();
    all_refs(&doc, &mut refs_in_doc);
    for r in refs_in_doc {
        if let Err(e) = resolve(&doc, &Value::Mapping([(Value::from("$ref"), Value::from(r))].into_iter().collect())) {
            problems.push(e);
        }
    }

    let by_key: BTreeMap<(String, String), &Route> =
        ROUTES.iter().map(|r| ((r.method.to_ascii_uppercase(), r.path.to_string()), r)).collect();
    let root_security = get(&doc, "security");

    let mut found = BTreeSet::new();
    for (path, item) in entries(get(&doc, "paths")) {
        let path_level_params = get(item, "parameters");
        for (key, op) in entries(Some(item)) {
            if !HTTP_METHODS.contains(&key.as_str()) {
                continue;
            }
            let method = key.to_ascii_uppercase();
            let at = format!("openapi {method} {path}");
            let Some(function) = get_str(op, "x-roster-function") else {
                problems.push(format!("{at}: no x-roster-function"));
                continue;
            };
            found.insert((method.clone(), path.clone(), function.to_string()));
            let Some(route) = by_key.get(&(method.clone(), path.clone())) else { continue };

            let want_op = snake_case(&format!("{:?}", route.op));
            let op_id = get_str(op, "operationId");
            if op_id != Some(want_op.as_str()) {
                problems.push(format!("{at}: operationId is {op_id:?}, expected {want_op:?}"));
            }

            // Effective security: the operation's, else the document's.
            let security = get(op, "security").or(root_security);
            let needs_bearer = security
                .and_then(Value::as_sequence)
                .map(|reqs| !reqs.is_empty() && reqs.iter().all(|req| get(req, "bearerAuth").is_some()))
                .unwrap_or(false);
            if route.auth != needs_bearer {
                problems.push(format!(
                    "{at}: route auth is {}, but the document {} bearerAuth",
                    route.auth,
                    if needs_bearer { "requires" } else { "does not require" }
                ));
            }

            let mut declared = BTreeSet::new();
            for params in [path_level_params, get(op, "parameters")].into_iter().flatten() {
                for p in params.as_sequence().into_iter().flatten() {
                    match resolve(&doc, p) {
                        Ok(p) if get_str(p, "in") == Some("path") => {
                            let name = get_str(p, "name").unwrap_or_default().to_string();
                            if get(p, "required").and_then(Value::as_bool) != Some(true) {
                                problems.push(format!("{at}: path parameter {name:?} is not required: true"));
                            }
                            declared.insert(name);
                        }
                        Ok(_) => {}
                        Err(e) => problems.push(format!("{at}: {e}")),
                    }
                }
            }
            let in_path = path_params(&path);
            if declared != in_path {
                problems.push(format!("{at}: path parameters declared {declared:?}, path has {in_path:?}"));
            }

            if let Some(body) = get(op, "requestBody") {
                let schema = resolve(&doc, body)
                    .ok()
                    .and_then(|b| get(b, "content"))
                    .and_then(|c| get(c, "application/json"))
                    .and_then(|j| get(j, "schema"));
                match schema.map(|s| resolve(&doc, s)) {
                    // A schema composed with allOf closes itself with
                    // unevaluatedProperties (3.1): additionalProperties
                    // would not see the properties of its parts.
                    Some(Ok(s))
                        if get(s, "additionalProperties").and_then(Value::as_bool) == Some(false)
                            || (get(s, "allOf").is_some()
                                && get(s, "unevaluatedProperties").and_then(Value::as_bool) == Some(false)) => {}
                    Some(Ok(_)) => problems.push(format!(
                        "{at}: request body schema is open (additionalProperties: false, or with allOf \
                         unevaluatedProperties: false)"
                    )),
                    Some(Err(e)) => problems.push(format!("{at}: {e}")),
                    None => problems.push(format!("{at}: requestBody without an application/json schema")),
                }
            }
        }
    }
    problems.extend(diff_routes("infra/openapi.yaml", &found));
    fail_on("OpenAPI document", problems);
}

/// d) every package under functions/ is deployed, and is reachable by a route
/// or (a function with no routes, like the sweep) by a Schedule,
/// EventBridgeRule or DynamoDB (stream) event.
#[test]
fn every_function_package_is_deployed_and_triggered() {
    let template = repo_yaml("infra/template.yaml");
    let functions: BTreeMap<String, TemplateFunction> =
        template_functions(&template).into_iter().filter_map(|f| Some((f.binary.clone()?, f))).collect();
    let packages = function_packages();
    let routed: BTreeSet<&str> = ROUTES.iter().map(|r| r.function.name()).collect();
    let package_names: BTreeSet<&str> = packages.values().map(String::as_str).collect();

    let mut problems = Vec::new();
    for (dir, name) in &packages {
        if dir != name {
            problems
                .push(format!("functions/{dir} holds package {name:?}; the directory and package names must match"));
        }
        let Some(f) = functions.get(name) else {
            problems
                .push(format!("package {name:?} (functions/{dir}) has no AWS::Serverless::Function in the template"));
            continue;
        };
        if !routed.contains(name.as_str()) {
            if f.schedules == 0 {
                problems.push(format!(
                    "package {name:?} has no route in ROUTES and its template function {} has no Schedule, EventBridgeRule or event source mapping",
                    f.logical_id
                ));
            }
        } else if f.routes.is_empty() {
            problems.push(format!("package {name:?} has routes but {} has no HttpApi event", f.logical_id));
        }
    }
    for name in &routed {
        if !package_names.contains(name) {
            problems.push(format!("ROUTES names function {name:?}, but there is no package functions/{name}"));
        }
    }
    fail_on("function packages", problems);
}

/// e) the table: keys, GSIs and TTL as the code expects; plain YAML only.
#[test]
fn template_table_has_keys_gsis_and_ttl() {
    let template = repo_yaml("infra/template.yaml");
    let table = get(&template, "Resources").and_then(|r| get(r, "Table")).expect("Resources.Table");
    let mut problems = Vec::new();
    if get_str(table, "Type") != Some("AWS::DynamoDB::Table") {
        problems.push(format!("Table.Type is {:?}", get_str(table, "Type")));
    }
    let props = get(table, "Properties").expect("Table.Properties");

    let mut tags = BTreeSet::new();
    collect_tags(props, &mut tags);
    if !tags.is_empty() {
        problems.push(format!("Table.Properties must be plain YAML (the code parses it) but uses {tags:?}"));
    }

    let key_schema = |v: Option<&Value>| -> Vec<(String, String)> {
        v.and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .map(|k| {
                (
                    get_str(k, "AttributeName").unwrap_or_default().to_string(),
                    get_str(k, "KeyType").unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    let pair = |h: &str, r: &str| vec![(h.to_string(), "HASH".to_string()), (r.to_string(), "RANGE".to_string())];

    let keys = key_schema(get(props, "KeySchema"));
    if keys != pair("PK", "SK") {
        problems.push(format!("KeySchema is {keys:?}, expected PK HASH, SK RANGE"));
    }

    let attrs: BTreeMap<String, String> = get(props, "AttributeDefinitions")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .map(|a| {
            (
                get_str(a, "AttributeName").unwrap_or_default().to_string(),
                get_str(a, "AttributeType").unwrap_or_default().to_string(),
            )
        })
        .collect();
    for a in ["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"] {
        if attrs.get(a).map(String::as_str) != Some("S") {
            problems.push(format!("AttributeDefinitions: {a} should be of type S, found {:?}", attrs.get(a)));
        }
    }

    let gsis: BTreeMap<String, &Value> = get(props, "GlobalSecondaryIndexes")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .map(|g| (get_str(g, "IndexName").unwrap_or_default().to_string(), g))
        .collect();
    for name in ["GSI1", "GSI2"] {
        match gsis.get(name) {
            None => problems.push(format!("GlobalSecondaryIndexes lacks {name}")),
            Some(g) => {
                let keys = key_schema(get(g, "KeySchema"));
                if keys != pair(&format!("{name}PK"), &format!("{name}SK")) {
                    problems.push(format!("{name} KeySchema is {keys:?}, expected {name}PK HASH, {name}SK RANGE"));
                }
                let projection = get(g, "Projection").and_then(|p| get_str(p, "ProjectionType"));
                if projection != Some("ALL") {
                    problems.push(format!("{name} projection is {projection:?}, expected ALL"));
                }
            }
        }
    }

    let ttl = get(props, "TimeToLiveSpecification");
    let ttl_attr = ttl.and_then(|t| get_str(t, "AttributeName"));
    let ttl_on = ttl.and_then(|t| get(t, "Enabled")).and_then(Value::as_bool);
    if ttl_attr != Some("ttl") || ttl_on != Some(true) {
        problems.push(format!("TimeToLiveSpecification is {ttl_attr:?} enabled={ttl_on:?}, expected ttl enabled=true"));
    }
    if get_str(props, "BillingMode") != Some("PAY_PER_REQUEST") {
        problems.push(format!("BillingMode is {:?}, expected PAY_PER_REQUEST", get_str(props, "BillingMode")));
    }
    fail_on("Table", problems);
}

/// Issue 14: every route anyone can call without a session, or that a mailed
/// link reaches (`/auth/*`, `/invitations/{token}*`), has a throttle of its own
/// in the template, tighter than the default; and no such setting names a
/// route that does not exist.
#[test]
fn public_routes_are_throttled_tighter_than_the_default() {
    let template = repo_yaml("infra/template.yaml");
    let api = &template["Resources"]["HttpApi"]["Properties"];
    let default = api["DefaultRouteSettings"]["ThrottlingRateLimit"].as_f64().unwrap_or(f64::MAX);
    let settings = api["RouteSettings"].as_mapping().cloned().unwrap_or_default();
    let keys: BTreeSet<String> = settings.keys().filter_map(|k| k.as_str().map(str::to_string)).collect();
    let mut problems = Vec::new();
    for r in ROUTES.iter().filter(|r| r.path.starts_with("/auth/") || r.path.starts_with("/invitations/{token}")) {
        let key = format!("{} {}", r.method, r.path);
        match settings.get(Value::from(key.as_str())).and_then(|s| s["ThrottlingRateLimit"].as_f64()) {
            Some(rate) if rate < default => {}
            other => problems.push(format!("{key}: throttle {other:?}, default {default}")),
        }
    }
    let routes: BTreeSet<String> = ROUTES.iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    problems.extend(keys.difference(&routes).map(|k| format!("{k}: a throttle for no route")));
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Issue 14: every detail-type Roster emits has its section in
/// docs/events.md, for the teams that consume them; and no section names an
/// event Roster does not emit.
#[test]
fn every_event_is_documented() {
    use roster_domain::model::EventType;
    let doc = repo_file("docs/events.md");
    let documented: BTreeSet<String> =
        doc.lines().filter_map(|l| l.strip_prefix("### ")).map(|h| h.trim().to_string()).collect();
    let emitted: BTreeSet<String> = EventType::ALL.iter().map(|e| e.detail_type()).collect();
    let missing: Vec<_> = emitted.difference(&documented).collect();
    let stray: Vec<_> = documented.difference(&emitted).collect();
    assert!(
        missing.is_empty() && stray.is_empty(),
        "undocumented: {missing:?}; documented but never emitted: {stray:?}"
    );
}

/// Issue 14: every function has its log group in the template, named after
/// it and kept for `LogRetentionDays` (one Lambda makes on first use never
/// expires, and adding it after a first deploy fails on "already exists").
#[test]
fn every_function_has_a_log_group_with_retention() {
    let template = repo_yaml("infra/template.yaml");
    let resources = template["Resources"].as_mapping().cloned().unwrap_or_default();
    let mut problems = Vec::new();
    for (id, r) in &resources {
        let Some(id) = id.as_str() else { continue };
        if r["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let logs = &resources.get(Value::from(format!("{id}Logs"))).cloned().unwrap_or_default();
        let name = serde_yaml::to_string(&logs["Properties"]["LogGroupName"]).unwrap_or_default();
        let retention = serde_yaml::to_string(&logs["Properties"]["RetentionInDays"]).unwrap_or_default();
        if logs["Type"].as_str() != Some("AWS::Logs::LogGroup")
            || !name.contains(&format!("/aws/lambda/${{{id}}}"))
            || !retention.contains("LogRetentionDays")
        {
            problems.push(format!(
                "{id}: no {id}Logs log group named after it with RetentionInDays: !Ref LogRetentionDays"
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The `Conflict` codes the code base answers with: each `Conflict("…")`
/// outside tests, in the domain and the HTTP layer.
fn conflict_codes() -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    let mut dirs = vec![repo_root().join("shared/domain/src"), repo_root().join("shared/api/src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for (i, _) in code.match_indices("Conflict(\"") {
                let rest = &code[i + "Conflict(\"".len()..];
                codes.insert(rest.split('"').next().unwrap_or_default().to_string());
            }
        }
    }
    codes
}

/// Issue 14: `Problem.code` is an enum in the OpenAPI document, so a client
/// can switch on it exhaustively; it is exactly the codes Roster answers.
#[test]
fn problem_codes_are_an_enum_of_what_roster_answers() {
    let doc = repo_yaml("infra/openapi.yaml");
    let documented: BTreeSet<String> = doc["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let mut answered: BTreeSet<String> = roster_api::problem::fixed_codes().into_iter().map(String::from).collect();
    answered.extend(conflict_codes());
    let missing: Vec<_> = answered.difference(&documented).collect();
    let stray: Vec<_> = documented.difference(&answered).collect();
    assert!(
        missing.is_empty() && stray.is_empty(),
        "not in the enum: {missing:?}; in the enum, never answered: {stray:?}"
    );
}

/// Issue 14 item 8: every operation documents API Gateway's throttling
/// (`429`, not problem+json) and Roster's `500`, and the `405` Roster answers
/// for a method a path does not list is described with its `Allow` header.
#[test]
fn every_operation_documents_throttling_and_internal_errors() {
    let doc = repo_yaml("infra/openapi.yaml");
    let mut problems = Vec::new();
    for (path, item) in entries(get(&doc, "paths")) {
        for (method, op) in entries(Some(item)).into_iter().filter(|(m, _)| HTTP_METHODS.contains(&m.as_str())) {
            let responses = get(op, "responses");
            for (status, want) in [("429", ["Throttled", "RateLimited"].as_slice()), ("500", &["InternalError"])] {
                let named = responses.and_then(|r| get(r, status)).and_then(|r| get_str(r, "$ref")).unwrap_or("");
                if !want.iter().any(|w| named == format!("#/components/responses/{w}")) {
                    problems.push(format!("{method} {path}: {status} is {named:?}, not one of {want:?}"));
                }
            }
        }
    }
    let responses = &doc["components"]["responses"];
    if responses["Throttled"]["content"]["application/json"].is_null() {
        problems.push("Throttled: API Gateway's body is application/json".into());
    }
    if responses["MethodNotAllowed"]["headers"]["Allow"].is_null() {
        problems.push("MethodNotAllowed: no Allow header".into());
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
