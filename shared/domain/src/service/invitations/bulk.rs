//! Bulk invitations (R52): up to 500 rows, each exactly what
//! `POST /practices/{pid}/invitations` does with that body
//! ([`invite::prepare`](super::invite::prepare)) and answered on its own, so
//! a bad row never stops the good ones. Rows run one after another: each is
//! its own transaction (far inside 100 writes), and seats (R45), R6 and
//! R36 are judged per row as the single invitation judges them.

use super::answers::{self, Begun};
use super::invite::{ensure_may_invite, prepare, InviteInput, Invited};
use crate::error::DomainError;
use crate::ids::LocationId;
use crate::permissions::{built_in_roles, stored_role_id};
use crate::ports::App;
use crate::service::context::MemberCtx;
use crate::validate::parse_email;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// R52
pub const MAX_ROWS: usize = 500;

/// Rows of one request that may set a temporary password. Each costs an
/// Argon2id hash and a strength estimate (about 170 ms at the invite
/// function's 256 MB), a dry run's too: 500 of them would outlast the
/// function's 29 s, and make the route a way to burn the account's Lambda
/// time. More are sent in further requests, or invited by link.
pub const MAX_TEMPORARY_PASSWORDS: usize = 10;

/// What one row came to: the invitation (or member, R13) it made, `None`
/// for a row a dry run found good, or the problem that row alone has.
pub type RowOutcome = Result<Option<Invited>, DomainError>;

/// One row as sent, with the number its result reports: its place in a
/// JSON list, or the line a CSV record starts on.
pub struct Row {
    pub number: usize,
    /// A row that could not even be read (a CSV record's) is its own problem.
    pub body: Result<Value, DomainError>,
}

/// A bulk request: its rows (JSON objects with the single invitation's
/// fields), whether only to judge them, and the `Idempotency-Key` with the
/// hash of what was sent.
pub struct BulkRequest<'a> {
    pub rows: Vec<Row>,
    pub dry_run: bool,
    pub idempotency: Option<(&'a str, String)>,
}

/// `POST /practices/{pid}/invitations/bulk`: one answer per row, as
/// `render` (the HTTP layer's problem mapping) writes it. A retry under
/// the same key answers what the first request answered and invites no one
/// again; a dry run writes nothing, the key's record included.
pub async fn bulk_invite(
    app: &App,
    ctx: &MemberCtx,
    req: BulkRequest<'_>,
    render: impl Fn(usize, RowOutcome) -> Value,
) -> Result<Vec<Value>, DomainError> {
    ensure_may_invite(ctx)?;
    if req.rows.is_empty() {
        return Err(DomainError::field("rows", "must hold at least one invitation"));
    }
    if req.rows.len() > MAX_ROWS {
        return Err(DomainError::field("rows", &format!("must hold at most {MAX_ROWS} invitations")));
    }
    let claim = match (req.idempotency, req.dry_run) {
        (Some((key, body_hash)), false) => match answers::begin(app, ctx, key, body_hash).await? {
            Begun::Replay(results) => return Ok(results),
            Begun::Fresh(claim) => Some(claim),
        },
        _ => None,
    };
    let run = run_rows(app, ctx, req.rows, req.dry_run, render).await;
    if let Some(claim) = claim {
        // The rows are committed: a failure to keep (or let go of) their
        // answer must not hide them. The claim's lease then lets a retry
        // in once this request could no longer be running.
        let kept = match &run {
            Ok((results, false)) => answers::finish(app, claim, results).await,
            _ => answers::release(app, claim).await,
        };
        if let Err(e) = kept {
            tracing::warn!(error = %e, "bulk invitation answer not kept");
        }
    }
    run.map(|(results, _)| results)
}

/// Each row's result, and whether any failed on our side (a `5xx`): such
/// an answer is not kept, so a retry does that row again rather than
/// replaying the failure.
async fn run_rows(
    app: &App,
    ctx: &MemberCtx,
    rows: Vec<Row>,
    dry_run: bool,
    render: impl Fn(usize, RowOutcome) -> Value,
) -> Result<(Vec<Value>, bool), DomainError> {
    let names = match rows.iter().filter_map(|r| r.body.as_ref().ok()).any(names_something) {
        true => Names::load(app, ctx).await?,
        false => Names::default(),
    };
    let mut taken = HashSet::new();
    let mut passwords = 0;
    let mut ours = false;
    let mut results = Vec::with_capacity(rows.len());
    for Row { number, body } in rows {
        let outcome = match body {
            Ok(row) => one(app, ctx, names.resolve(row), dry_run, &mut taken, &mut passwords).await,
            Err(e) => Err(e),
        };
        ours |= outcome.as_ref().is_err_and(DomainError::is_ours);
        results.push(render(number, outcome));
    }
    Ok((results, ours))
}

