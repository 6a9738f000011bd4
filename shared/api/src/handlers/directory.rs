//! Practices, their settings, locations, roles, the member list and the
//! audit log (the `directory` function).

use crate::request::Req;
use crate::response::{json, no_content, versioned};
use crate::routes::Pending;
use lambda_http::http::StatusCode;
use roster_domain::ids::{LocationId, UserId};
use roster_domain::ports::App;
use roster_domain::service::context::{Caller, MemberCtx};
use roster_domain::service::members::read::{self as member_reads, MemberListStatus, MemberQuery};
use roster_domain::service::{audit, policy, practices, roles, settings};

// ---------------------------------------------------------------- personal

pub fn create_practice<'a>(app: &'a App, req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move {
        let p = practices::create_practice(app, caller, req.json()?).await?;
        versioned(StatusCode::CREATED, &p, p.version)
    })
}

pub fn list_permissions<'a>(_app: &'a App, _req: &'a Req, _caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move { json(StatusCode::OK, &practices::permission_catalogue()) })
}

// ------------------------------------------------------------ in a practice

pub fn get_practice<'a>(_app: &'a App, _req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let p = practices::get_practice(ctx);
        versioned(StatusCode::OK, &p, p.version)
    })
}

pub fn patch_practice<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let p = practices::patch_practice(app, ctx, req.json()?, req.if_match()?).await?;
        versioned(StatusCode::OK, &p, p.version)
    })
}

pub fn get_settings<'a>(app: &'a App, _req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let s = settings::get_settings(app, ctx).await?;
        versioned(StatusCode::OK, &s, s.version)
    })
}

pub fn put_settings<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let s = settings::put_settings(app, ctx, req.json()?, req.if_match()?).await?;
        versioned(StatusCode::OK, &s, s.version)
    })
}

pub fn get_security_policy<'a>(_app: &'a App, _req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let p = policy::get_policy(ctx);
        versioned(StatusCode::OK, &p, p.version)
    })
}

pub fn put_security_policy<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let p = policy::put_policy(app, ctx, req.json()?, req.if_match()?).await?;
        versioned(StatusCode::OK, &p, p.version)
    })
}

/// A practice's locations, and its roles, are few: one page, whatever the
/// `limit`; a `limit` no list takes is still the 422 every list answers.
pub fn list_locations<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        req.limit()?;
        json(StatusCode::OK, &practices::list_locations(app, ctx).await?)
    })
}

pub fn create_location<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let l = practices::create_location(app, ctx, req.json()?).await?;
        versioned(StatusCode::CREATED, &l, l.version)
    })
}

pub fn patch_location<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let lid: LocationId = req.id("lid")?;
        let l = practices::patch_location(app, ctx, lid, req.json()?, req.if_match()?).await?;
        versioned(StatusCode::OK, &l, l.version)
    })
}

pub fn list_roles<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        req.limit()?;
        json(StatusCode::OK, &roles::list_roles(app, ctx).await?)
    })
}

pub fn create_role<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let r = roles::create_role(app, ctx, req.json()?).await?;
        versioned(StatusCode::CREATED, &r, r.version.unwrap_or(1))
    })
}

pub fn update_role<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let rid = req.segment("rid")?;
        let r = roles::update_role(app, ctx, rid, req.json()?, req.if_match()?).await?;
        // A built-in as the catalogue has it is at version 0.
        versioned(StatusCode::OK, &r, r.version.unwrap_or(0))
    })
}

pub fn reset_role<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let r = roles::reset_role(app, ctx, req.segment("rid")?).await?;
        versioned(StatusCode::OK, &r, r.version.unwrap_or(0))
    })
}

pub fn delete_role<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        roles::delete_role(app, ctx, req.segment("rid")?).await?;
        no_content()
    })
}

pub fn audit_log<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move { json(StatusCode::OK, &audit::audit_log(app, ctx, req.limit()?, req.query("cursor")).await?) })
}

pub fn list_members<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let query = MemberQuery {
            status: MemberListStatus::parse(req.query("status"))?,
            q: req.query("q").map(str::to_string),
            limit: req.limit()?,
            cursor: req.query("cursor").map(str::to_string),
        };
        json(StatusCode::OK, &member_reads::list_members(app, ctx, query).await?)
    })
}

pub fn get_member<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let uid: UserId = req.id("uid")?;
        let m = member_reads::get_member(app, ctx, uid).await?;
        versioned(StatusCode::OK, &m, m.version)
    })
}
