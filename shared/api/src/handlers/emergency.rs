//! Emergency access (R50): opened and reviewed on `update-access` (where
//! the other director writes on the practice live), ended on `revoke` (the
//! function whose role may delete the member's pointer), listed on
//! `directory` with the other practice reads.

use crate::request::Req;
use crate::response::{json, no_content};
use crate::routes::Pending;
use lambda_http::http::StatusCode;
use roster_domain::model::EmergencyList;
use roster_domain::ports::App;
use roster_domain::service::context::MemberCtx;
use roster_domain::service::{emergency, emergency_review};

pub fn open<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move { json(StatusCode::CREATED, &emergency::open(app, ctx, req.json()?).await?) })
}

pub fn close<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        emergency::close(app, ctx, req.id("id")?).await?;
        no_content()
    })
}

pub fn list<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let status = EmergencyList::parse(req.query("status"))?;
        let page = emergency_review::list(app, ctx, status, req.limit()?, req.query("cursor")).await?;
        json(StatusCode::OK, &page)
    })
}

pub fn review<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(
        async move { json(StatusCode::OK, &emergency_review::review(app, ctx, req.id("id")?, req.json()?).await?) },
    )
}
