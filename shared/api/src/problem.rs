//! The one place an error becomes an HTTP answer: `application/problem+json`
//! with API.md's stable `code`.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use roster_domain::error::FieldError;
use roster_domain::DomainError;
use serde::Serialize;

/// Errors of the HTTP layer itself, before the domain is reached.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("no such route")]
    NoRoute,
    /// With the methods the path does take, for `Allow` (RFC 9110).
    #[error("method not allowed on this path")]
    MethodNotAllowed(Vec<&'static str>),
    #[error("the body exceeds {0} bytes")]
    TooLarge(usize),
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    code: &'a str,
    detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldError>,
    /// This occurrence: the request's id, so a support ticket that quotes
    /// it leads to the log line of the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    instance: Option<String>,
}

/// (status, code, title) for every error.
fn classify(e: &HttpError) -> (StatusCode, &'static str, &'static str) {
    use DomainError as D;
    match e {
        HttpError::NoRoute => (StatusCode::NOT_FOUND, "not_found", "Not found"),
        HttpError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "Method not allowed"),
        HttpError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "Payload too large"),
        HttpError::Domain(d) => match d {
            D::Malformed(_) => (StatusCode::BAD_REQUEST, "malformed_request", "Malformed request"),
            D::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", "Validation failed"),
            D::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated", "Authentication required"),
            D::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials", "Invalid credentials"),
            D::Forbidden => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            D::SupportReadOnly => (StatusCode::FORBIDDEN, "support_read_only", "Support access is read-only"),
            D::NotFound => (StatusCode::NOT_FOUND, "not_found", "Not found"),
            D::EmailTaken => (StatusCode::CONFLICT, "email_taken", "Email taken"),
            D::AlreadyMember => (StatusCode::CONFLICT, "already_member", "Already a member"),
            D::MemberDeactivated => (StatusCode::CONFLICT, "member_deactivated", "Member deactivated"),
            D::InvitationPending => (StatusCode::CONFLICT, "invitation_pending", "Invitation pending"),
            D::InvitationExpired => (StatusCode::GONE, "invitation_expired", "Invitation expired"),
            D::InvitationRevoked => (StatusCode::GONE, "invitation_revoked", "Invitation revoked"),
            D::InvitationNotPending => (StatusCode::CONFLICT, "invitation_not_pending", "Invitation not pending"),
            D::InvitationEmailMismatch => {
                (StatusCode::FORBIDDEN, "invitation_email_mismatch", "Invitation email mismatch")
            }
            D::LastDirector => (StatusCode::CONFLICT, "last_director", "Last director"),
            D::RoleInUse => (StatusCode::CONFLICT, "role_in_use", "Role in use"),
            D::RoleRequired => (StatusCode::UNPROCESSABLE_ENTITY, "role_required", "Role required"),
            D::LicenseTermsRequired => {
                (StatusCode::UNPROCESSABLE_ENTITY, "license_terms_required", "License terms required")
            }
            D::PreconditionFailed => (StatusCode::PRECONDITION_FAILED, "precondition_failed", "Precondition failed"),
            D::AccountLocked => (StatusCode::LOCKED, "account_locked", "Account locked"),
            D::MfaRequired => (StatusCode::FORBIDDEN, "mfa_required", "Two-factor enrollment required"),
            D::SessionIdle => (StatusCode::UNAUTHORIZED, "session_idle", "Session idle"),
            D::EmergencyAccessDisabled => {
                (StatusCode::FORBIDDEN, "emergency_access_disabled", "Emergency access disabled")
            }
            D::EmailUnverified => (StatusCode::FORBIDDEN, "email_unverified", "Email not verified"),
            D::PasswordChangeRequired => {
                (StatusCode::FORBIDDEN, "password_change_required", "Password change required")
            }
            D::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "rate_limited", "Too many requests"),
            D::TokenGone => (StatusCode::GONE, "token_gone", "Link no longer valid"),
            D::IdempotencyKeyReused => {
                (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused", "Idempotency key reused")
            }
            D::Conflict(code) => (StatusCode::CONFLICT, code, "Conflict"),
            D::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "Internal error"),
        },
    }
}

/// Every `code` an answer can carry but the `Conflict` ones (each of which
/// names its own), for the test that the OpenAPI document's enum of codes
/// is exactly what Roster answers.
pub fn fixed_codes() -> Vec<&'static str> {
    use DomainError as D;
    let every = [
        D::Malformed(String::new()),
        D::Validation(Vec::new()),
        D::Unauthenticated,
        D::InvalidCredentials,
        D::Forbidden,
        D::SupportReadOnly,
        D::NotFound,
        D::EmailTaken,
        D::AlreadyMember,
        D::MemberDeactivated,
        D::InvitationPending,
        D::InvitationExpired,
        D::InvitationRevoked,
        D::InvitationNotPending,
        D::InvitationEmailMismatch,
        D::LastDirector,
        D::RoleInUse,
        D::RoleRequired,
        D::LicenseTermsRequired,
        D::PreconditionFailed,
        D::AccountLocked,
        D::MfaRequired,
        D::SessionIdle,
        D::EmergencyAccessDisabled,
        D::EmailUnverified,
        D::PasswordChangeRequired,
        D::RateLimited,
        D::TokenGone,
        D::IdempotencyKeyReused,
        D::Internal(String::new()),
    ];
    // A new kind of error does not compile here until it is named, and
    // then belongs in the list above.
    for e in &every {
        match e {
            D::Malformed(_)
            | D::Validation(_)
            | D::Unauthenticated
            | D::InvalidCredentials
            | D::Forbidden
            | D::SupportReadOnly
            | D::NotFound
            | D::EmailTaken
            | D::AlreadyMember
            | D::MemberDeactivated
            | D::InvitationPending
            | D::InvitationExpired
            | D::InvitationRevoked
            | D::InvitationNotPending
            | D::InvitationEmailMismatch
            | D::LastDirector
            | D::RoleInUse
            | D::RoleRequired
            | D::LicenseTermsRequired
            | D::PreconditionFailed
            | D::AccountLocked
            | D::MfaRequired
            | D::SessionIdle
            | D::EmergencyAccessDisabled
            | D::EmailUnverified
            | D::PasswordChangeRequired
            | D::RateLimited
            | D::TokenGone
            | D::IdempotencyKeyReused
            | D::Conflict(_)
            | D::Internal(_) => {}
        }
    }
    let http = [HttpError::NoRoute, HttpError::MethodNotAllowed(Vec::new()), HttpError::TooLarge(0)];
    let mut codes: Vec<&'static str> = http.iter().map(|e| classify(e).1).collect();
    codes.extend(every.into_iter().map(|d| classify(&HttpError::Domain(d)).1));
    codes.sort_unstable();
    codes.dedup();
    codes
}

