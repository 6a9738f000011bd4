//! Invitations: the inviting side inside a practice (the `directory`,
//! `invite` and `revoke` functions) and the invited side (`accept`).

use crate::csv_rows;
use crate::problem::{problem_value, HttpError};
use crate::request::Req;
use crate::response::{json, no_content, versioned};
use crate::routes::Pending;
use lambda_http::http::StatusCode;
use roster_domain::ports::App;
use roster_domain::service::context::{Caller, MemberCtx};
use roster_domain::service::invitations::bulk::{self, BulkRequest, Row, RowOutcome};
use roster_domain::service::invitations::invite::{self as inviting, Invited};
use roster_domain::service::invitations::respond;
use roster_domain::{secrets, DomainError};
use serde::Deserialize;
use serde_json::{json as value, Value};

// --------------------------------------------------- the invited side: public

pub fn preview<'a>(app: &'a App, req: &'a Req) -> Pending<'a> {
    Box::pin(async move { json(StatusCode::OK, &respond::preview(app, req.token()?).await?) })
}

pub fn register_by_token<'a>(app: &'a App, req: &'a Req) -> Pending<'a> {
    Box::pin(async move {
        let input = respond::RegisterInput { user_agent: req.user_agent(), ..req.json()? };
        let out = respond::register(app, req.token()?, input).await?;
        json(StatusCode::CREATED, &serde_json::json!({"user": out.user, "member": out.member, "session": out.session}))
    })
}

pub fn decline_by_token<'a>(app: &'a App, req: &'a Req) -> Pending<'a> {
    Box::pin(async move {
        respond::decline_by_token(app, req.token()?).await?;
        no_content()
    })
}

// ------------------------------------------------ the invited side: personal

pub fn accept_by_token<'a>(app: &'a App, req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move {
        let m = respond::accept_by_token(app, caller, req.token()?).await?;
        versioned(StatusCode::OK, &m, m.version)
    })
}

pub fn my_invitations<'a>(app: &'a App, req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move {
        json(StatusCode::OK, &respond::my_invitations(app, caller, req.limit()?, req.query("cursor")).await?)
    })
}

pub fn accept_mine<'a>(app: &'a App, req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move {
        let m = respond::accept_mine(app, caller, req.id("invitation_id")?).await?;
        versioned(StatusCode::OK, &m, m.version)
    })
}

pub fn decline_mine<'a>(app: &'a App, req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move {
        respond::decline_mine(app, caller, req.id("invitation_id")?).await?;
        no_content()
    })
}

// ------------------------------------------------ the inviting side: practice

pub fn list<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let (status, q) = (req.query("status"), req.query("q"));
        let list = inviting::list(app, ctx, status, q, req.limit()?, req.query("cursor").map(str::to_string)).await?;
        json(StatusCode::OK, &list)
    })
}

pub fn invite<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        match inviting::invite(app, ctx, req.json()?).await? {
            Invited::Invitation(i) => json(StatusCode::CREATED, &i),
            Invited::Member(m) => versioned(StatusCode::CREATED, &m, m.version),
        }
    })
}

pub fn resend<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move { json(StatusCode::OK, &inviting::resend(app, ctx, req.id("iid")?).await?) })
}

pub fn revoke<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        inviting::revoke(app, ctx, req.id("iid")?).await?;
        no_content()
    })
}

/// R52's JSON body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkBody {
    rows: Option<Vec<Value>>,
    #[serde(default)]
    dry_run: bool,
}

/// `POST /practices/{pid}/invitations/bulk`: JSON rows, or a CSV file
/// (`text/csv`, with `?dry_run=true` for a dry run); one result per row.
pub fn bulk<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let mime = req.mime();
        // Read strictly, for either body: a mistyped `?dry_run=1` must not
        // turn a rehearsal into 500 real invitations and their mail.
        let asked = match req.query("dry_run") {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(DomainError::field("dry_run", "must be true or false")),
        };
        let (rows, dry_run) = match mime.as_deref() {
            Some("text/csv") => (csv_rows::rows(req.body())?, asked),
            _ => {
                let body: BulkBody = req.json()?;
                let rows = body.rows.ok_or_else(|| DomainError::field("rows", "is required"))?;
                let rows = rows.into_iter().enumerate().map(|(i, v)| Row { number: i + 1, body: Ok(v) }).collect();
                (rows, body.dry_run || asked)
            }
        };
        // What was sent, exactly: a retry sends the same bytes.
        let body_hash = secrets::sha256_hex([mime.unwrap_or_default().as_bytes(), b"\n", req.body()].concat());
        let idempotency = req.header("idempotency-key").map(|k| (k, body_hash));
        let results = bulk::bulk_invite(app, ctx, BulkRequest { rows, dry_run, idempotency }, row_result).await?;
        json(StatusCode::OK, &value!({ "results": results }))
    })
}

fn row_result(row: usize, outcome: RowOutcome) -> Value {
    match outcome {
        Ok(None) => value!({"row": row, "status": 200}),
        Ok(Some(Invited::Invitation(i))) => value!({"row": row, "status": 201, "invitation": i}),
        Ok(Some(Invited::Member(m))) => value!({"row": row, "status": 201, "member": m}),
        Err(e) => {
            let (status, problem) = problem_value(&HttpError::Domain(e));
            value!({"row": row, "status": status, "error": problem})
        }
    }
}
