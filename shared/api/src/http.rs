//! From a request to a response: route, size limit, session, gates, body,
//! domain call, rendering. Handlers stay thin: parse, authorize, call, render.

use crate::problem::{problem_response, problem_value, HttpError};
use crate::routes::{match_route, path_exists, Function, Op, Params, Route};
use lambda_http::http::{HeaderMap, StatusCode};
use lambda_http::{service_fn, Body, Request, RequestExt, Response};
use roster_domain::ids::{LocationId, PracticeId, UserId};
use roster_domain::ports::App;
use roster_domain::service::context::{member_ctx, Caller, MemberCtx};
use roster_domain::service::invitations::invite::{self as invitations, Invited};
use roster_domain::service::invitations::respond;
use roster_domain::service::members::read::{self as member_reads, MemberListStatus, MemberQuery};
use roster_domain::service::members::status::ReactivateInput;
use roster_domain::service::members::{change, status};
use roster_domain::service::sign_in::{self, SignIn};
use roster_domain::service::{account, audit, practices, recovery, roles, second_factor, session, support};
use roster_domain::DomainError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

/// API.md: bodies over 64 KiB get 413.
pub const MAX_BODY: usize = 64 * 1024;

/// A password-reset request answers no sooner than this, so an email with
/// an account (a transaction and a mail) and one without (nothing) take
/// alike (R27).
pub const RESET_REQUEST_FLOOR: std::time::Duration = std::time::Duration::from_millis(400);

/// Run one function on the Lambda runtime.
pub async fn serve(function: Function, app: App) -> Result<(), lambda_http::Error> {
    let app = Arc::new(app);
    lambda_http::run(service_fn(move |req: Request| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(handle(&app, function, req).await) }
    }))
    .await
}

/// Answer one request for `function`. Never fails: every error is rendered.
pub async fn handle(app: &App, function: Function, req: Request) -> Response<Body> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let result = route_and_run(app, function, req).await;
    let response = result.unwrap_or_else(|e| problem_response(&e));
    tracing::info!(function = function.name(), %method, %path, status = response.status().as_u16(), "request");
    response
}

async fn route_and_run(app: &App, function: Function, req: Request) -> Result<Response<Body>, HttpError> {
    let path = req.uri().path().to_string();
    let Some((route, params)) = match_route(req.method().as_str(), &path).filter(|(r, _)| r.function == function)
    else {
        return Err(if path_exists(function, &path) { HttpError::MethodNotAllowed } else { HttpError::NoRoute });
    };
    let body = body_bytes(req.body());
    if body.len() > MAX_BODY {
        return Err(HttpError::TooLarge(MAX_BODY));
    }
    let call = Call { route, params, path, headers: req.headers().clone(), query: query(&req), body };
    Ok(dispatch(app, call).await?)
}

fn body_bytes(b: &Body) -> Vec<u8> {
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

struct Call {
    route: &'static Route,
    params: Params,
    path: String,
    headers: HeaderMap,
    query: HashMap<String, String>,
    body: Vec<u8>,
}

impl Call {
    fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// An id in the path that does not parse names nothing: 404, as R2 wants
    /// for anything the caller cannot see.
    fn id<T: std::str::FromStr>(&self, name: &str) -> Result<T, DomainError> {
        self.param(name).and_then(|v| v.parse().ok()).ok_or(DomainError::NotFound)
    }

    /// A link's token from the path; the domain decides what it names.
    fn token(&self) -> Result<&str, DomainError> {
        self.param("token").ok_or(DomainError::NotFound)
    }

    fn bearer(&self) -> Option<&str> {
        let v = self.headers.get("authorization")?.to_str().ok()?;
        let (scheme, token) = v.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
    }

    /// JSON body into `T`. Not JSON, a wrong type or an unknown field: 400.
    fn json<T: DeserializeOwned>(&self) -> Result<T, DomainError> {
        if let Some(ct) = self.headers.get("content-type").and_then(|v| v.to_str().ok()) {
            let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
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
    fn json_or_default<T: DeserializeOwned + Default>(&self) -> Result<T, DomainError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(T::default());
        }
        self.json()
    }

    /// `If-Match: "7"` (or `W/"7"`, or `7`). One that names no version can
    /// match none: 412.
    fn if_match(&self) -> Result<Option<u64>, DomainError> {
        let Some(v) = self.headers.get("if-match") else { return Ok(None) };
        let s = v.to_str().map_err(|_| DomainError::PreconditionFailed)?.trim();
        let s = s.strip_prefix("W/").unwrap_or(s).trim_matches('"');
        s.parse().map(Some).map_err(|_| DomainError::PreconditionFailed)
    }

    fn limit(&self) -> Result<usize, DomainError> {
        match self.query.get("limit") {
            None => Ok(50),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| DomainError::field("limit", "must be a whole number from 1 to 100")),
        }
    }
}

fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Result<Response<Body>, DomainError> {
    let text = serde_json::to_string(value).map_err(|e| DomainError::Internal(e.to_string()))?;
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(text))
        .map_err(|e| DomainError::Internal(e.to_string()))
}

/// A versioned resource also answers with its version as an `ETag` (R18).
fn versioned<T: Serialize>(status: StatusCode, value: &T, version: u64) -> Result<Response<Body>, DomainError> {
    let mut r = json_response(status, value)?;
    if let Ok(v) = format!("\"{version}\"").parse() {
        r.headers_mut().insert("etag", v);
    }
    Ok(r)
}

fn no_content() -> Result<Response<Body>, DomainError> {
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::Empty)
        .map_err(|e| DomainError::Internal(e.to_string()))
}

/// What a session that must first change its temporary password may still
/// do (R13).
fn allowed_before_password_change(op: Op) -> bool {
    matches!(op, Op::GetMe | Op::ChangePassword | Op::Logout)
}

/// What a session that must first enroll a second factor may still do (R28).
fn allowed_before_enrollment(op: Op) -> bool {
    matches!(op, Op::GetMe | Op::EnrollTotp | Op::ConfirmTotp | Op::DisableTotp | Op::Logout)
}

async fn dispatch(app: &App, call: Call) -> Result<Response<Body>, DomainError> {
    let op = call.route.op;
    if !call.route.auth {
        return public(app, &call).await;
    }
    let token = call.bearer().ok_or(DomainError::Unauthenticated)?;
    // A practice named in the path is loaded with the session in one read.
    // An id that does not parse loads nothing and so ends in the 404 below,
    // after the session check (401 comes first for anonymous callers).
    let in_a_practice = call.param("pid").is_some();
    let pid: Option<PracticeId> = call.param("pid").and_then(|v| v.parse().ok());
    let found = session::authenticate(app, token, pid).await?;
    let caller = found.caller;
    // The temporary password is changed first (R13), then the second factor
    // enrolled (R28): each gate holds only what leads out of it.
    if caller.user.must_change_password {
        if !allowed_before_password_change(op) {
            return Err(DomainError::PasswordChangeRequired);
        }
    } else if second_factor::must_enroll(&caller, found.membership.as_ref()) && !allowed_before_enrollment(op) {
        return Err(DomainError::MfaRequired);
    }
    if !in_a_practice {
        return personal(app, &call, caller).await;
    }
    // R2: not an active member, or no such practice: the same 404; and so
    // for a support agent without an active grant (R30).
    let ctx = match (found.practice, found.membership) {
        (Some(practice), Some(membership)) => member_ctx(app, caller, practice, membership).await?,
        (Some(practice), None) => {
            support::agent_ctx(app, caller, practice, found.support_grant).ok_or(DomainError::NotFound)?
        }
        _ => return Err(DomainError::NotFound),
    };
    if !ctx.is_support() {
        return in_practice(app, &call, &ctx).await;
    }
    // R31: an agent reads and never writes, and every read is audited
    // before its answer leaves.
    if call.route.method != "GET" {
        return Err(DomainError::SupportReadOnly);
    }
    let response = in_practice(app, &call, &ctx).await?;
    support::record_read(app, &ctx, &format!("{} {}", call.route.method, call.route.path), &call.path).await?;
    Ok(response)
}

