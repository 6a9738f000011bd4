//! What one function serves (issue 15 item 2). Each function's routes are
//! copied out of the one table (`routes::TABLE`) at compile time into a
//! constant of their own, and a binary hands only its own constant to
//! `serve`: the other functions' handlers are then referenced by nothing it
//! runs, and the linker leaves them (and the domain code only they reach)
//! out. What every function must still know of the others' routes (to
//! answer 405 rather than 404, and to name a route in the log) is `KEYS`,
//! the table without its handlers.

use crate::routes::{find, Function, Params, Route, TABLE};

/// One function's routes.
#[derive(Debug, Clone, Copy)]
pub struct Served {
    pub function: Function,
    pub routes: &'static [Route],
}

impl Served {
    /// The route of these that serves `method` on `path`, with its parameters.
    pub fn route(&self, method: &str, path: &str) -> Option<(&'static Route, Params)> {
        find(self.routes, method, path, |r| (r.method, r.path))
    }
}

// `PartialEq` is not const; a fieldless enum compares by discriminant.
const fn same(a: Function, b: Function) -> bool {
    a as u8 == b as u8
}

const fn count(function: Function) -> usize {
    let (mut i, mut n) = (0, 0);
    while i < TABLE.len() {
        if same(TABLE[i].function, function) {
            n += 1;
        }
        i += 1;
    }
    n
}

/// The routes of `function`, in the table's order; `N` is `count(function)`.
const fn only<const N: usize>(function: Function) -> [Route; N] {
    let mut out = [TABLE[0]; N];
    let (mut i, mut n) = (0, 0);
    while i < TABLE.len() {
        if same(TABLE[i].function, function) {
            out[n] = TABLE[i];
            n += 1;
        }
        i += 1;
    }
    out
}

macro_rules! served {
    ($function:expr) => {
        Served { function: $function, routes: &only::<{ count($function) }>($function) }
    };
}

pub const AUTH: Served = served!(Function::Auth);
pub const ACCEPT: Served = served!(Function::Accept);
pub const DIRECTORY: Served = served!(Function::Directory);
pub const INVITE: Served = served!(Function::Invite);
pub const REVOKE: Served = served!(Function::Revoke);
pub const UPDATE_ACCESS: Served = served!(Function::UpdateAccess);
pub const DEACTIVATE: Served = served!(Function::Deactivate);
/// Run by events, not requests: no route.
pub const SWEEP: Served = served!(Function::Sweep);
pub const MAIL_EVENTS: Served = served!(Function::MailEvents);
pub const DELIVERY: Served = served!(Function::Delivery);

impl Function {
    /// This function's routes. For what drives every function in one
    /// process (the tests, the bench); a binary names its own constant, since
    /// this links them all.
    pub fn served(self) -> Served {
        match self {
            Function::Auth => AUTH,
            Function::Accept => ACCEPT,
            Function::Directory => DIRECTORY,
            Function::Invite => INVITE,
            Function::Revoke => REVOKE,
            Function::UpdateAccess => UPDATE_ACCESS,
            Function::Deactivate => DEACTIVATE,
            Function::Sweep => SWEEP,
            Function::MailEvents => MAIL_EVENTS,
            Function::Delivery => DELIVERY,
        }
    }
}

/// A route without its handler.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub method: &'static str,
    pub path: &'static str,
    pub function: Function,
}

const fn keys<const N: usize>() -> [Key; N] {
    let first = Key { method: "", path: "", function: Function::Auth };
    let mut out = [first; N];
    let mut i = 0;
    while i < N {
        out[i] = Key { method: TABLE[i].method, path: TABLE[i].path, function: TABLE[i].function };
        i += 1;
    }
    out
}

/// Every route's method, path and function.
pub static KEYS: [Key; TABLE.len()] = keys();

/// The route of the whole API that `method` on `path` names.
pub fn key_of(method: &str, path: &str) -> Option<&'static Key> {
    find(&KEYS, method, path, |k| (k.method, k.path)).map(|(k, _)| k)
}

/// The methods this path is served under when `method` is not one of them
/// (405 with `Allow`, not 404); empty when it is no path of the API. A
/// request reaches a function either by its own route or by the API's
/// catch-all `$default` (no route took it), so a path another function
/// serves under other methods is a wrong method too; one served under this
/// very method was misrouted, and is no route here.
pub fn allowed_methods(function: Function, method: &str, path: &str) -> Vec<&'static str> {
    let served = |m: &str| key_of(m, path).map(|k| k.function);
    if served(method).is_some_and(|f| f != function) {
        return Vec::new();
    }
    ["GET", "POST", "PATCH", "PUT", "DELETE"].into_iter().filter(|m| *m != method && served(m).is_some()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::ROUTES;

    #[test]
    fn the_functions_serve_the_table_between_them() {
        let mut union: Vec<(&str, &str)> = Vec::new();
        for f in Function::ALL {
            let served = f.served();
            assert_eq!(served.function, f);
            assert!(served.routes.iter().all(|r| r.function == f));
            union.extend(served.routes.iter().map(|r| (r.method, r.path)));
        }
        let mut table: Vec<(&str, &str)> = ROUTES.iter().map(|r| (r.method, r.path)).collect();
        union.sort();
        table.sort();
        assert_eq!(union, table);
        let keys: Vec<(&str, &str, Function)> = KEYS.iter().map(|k| (k.method, k.path, k.function)).collect();
        let routes: Vec<(&str, &str, Function)> = ROUTES.iter().map(|r| (r.method, r.path, r.function)).collect();
        assert_eq!(keys, routes);
    }

    #[test]
    fn a_wrong_method_on_a_known_path_is_405() {
        assert_eq!(allowed_methods(Function::Auth, "DELETE", "/me"), ["GET", "PATCH"]);
        // The catch-all hands the directory a wrong method on another's path.
        assert_eq!(allowed_methods(Function::Directory, "DELETE", "/me"), ["GET", "PATCH"]);
        // A method another function serves on the path: misrouted, no route.
        assert!(allowed_methods(Function::Directory, "GET", "/me").is_empty());
        assert!(allowed_methods(Function::Directory, "GET", "/nowhere").is_empty());
        assert_eq!(AUTH.route("get", "/me/").map(|(r, _)| r.path), Some("/me"));
        assert!(DIRECTORY.route("GET", "/me").is_none());
    }
}
