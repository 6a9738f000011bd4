//! The SAM template against the route table: events, packages, the table,
//! throttling, logs.

use super::*;
use crate::common::{repo_file, repo_yaml};
use roster_api::routes::ROUTES;
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};

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