async fn public(app: &App, call: &Call) -> Result<Response<Body>, DomainError> {
    match call.route.op {
        Op::Signup => {
            let out = account::signup(app, call.json()?).await?;
            json_response(StatusCode::CREATED, &serde_json::json!({"user": out.user, "session": out.session}))
        }
        Op::Login => match sign_in::login(app, call.json()?).await? {
            SignIn::Session(session) => json_response(StatusCode::OK, &serde_json::json!({ "session": session })),
            SignIn::SecondFactor(token) => {
                json_response(StatusCode::OK, &serde_json::json!({"mfa_required": true, "mfa_token": token}))
            }
        },
        Op::LoginMfa => {
            let session = sign_in::login_mfa(app, call.json()?).await?;
            json_response(StatusCode::OK, &serde_json::json!({ "session": session }))
        }
        Op::RequestPasswordReset => {
            let started = tokio::time::Instant::now();
            let input = call.json()?;
            let outcome = recovery::request_password_reset(app, input).await;
            tokio::time::sleep_until(started + RESET_REQUEST_FLOOR).await;
            // The answer is the same whatever happened (R27); a failure to
            // store or mail is for the logs, not for the caller to learn from.
            if let Err(e) = outcome {
                tracing::error!(error = %e, "password reset request failed");
            }
            Response::builder()
                .status(StatusCode::ACCEPTED)
                .body(Body::Empty)
                .map_err(|e| DomainError::Internal(e.to_string()))
        }
        Op::ConfirmPasswordReset => {
            recovery::confirm_password_reset(app, call.json()?).await?;
            no_content()
        }
        Op::VerifyEmail => {
            account::verify_email(app, call.json()?).await?;
            no_content()
        }
        Op::PreviewInvitation => json_response(StatusCode::OK, &respond::preview(app, call.token()?).await?),
        Op::RegisterByToken => {
            let out = respond::register(app, call.token()?, call.json()?).await?;
            json_response(
                StatusCode::CREATED,
                &serde_json::json!({"user": out.user, "member": out.member, "session": out.session}),
            )
        }
        _ => Err(DomainError::Internal(format!("{:?} is not a public route", call.route.op))),
    }
}

async fn personal(app: &App, call: &Call, caller: Caller) -> Result<Response<Body>, DomainError> {
    match call.route.op {
        Op::Logout => {
            session::logout(app, &caller).await?;
            no_content()
        }
        Op::GetMe => json_response(StatusCode::OK, &account::me(app, &caller).await?),
        Op::PatchMe => {
            let user = account::patch_me(app, &caller, call.json()?).await?;
            json_response(StatusCode::OK, &user)
        }
        Op::ChangePassword => {
            account::change_password(app, &caller, call.json()?).await?;
            no_content()
        }
        Op::EnrollTotp => json_response(StatusCode::OK, &second_factor::enroll_totp(app, &caller).await?),
        Op::ConfirmTotp => {
            second_factor::confirm_totp(app, &caller, call.json()?).await?;
            no_content()
        }
        Op::DisableTotp => {
            second_factor::disable_totp(app, &caller, call.json()?).await?;
            no_content()
        }
        Op::CreatePractice => {
            let p = practices::create_practice(app, &caller, call.json()?).await?;
            let version = p.version;
            versioned(StatusCode::CREATED, &p, version)
        }
        Op::ListPermissions => json_response(StatusCode::OK, &practices::permission_catalogue()),
        Op::AcceptByToken => {
            let m = respond::accept_by_token(app, &caller, call.token()?).await?;
            versioned(StatusCode::OK, &m, m.version)
        }
        Op::MyInvitations => json_response(StatusCode::OK, &respond::my_invitations(app, &caller).await?),
        Op::AcceptMine => {
            let m = respond::accept_mine(app, &caller, call.id("invitation_id")?).await?;
            versioned(StatusCode::OK, &m, m.version)
        }
        Op::DeclineMine => {
            respond::decline_mine(app, &caller, call.id("invitation_id")?).await?;
            no_content()
        }
        op => Err(DomainError::Internal(format!("{op:?} needs a practice"))),
    }
}

