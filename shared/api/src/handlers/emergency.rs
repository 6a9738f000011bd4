//! Emergency access (R50): opened on `update-access`, ended on `revoke`
//! (the function whose role may delete the member's pointer).

use crate::request::Req;
use crate::response::{json, no_content};
use crate::routes::Pending;
use lambda_http::http::StatusCode;
use roster_domain::ports::App;
use roster_domain::service::context::MemberCtx;
use roster_domain::service::emergency;

pub fn open<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move { json(StatusCode::CREATED, &emergency::open(app, ctx, req.json()?).await?) })
}

pub fn close<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        emergency::close(app, ctx, req.id("id")?).await?;
        no_content()
    })
}
