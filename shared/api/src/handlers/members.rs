//! A member's access and standing, account help by a manager, leaving, and
//! support access (the `update-access`, `deactivate`, `directory` and
//! `revoke` functions). Every handler here acts inside a practice.

use crate::problem::{problem_value, HttpError};
use crate::request::Req;
use crate::response::{json, no_content, versioned};
use crate::routes::Pending;
use lambda_http::http::StatusCode;
use roster_domain::ports::App;
use roster_domain::service::context::MemberCtx;
use roster_domain::service::members::change;
use roster_domain::service::members::status::{self, ReactivateInput};
use roster_domain::service::{recovery, support};

pub fn leave<'a>(app: &'a App, _req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        status::leave(app, ctx).await?;
        no_content()
    })
}

pub fn update_access<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let m = change::update_access(app, ctx, req.id("uid")?, req.json()?, req.if_match()?).await?;
        versioned(StatusCode::OK, &m, m.version)
    })
}

pub fn update_details<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let m = change::update_details(app, ctx, req.id("uid")?, req.json()?, req.if_match()?).await?;
        versioned(StatusCode::OK, &m, m.version)
    })
}

pub fn deactivate<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let m = status::deactivate(app, ctx, req.id("uid")?).await?;
        versioned(StatusCode::OK, &m, m.version)
    })
}

pub fn reactivate<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let input: ReactivateInput = req.json_or_default()?;
        let m = status::reactivate(app, ctx, req.id("uid")?, input).await?;
        versioned(StatusCode::OK, &m, m.version)
    })
}

/// One status and one answer or problem per member (R21).
pub fn bulk_reactivate<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let results = status::bulk_reactivate(app, ctx, req.json()?).await?;
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
        json(StatusCode::OK, &serde_json::json!({ "results": results }))
    })
}

pub fn unlock<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let m = recovery::unlock(app, ctx, req.id("uid")?, req.json_or_default()?).await?;
        versioned(StatusCode::OK, &m, m.version)
    })
}

pub fn set_temporary_password<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        recovery::set_temporary_password(app, ctx, req.id("uid")?, req.json()?).await?;
        no_content()
    })
}

// ----------------------------------------------------------- support access

pub fn grant_support<'a>(app: &'a App, _req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move { json(StatusCode::OK, &support::grant(app, ctx).await?) })
}

pub fn get_support<'a>(app: &'a App, _req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move { json(StatusCode::OK, &support::get(app, ctx).await?) })
}

pub fn revoke_support<'a>(app: &'a App, _req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        support::revoke(app, ctx).await?;
        no_content()
    })
}