async fn in_practice(app: &App, call: &Call, ctx: &MemberCtx) -> Result<Response<Body>, DomainError> {
    match call.route.op {
        Op::GetPractice => {
            let p = practices::get_practice(ctx);
            versioned(StatusCode::OK, &p, p.version)
        }
        Op::PatchPractice => {
            let p = practices::patch_practice(app, ctx, call.json()?, call.if_match()?).await?;
            versioned(StatusCode::OK, &p, p.version)
        }
        Op::ListLocations => json_response(StatusCode::OK, &practices::list_locations(app, ctx).await?),
        Op::CreateLocation => {
            let l = practices::create_location(app, ctx, call.json()?).await?;
            versioned(StatusCode::CREATED, &l, l.version)
        }
        Op::PatchLocation => {
            let lid: LocationId = call.id("lid")?;
            let l = practices::patch_location(app, ctx, lid, call.json()?, call.if_match()?).await?;
            versioned(StatusCode::OK, &l, l.version)
        }
        Op::ListRoles => json_response(StatusCode::OK, &roles::list_roles(app, ctx).await?),
        Op::CreateRole => {
            let r = roles::create_role(app, ctx, call.json()?).await?;
            versioned(StatusCode::CREATED, &r, r.version.unwrap_or(1))
        }
        Op::UpdateRole => {
            let rid = call.param("rid").ok_or(DomainError::NotFound)?;
            let r = roles::update_role(app, ctx, rid, call.json()?, call.if_match()?).await?;
            versioned(StatusCode::OK, &r, r.version.unwrap_or(1))
        }
        Op::DeleteRole => {
            roles::delete_role(app, ctx, call.param("rid").ok_or(DomainError::NotFound)?).await?;
            no_content()
        }
        Op::AuditLog => {
            let cursor = call.query.get("cursor").map(String::as_str);
            json_response(StatusCode::OK, &audit::audit_log(app, ctx, call.limit()?, cursor).await?)
        }
        Op::Leave => {
            status::leave(app, ctx).await?;
            no_content()
        }
        Op::UpdateAccess => {
            let m = change::update_access(app, ctx, call.id("uid")?, call.json()?, call.if_match()?).await?;
            versioned(StatusCode::OK, &m, m.version)
        }
        Op::UpdateDetails => {
            let m = change::update_details(app, ctx, call.id("uid")?, call.json()?).await?;
            versioned(StatusCode::OK, &m, m.version)
        }
        Op::Deactivate => {
            let m = status::deactivate(app, ctx, call.id("uid")?).await?;
            versioned(StatusCode::OK, &m, m.version)
        }
        Op::Reactivate => {
            let input: ReactivateInput = call.json_or_default()?;
            let m = status::reactivate(app, ctx, call.id("uid")?, input).await?;
            versioned(StatusCode::OK, &m, m.version)
        }
        Op::BulkReactivate => {
            let results = status::bulk_reactivate(app, ctx, call.json()?).await?;
            let results: Vec<serde_json::Value> = results
                .into_iter()
                .map(|(user_id, outcome)| match outcome {
                    Ok(m) => serde_json::json!({"user_id": user_id, "status": 200, "member": m}),
                    Err(e) => {
                        let (status, problem) = problem_value(&HttpError::Domain(e));
                        serde_json::json!({"user_id": user_id, "status": status, "error": problem})
                    }
                })
                .collect();
            json_response(StatusCode::OK, &serde_json::json!({ "results": results }))
        }
        Op::ListMembers => {
            let query = MemberQuery {
                status: MemberListStatus::parse(call.query.get("status").map(String::as_str))?,
                q: call.query.get("q").cloned(),
                limit: call.limit()?,
                cursor: call.query.get("cursor").cloned(),
            };
            json_response(StatusCode::OK, &member_reads::list_members(app, ctx, query).await?)
        }
        Op::GetMember => {
            let uid: UserId = call.id("uid")?;
            let m = member_reads::get_member(app, ctx, uid).await?;
            versioned(StatusCode::OK, &m, m.version)
        }
        Op::ListInvitations => {
            let list = invitations::list(
                app,
                ctx,
                call.query.get("status").map(String::as_str),
                call.limit()?,
                call.query.get("cursor").cloned(),
            )
            .await?;
            json_response(StatusCode::OK, &list)
        }
        Op::Invite => match invitations::invite(app, ctx, call.json()?).await? {
            Invited::Invitation(i) => json_response(StatusCode::CREATED, &i),
            Invited::Member(m) => versioned(StatusCode::CREATED, &m, m.version),
        },
        Op::ResendInvitation => json_response(StatusCode::OK, &invitations::resend(app, ctx, call.id("iid")?).await?),
        Op::RevokeInvitation => {
            invitations::revoke(app, ctx, call.id("iid")?).await?;
            no_content()
        }
        Op::Unlock => {
            let m = recovery::unlock(app, ctx, call.id("uid")?, call.json_or_default()?).await?;
            versioned(StatusCode::OK, &m, m.version)
        }
        Op::SetTemporaryPassword => {
            recovery::set_temporary_password(app, ctx, call.id("uid")?, call.json()?).await?;
            no_content()
        }
        Op::GrantSupport => json_response(StatusCode::OK, &support::grant(app, ctx).await?),
        Op::GetSupport => json_response(StatusCode::OK, &support::get(app, ctx).await?),
        Op::RevokeSupport => {
            support::revoke(app, ctx).await?;
            no_content()
        }
        op => Err(DomainError::Internal(format!("{op:?} is not a practice route"))),
    }
}