async fn one(
    app: &App,
    ctx: &MemberCtx,
    row: Value,
    dry_run: bool,
    taken: &mut HashSet<String>,
    passwords: &mut usize,
) -> RowOutcome {
    let input: InviteInput = serde_json::from_value(row).map_err(|e| DomainError::Malformed(e.to_string()))?;
    if input.temporary_password.is_some() {
        // Counted before anything is judged: a refused row ran the
        // estimator too.
        if *passwords >= MAX_TEMPORARY_PASSWORDS {
            let most = format!("may be set on at most {MAX_TEMPORARY_PASSWORDS} rows of one request");
            return Err(DomainError::field("temporary_password", &most));
        }
        *passwords += 1;
    }
    // R6 within the request: a committed row holds its slot, which the
    // next row's transaction would meet; a dry run commits nothing, so the
    // addresses are remembered here for both.
    let norm = input.email.as_deref().and_then(parse_email).map(|(_, norm)| norm);
    if norm.as_ref().is_some_and(|n| taken.contains(n)) {
        return Err(DomainError::InvitationPending);
    }
    let prepared = prepare(app, ctx, input).await?;
    let email_norm = prepared.email_norm.clone();
    let invited = match dry_run {
        true => None,
        false => Some(prepared.commit(app).await?),
    };
    taken.insert(email_norm);
    Ok(invited)
}

/// The practice's roles and locations by name, so a row (a spreadsheet's,
/// above all) may name them as people know them. A name two of them share
/// names neither: the row keeps it and fails as an unknown id would. An
/// id is never read as a name.
#[derive(Default)]
struct Names {
    roles: HashMap<String, Option<String>>,
    locations: HashMap<String, Option<String>>,
    ids: HashSet<String>,
}

impl Names {
    async fn load(app: &App, ctx: &MemberCtx) -> Result<Self, DomainError> {
        let pid = ctx.practice.id;
        let built_in = built_in_roles().into_iter().map(|r| (r.name.to_string(), r.id.to_string()));
        let roles: Vec<(String, String)> =
            app.store.roles(pid).await?.into_iter().map(|r| (r.name, r.id)).chain(built_in).collect();
        let locations = app.store.locations(pid).await?;
        let ids = roles.iter().map(|(_, id)| id.clone()).chain(locations.iter().map(|l| l.id.to_string())).collect();
        Ok(Self {
            ids,
            roles: by_name(roles.into_iter()),
            locations: by_name(locations.into_iter().filter(|l| l.active).map(|l| (l.name, l.id.to_string()))),
        })
    }

    /// The row with each role and location name replaced by its id; ids,
    /// and what names nothing, are left for the invitation's own rules.
    fn resolve(&self, mut row: Value) -> Value {
        let Some(obj) = row.as_object_mut() else { return row };
        if let Some(Value::String(r)) = obj.get_mut("role_id") {
            self.swap(&self.roles, r);
        }
        if let Some(Value::String(l)) = obj.get_mut("primary_location_id") {
            self.swap(&self.locations, l);
        }
        if let Some(Value::Array(list)) = obj.get_mut("location_access") {
            for v in list {
                if let Value::String(l) = v {
                    self.swap(&self.locations, l);
                }
            }
        }
        row
    }

    fn swap(&self, names: &HashMap<String, Option<String>>, value: &mut String) {
        if self.ids.contains(value.trim()) {
            return;
        }
        if let Some(Some(id)) = names.get(&value.trim().to_lowercase()) {
            value.clone_from(id);
        }
    }
}

/// Whether a row names a role or location otherwise than by id: only then
/// are the practice's roles and locations listed (two Queries).
fn names_something(row: &Value) -> bool {
    let not_a_location = |v: &Value| v.as_str().is_some_and(|l| l.trim().parse::<LocationId>().is_err());
    let role = row
        .get("role_id")
        .and_then(Value::as_str)
        .is_some_and(|r| stored_role_id(r).is_none() && !built_in_roles().iter().any(|b| b.id == r.trim()));
    let listed = row.get("location_access").and_then(Value::as_array).is_some_and(|l| l.iter().any(not_a_location));
    role || listed || row.get("primary_location_id").is_some_and(not_a_location)
}

fn by_name(pairs: impl Iterator<Item = (String, String)>) -> HashMap<String, Option<String>> {
    let mut out: HashMap<String, Option<String>> = HashMap::new();
    for (name, id) in pairs {
        out.entry(name.trim().to_lowercase()).and_modify(|seen| *seen = None).or_insert(Some(id));
    }
    out
}
