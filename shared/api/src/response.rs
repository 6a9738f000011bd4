//! The answers a handler gives when all went well. Errors are rendered in
//! one place, `problem.rs`.

use crate::routes::Answer;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use roster_domain::DomainError;
use serde::Serialize;

pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Answer {
    let text = serde_json::to_string(value).map_err(|e| DomainError::Internal(e.to_string()))?;
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(text))
        .map_err(|e| DomainError::Internal(e.to_string()))
}

/// A versioned resource also answers with its version as an `ETag` (R18).
pub fn versioned<T: Serialize>(status: StatusCode, value: &T, version: u64) -> Answer {
    let mut r = json(status, value)?;
    if let Ok(v) = format!("\"{version}\"").parse() {
        r.headers_mut().insert("etag", v);
    }
    Ok(r)
}

/// An answer with a status and no body: `204`, or `202` for R27.
pub fn empty(status: StatusCode) -> Answer {
    Response::builder().status(status).body(Body::Empty).map_err(|e| DomainError::Internal(e.to_string()))
}

pub fn no_content() -> Answer {
    empty(StatusCode::NO_CONTENT)
}