fn problem(e: &HttpError) -> (StatusCode, Problem<'_>) {
    let (status, code, title) = classify(e);
    let (detail, errors) = match e {
        HttpError::Domain(DomainError::Validation(list)) => (e.to_string(), list.clone()),
        // Internal details go to the log, never to the client.
        HttpError::Domain(DomainError::Internal(msg)) => {
            tracing::error!(error = %msg, "internal error");
            ("something went wrong on our side".to_string(), Vec::new())
        }
        _ => (e.to_string(), Vec::new()),
    };
    let body = Problem {
        kind: format!("https://roster.dev/problems/{}", code.replace('_', "-")),
        title,
        status: status.as_u16(),
        code,
        detail,
        errors,
        instance: None,
    };
    (status, body)
}

/// A problem as a JSON value with its status, for answers that carry one
/// per item (bulk reactivation, R21).
pub fn problem_value(e: &HttpError) -> (u16, serde_json::Value) {
    let (status, body) = problem(e);
    (status.as_u16(), serde_json::to_value(&body).unwrap_or(serde_json::Value::Null))
}

pub fn problem_response(e: &HttpError) -> Response<Body> {
    problem_response_for(e, None)
}

/// `problem_response` naming the request it answers (`instance`).
pub fn problem_response_for(e: &HttpError, request_id: Option<&str>) -> Response<Body> {
    let (status, mut body) = problem(e);
    body.instance = request_id.map(|id| format!("urn:roster:request:{id}"));
    let code = body.code;
    let json = serde_json::to_string(&body)
        .unwrap_or_else(|_| format!("{{\"status\":{},\"code\":\"{code}\"}}", status.as_u16()));
    let mut builder = Response::builder().status(status).header("content-type", "application/problem+json");
    if status == StatusCode::UNAUTHORIZED {
        builder = builder.header("www-authenticate", "Bearer");
    }
    if let HttpError::MethodNotAllowed(methods) = e {
        builder = builder.header("allow", methods.join(", "));
    }
    builder.body(Body::from(json)).unwrap_or_else(|_| Response::new(Body::Empty))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(r: &Response<Body>) -> serde_json::Value {
        match r.body() {
            Body::Text(t) => serde_json::from_str(t).unwrap_or_default(),
            _ => serde_json::Value::Null,
        }
    }

    #[test]
    fn validation_names_each_field() {
        let r = problem_response(&HttpError::Domain(DomainError::Validation(vec![
            FieldError::new("email", "is required"),
            FieldError::new("password", "must be at least 10 characters"),
        ])));
        assert_eq!(r.status(), 422);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let b = body(&r);
        assert_eq!(b["code"], "validation_failed");
        assert_eq!(b["status"], 422);
        assert_eq!(b["errors"][1]["field"], "password");
    }

    #[test]
    fn internal_errors_hide_their_detail() {
        let r = problem_response(&HttpError::Domain(DomainError::Internal("table xyz exploded".into())));
        assert_eq!(r.status(), 500);
        assert!(!body(&r)["detail"].as_str().unwrap_or("").contains("xyz"));
    }

    #[test]
    fn codes_match_api_md() {
        let cases: Vec<(DomainError, u16, &str)> = vec![
            (DomainError::Malformed("x".into()), 400, "malformed_request"),
            (DomainError::Unauthenticated, 401, "unauthenticated"),
            (DomainError::InvalidCredentials, 401, "invalid_credentials"),
            (DomainError::NotFound, 404, "not_found"),
            (DomainError::EmailTaken, 409, "email_taken"),
            (DomainError::LastDirector, 409, "last_director"),
            (DomainError::PreconditionFailed, 412, "precondition_failed"),
            (DomainError::AccountLocked, 423, "account_locked"),
            (DomainError::PasswordChangeRequired, 403, "password_change_required"),
            (DomainError::EmailUnverified, 403, "email_unverified"),
            (DomainError::RateLimited, 429, "rate_limited"),
        ];
        for (e, status, code) in cases {
            let b = body(&problem_response(&HttpError::Domain(e)));
            assert_eq!((b["status"].as_u64(), b["code"].as_str()), (Some(u64::from(status)), Some(code)));
        }
        let b = body(&problem_response(&HttpError::TooLarge(65536)));
        assert_eq!((b["status"].as_u64(), b["code"].as_str()), (Some(413), Some("payload_too_large")));
    }
}
