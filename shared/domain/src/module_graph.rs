//! The crate's own shape, checked: no module imports another that imports
//! it back, directly or around a circle, and no two public types share a
//! name. Reads the sources, so a new circle fails here rather than in review.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, with its module path (`service::members::change`).
fn modules(dir: &Path, prefix: &[String], out: &mut BTreeMap<Vec<String>, String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        if path.is_dir() {
            let mut p = prefix.to_vec();
            p.push(name);
            modules(&path, &p, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let mut p = prefix.to_vec();
            if name != "mod" && name != "lib" {
                p.push(name);
            }
            out.insert(p, std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
}

/// The paths a source names: `crate::a::b` and `super::a`, with one level
/// of `{a, b::c}` groups spread out. Comments are skipped.
fn paths(src: &str) -> Vec<String> {
    let code: String = src.lines().map(|l| l.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n");
    let mut out = Vec::new();
    for start in ["crate::", "super::"] {
        for (i, _) in code.match_indices(start) {
            if code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let rest = &code[i..];
            let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
            let path = rest[..end].trim_end_matches(':').to_string();
            if rest[end..].starts_with('{') && rest[..end].ends_with("::") {
                let group = &rest[end + 1..rest[end..].find('}').map_or(rest.len(), |j| end + j)];
                for item in group.split(',') {
                    out.push(format!("{path}::{}", item.split_whitespace().next().unwrap_or_default()));
                }
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// The module a path names: the longest prefix that is a module.
fn resolve(from: &[String], path: &str, known: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    let mut segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut base: Vec<String> = match segs.first() {
        Some(&"crate") => Vec::new(),
        // `super` in module `a::b` (`a/b.rs` or `a/b/mod.rs`) is `a`.
        Some(&"super") => from[..from.len().saturating_sub(1)].to_vec(),
        _ => return None,
    };
    segs.remove(0);
    while segs.first() == Some(&"super") {
        base.pop();
        segs.remove(0);
    }
    let mut best = base.clone();
    for s in segs {
        base.push(s.to_string());
        if known.contains(&base) {
            best = base.clone();
        }
    }
    Some(best)
}

fn graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut files = BTreeMap::new();
    modules(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &[], &mut files);
    let known: BTreeSet<Vec<String>> = files.keys().cloned().collect();
    let mut g = BTreeMap::new();
    for (m, src) in &files {
        let edges: BTreeSet<Vec<String>> = paths(src)
            .iter()
            .filter_map(|p| resolve(m, p, &known))
            // A module's use of its own items, or of its parents' (whose
            // `mod` lines are no import), is no edge.
            .filter(|to| to != m && !m.starts_with(to))
            .collect();
        g.insert(m.clone(), edges);
    }
    g
}

fn cycle_from(
    g: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
    node: &Vec<String>,
    stack: &mut Vec<Vec<String>>,
    done: &mut BTreeSet<Vec<String>>,
) -> Option<Vec<Vec<String>>> {
    if let Some(i) = stack.iter().position(|n| n == node) {
        return Some(stack[i..].to_vec());
    }
    if done.contains(node) {
        return None;
    }
    stack.push(node.clone());
    for next in g.get(node).into_iter().flatten() {
        if let Some(c) = cycle_from(g, next, stack, done) {
            return Some(c);
        }
    }
    stack.pop();
    done.insert(node.clone());
    None
}

#[test]
fn no_module_imports_its_way_back_to_itself() {
    let g = graph();
    assert!(g.len() > 20 && g.contains_key(&vec!["service".to_string(), "session".to_string()]), "{:?}", g.keys());
    let mut done = BTreeSet::new();
    for node in g.keys() {
        if let Some(c) = cycle_from(&g, node, &mut Vec::new(), &mut done) {
            let names: Vec<String> = c.iter().map(|m| m.join("::")).collect();
            panic!("import circle: {} -> back", names.join(" -> "));
        }
    }
}

#[test]
fn the_checker_sees_a_circle() {
    let m = |s: &str| s.split("::").map(str::to_string).collect::<Vec<_>>();
    let g = BTreeMap::from([(m("a"), BTreeSet::from([m("b")])), (m("b"), BTreeSet::from([m("a")]))]);
    assert!(cycle_from(&g, &m("a"), &mut Vec::new(), &mut BTreeSet::new()).is_some());
    let known = BTreeSet::from([m("service"), m("service::session"), m("service::members")]);
    assert_eq!(
        paths("use super::{session, members::x};\nuse crate::service::session::new_session; // crate::nothing"),
        vec!["crate::service::session::new_session", "super::session", "super::members::x"]
    );
    assert_eq!(resolve(&m("service::account"), "super::session", &known), Some(m("service::session")));
    assert_eq!(
        resolve(&m("service::members::change"), "crate::service::session::x", &known),
        Some(m("service::session"))
    );
}

#[test]
fn no_two_public_types_share_a_name() {
    let mut files = BTreeMap::new();
    modules(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &[], &mut files);
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (m, src) in &files {
        for line in src.lines().map(str::trim_start) {
            for kind in ["pub struct ", "pub enum ", "pub trait ", "pub type "] {
                if let Some(rest) = line.strip_prefix(kind) {
                    let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    if let Some(other) = seen.insert(name.clone(), m.join("::")) {
                        panic!("two public types named {name}: in {other} and {}", m.join("::"));
                    }
                }
            }
        }
    }
}
