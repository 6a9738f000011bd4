//! The OpenAPI document against the route table and the problem codes Roster
//! answers.

use super::*;
use crate::common::{repo_root, repo_yaml};
use roster_api::routes::{Route, ROUTES};
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};

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
