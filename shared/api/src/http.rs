//! From a request to a response: route, size limit, then what the route's
//! kind asks for before its handler runs: nothing (public), a session past
//! the gates (personal), or that and a place in the practice (practice).
//! The gates themselves are the domain's (`roster_domain::service::gate`); this only
//! runs them in order: 401, then R13, then R28, then R2's 404, then R31.

use crate::problem::{problem_response_for, problem_value, HttpError};
use crate::request::{body_bytes, Req};
use crate::routes::{Answer, Function, Handler, Op, Route};
use crate::served::{allowed_methods, key_of, Served};
use lambda_http::request::RequestContext;
use lambda_http::{service_fn, Body, Request, RequestExt, Response};
use roster_domain::ids::PracticeId;
use roster_domain::ports::App;
use roster_domain::service::context::{member_ctx, MemberCtx};
use roster_domain::service::gate::{self, Afterwards, WhileHeld};
use roster_domain::service::session::{self, Authenticated};
use roster_domain::service::{emergency, support};
use roster_domain::DomainError;
use std::convert::Infallible;
use std::sync::Arc;

/// API.md: bodies over 64 KiB get 413.
pub const MAX_BODY: usize = 64 * 1024;
/// R52's 500 rows at up to 2 KiB each: a bulk invitation's file is bigger
/// than any other body, and still far below Lambda's 6 MB.
pub const BULK_MAX_BODY: usize = 1024 * 1024;

/// R27's floor, now the domain's.
pub use roster_domain::timing::RESET_REQUEST_FLOOR;

/// Run one function on the Lambda runtime, serving its own routes only
/// (`roster_api::served::AUTH` and the like).
pub async fn serve(served: Served, app: App) -> Result<(), lambda_http::Error> {
    let app = Arc::new(app);
    let metrics = crate::metrics::init();
    lambda_http::run(service_fn(move |req: Request| {
        let app = app.clone();
        async move {
            let response = respond(&app, served, req).await;
            crate::metrics::flush(metrics, std::io::stdout().lock());
            Ok::<_, Infallible>(response)
        }
    }))
    .await
}

/// Answer one request for `function`. Never fails: every error is rendered.
///
/// The log line names the route's template, never the concrete path: a path
/// can carry a secret (an invitation link's token, R38), and whoever reads
/// the logs must not be able to use it.
/// This links every function's handlers: a binary answers through `serve`.
pub async fn handle(app: &App, function: Function, req: Request) -> Response<Body> {
    respond(app, function.served(), req).await
}

async fn respond(app: &App, served: Served, req: Request) -> Response<Body> {
    let function = served.function;
    let method = req.method().as_str().to_string();
    let route = key_of(&method, req.uri().path()).map_or("(no route)", |k| k.path);
    let (request_id, lambda_request_id) = request_ids(&req);
    let result = route_and_run(app, served, req).await;
    let mut response = result.unwrap_or_else(|e| problem_response_for(&e, request_id.as_deref()));
    // Every answer is about one caller (a session token, a member, a
    // practice's people): no browser or proxy cache may keep it.
    response.headers_mut().insert(lambda_http::http::header::CACHE_CONTROL, NO_STORE);
    tracing::info!(
        function = function.name(),
        %method,
        route,
        status = response.status().as_u16(),
        request_id = request_id.as_deref().unwrap_or("-"),
        lambda_request_id = lambda_request_id.as_deref().unwrap_or("-"),
        "request"
    );
    response
}

/// API Gateway's id of the request (what the client and the access log
/// see) and the Lambda invocation's, when the request carries them.
fn request_ids(req: &Request) -> (Option<String>, Option<String>) {
    let gateway = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(c)) => c.request_id.clone(),
        _ => None,
    };
    let lambda = req.lambda_context_ref().map(|c| c.request_id.clone()).filter(|id| !id.is_empty());
    (gateway, lambda)
}

const NO_STORE: lambda_http::http::HeaderValue = lambda_http::http::HeaderValue::from_static("no-store");

