//! What a handler reads from its request: path parameters, the query, the
//! body as JSON, `If-Match`, `limit`. Nothing here panics on input: whatever
//! does not parse is a 400, 404, 412 or 422 as API.md says.

use crate::routes::Params;
use lambda_http::http::HeaderMap;
use lambda_http::{Body, Request, RequestExt};
use roster_domain::DomainError;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// The largest page a list answers (`?limit=`).
pub const LIMIT_MAX: usize = 100;
/// The page a list answers when `limit` is left out.
pub const LIMIT_DEFAULT: usize = 50;

/// One request, read once: the route's path parameters, the headers, the
/// query and the body (already checked against `MAX_BODY`).
pub struct Req {
    params: Params,
    path: String,
    headers: HeaderMap,
    query: HashMap<String, String>,
    body: Vec<u8>,
}

impl Req {
    pub(crate) fn new(req: &Request, path: String, params: Params, body: Vec<u8>) -> Self {
        Self { params, path, headers: req.headers().clone(), query: query(req), body }
    }

    /// The concrete path, as the client sent it.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The path with its query, parameters in name order (for the audit
    /// of a request: one order whatever the client's).
    pub fn target(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        let mut pairs: Vec<(&String, &String)> = self.query.iter().collect();
        pairs.sort();
        let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        format!("{}?{query}", self.path)
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// An id in the path that does not parse names nothing: 404, as R2 wants
    /// for anything the caller cannot see.
    pub fn id<T: std::str::FromStr>(&self, name: &str) -> Result<T, DomainError> {
        self.param(name).and_then(|v| v.parse().ok()).ok_or(DomainError::NotFound)
    }

    /// A path parameter taken as it is (a custom role's id); the domain
    /// decides what it names.
    pub fn segment(&self, name: &str) -> Result<&str, DomainError> {
        self.param(name).ok_or(DomainError::NotFound)
    }

    /// A link's token from the path; the domain decides what it names.
    pub fn token(&self) -> Result<&str, DomainError> {
        self.segment("token")
    }

    /// A header's value, when it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body's media type, lower-cased, without parameters.
    pub fn mime(&self) -> Option<String> {
        self.header("content-type").map(|ct| ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
    }

    /// The body as sent.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    pub(crate) fn bearer(&self) -> Option<&str> {
        let v = self.headers.get("authorization")?.to_str().ok()?;
        let (scheme, token) = v.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
    }

    /// The client's `User-Agent`, kept with a session it signs in to (R49);
    /// the domain cuts it to size.
    pub fn user_agent(&self) -> Option<String> {
        // Not `to_str`, which refuses any byte past ASCII and so would lose
        // the whole header: the domain keeps what is plain text of it.
        self.headers.get("user-agent").map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }

    /// JSON body into `T`. Not JSON, a wrong type or an unknown field: 400.
    /// A body without a Content-Type is read as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, DomainError> {
        if let Some(mime) = self.mime() {
            if mime != "application/json" && !mime.ends_with("+json") {
                return Err(DomainError::Malformed("Content-Type must be application/json".into()));
            }
        }
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(DomainError::Malformed("a JSON object body is required".into()));
        }
        serde_json::from_slice(&self.body).map_err(|e| DomainError::Malformed(e.to_string()))
    }

    /// A body that may be left out entirely; when present, as `json`.
    pub fn json_or_default<T: DeserializeOwned + Default>(&self) -> Result<T, DomainError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(T::default());
        }
        self.json()
    }

    /// `If-Match: "7"` (or `W/"7"`, or `7`). One that names no version can
    /// match none: 412.
    pub fn if_match(&self) -> Result<Option<u64>, DomainError> {
        let Some(v) = self.headers.get("if-match") else { return Ok(None) };
        let s = v.to_str().map_err(|_| DomainError::PreconditionFailed)?.trim();
        let s = s.strip_prefix("W/").unwrap_or(s).trim_matches('"');
        s.parse().map(Some).map_err(|_| DomainError::PreconditionFailed)
    }

    /// `limit`: 1 to `LIMIT_MAX`, `LIMIT_DEFAULT` when left out.
    pub fn limit(&self) -> Result<usize, DomainError> {
        match self.query.get("limit") {
            None => Ok(LIMIT_DEFAULT),
            Some(v) => {
                v.parse::<usize>().ok().filter(|n| (1..=LIMIT_MAX).contains(n)).ok_or_else(|| {
                    DomainError::field("limit", &format!("must be a whole number from 1 to {LIMIT_MAX}"))
                })
            }
        }
    }
}

pub(crate) fn body_bytes(b: &Body) -> Vec<u8> {
    match b {
        Body::Empty => Vec::new(),
        Body::Text(t) => t.as_bytes().to_vec(),
        Body::Binary(b) => b.clone(),
        _ => Vec::new(),
    }
}

/// The query string, from the URI (API Gateway, cargo lambda and the tests
/// all put it there) or, failing that, from the gateway's parsed parameters.
fn query(req: &Request) -> HashMap<String, String> {
    match req.uri().query() {
        Some(q) if !q.is_empty() => form_urlencoded::parse(q.as_bytes()).into_owned().collect(),
        _ => req
            .query_string_parameters_ref()
            .map(|m| m.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
            .unwrap_or_default(),
    }
}