async fn route_and_run(app: &App, served: Served, req: Request) -> Result<Response<Body>, HttpError> {
    let path = req.uri().path().to_string();
    let Some((route, params)) = served.route(req.method().as_str(), &path) else {
        let method = req.method().as_str();
        let allowed = allowed_methods(served.function, method, &path);
        return Err(if allowed.is_empty() { HttpError::NoRoute } else { HttpError::MethodNotAllowed(allowed) });
    };
    let body = body_bytes(req.body());
    let limit = if route.op == Op::BulkInvite { BULK_MAX_BODY } else { MAX_BODY };
    if body.len() > limit {
        return Err(HttpError::TooLarge(limit));
    }
    let req = Req::new(&req, path, params, body);
    run(app, route, &req).await
}

/// Give the route's handler the caller it asks for, or refuse.
async fn run(app: &App, route: &'static Route, req: &Req) -> Result<Response<Body>, HttpError> {
    match route.handler() {
        Handler::Public(handler) => Ok(handler(app, req).await?),
        Handler::Personal(open, handler) => {
            let found = match signed_in(app, req, None).await {
                // Signing out is what an idle session is told to do (R48).
                Err(DomainError::SessionIdle) if route.op == Op::Logout => {
                    session::end_idle(app, req.bearer().unwrap_or_default()).await?;
                    return Ok(crate::response::no_content()?);
                }
                found => found?,
            };
            gate::admit(&found.caller, false, open)?;
            Ok(handler(app, req, &found.caller).await?)
        }
        Handler::Practice(handler) => {
            // The practice in the path is loaded with the session in one
            // read. An id that does not parse loads nothing and so ends in
            // R2's 404, after the session (401 first) and the gates.
            let pid: Option<PracticeId> = req.param("pid").and_then(|v| v.parse().ok());
            let found = signed_in(app, req, pid).await?;
            gate::admit(&found.caller, found.factor_required_here(), WhileHeld::Shut)?;
            let ctx = enter(app, found).await?;
            match in_practice(app, route, req, &ctx, handler).await {
                Ok(answer) => Ok(answer),
                Err(e) => {
                    let refused = HttpError::Domain(e);
                    record_refused(app, route, req, &ctx, &refused).await;
                    Err(refused)
                }
            }
        }
    }
}

/// A practice route's handler, past R31, and the read's audit after it.
async fn in_practice(
    app: &App,
    route: &'static Route,
    req: &Req,
    ctx: &MemberCtx,
    handler: crate::routes::PracticeHandler,
) -> Answer {
    let afterwards = gate::support(ctx, route.effect())?;
    let answer = handler(app, req, ctx).await?;
    let name = format!("{} {}", route.method, route.path);
    match afterwards {
        Afterwards::Nothing => {}
        Afterwards::RecordSupportRead => support::record_read(app, ctx, &name, req.path()).await?,
        Afterwards::RecordEmergencyRead => emergency::record_read(app, ctx, &name, &req.target()).await?,
    }
    Ok(answer)
}

/// R50, "every request made under it": one refused under emergency access
/// (403, 404, 422...) is audited too. Its answer is the refusal whatever
/// the audit write does: a failed write is logged, never made a 5xx.
async fn record_refused(app: &App, route: &'static Route, req: &Req, ctx: &MemberCtx, refused: &HttpError) {
    if ctx.emergency_id().is_none() {
        return;
    }
    let (status, problem) = problem_value(refused);
    let code = problem["code"].as_str().unwrap_or_default();
    let name = format!("{} {}", route.method, route.path);
    if let Err(e) = emergency::record_refused(app, ctx, &name, &req.target(), status, code).await {
        tracing::warn!(error = %e, status, code, "a request refused under emergency access was not audited");
    }
}

/// The session named by the bearer token (R29), with the practice `pid`,
/// the caller's membership of it and its support grant when one is named.
async fn signed_in(app: &App, req: &Req, pid: Option<PracticeId>) -> Result<Authenticated, DomainError> {
    let token = req.bearer().ok_or(DomainError::Unauthenticated)?;
    session::authenticate(app, token, pid).await
}

/// R2: not an active member, or no such practice: the same 404; and so for
/// a support agent without an active grant (R30).
async fn enter(app: &App, found: Authenticated) -> Result<MemberCtx, DomainError> {
    match (found.practice, found.membership) {
        (Some(practice), Some(membership)) => {
            member_ctx(app, found.caller, practice, membership, found.emergency).await
        }
        (Some(practice), None) => {
            support::agent_ctx(app, found.caller, practice, found.support_grant).ok_or(DomainError::NotFound)
        }
        _ => Err(DomainError::NotFound),
    }
}
