//! The fan-out tasks (R37): what a committed change still does to more
//! items than one transaction holds. Each reads what is stored when it
//! runs, and writes under conditions and ids that make a second run, or a
//! run after a later change, harmless.

use super::user_copies::{mirror, practice_audits};
use crate::error::{DomainError, PortError};
use crate::ids::{EventId, PracticeId, UserId};
use crate::mail;
use crate::model::*;
use crate::ports::{App, Record, Tx, Write, MAX_WRITES};
use serde_json::Value;

/// How often copying reads again after a newer copy won a race.
const COPY_ROUNDS: usize = 5;

/// Runs `task`, the payload of outbox item `id`. The outbox items it
/// writes reach the delivery function through the stream like any other.
pub async fn run(app: &App, id: EventId, task: &Task) -> Result<(), DomainError> {
    match task {
        Task::CopyUser { user_id, audit } => copy_user(app, id, *user_id, audit.as_ref()).await,
        Task::MailDirectors { practice_id, template, data } => {
            mail_directors(app, id, *practice_id, template, data).await
        }
    }
}

/// Commits `writes` in as many transactions as they need. Each write must
/// be harmless to repeat: a failure part-way leaves the task to run again.
async fn in_chunks(app: &App, writes: Vec<Write>) -> Result<(), DomainError> {
    let mut writes = writes.into_iter().peekable();
    while writes.peek().is_some() {
        let mut tx = Tx::new();
        for w in writes.by_ref().take(MAX_WRITES) {
            tx.push(w);
        }
        app.store.transact(tx).await?;
    }
    Ok(())
}

async fn copy_user(app: &App, id: EventId, user_id: UserId, audit: Option<&PracticeAudit>) -> Result<(), DomainError> {
    let memberships = app.store.memberships_of_user(user_id).await?;
    if let Some(a) = audit {
        // Under ids derived from the task's, a second run rewrites the
        // same events rather than adding to them.
        in_chunks(app, practice_audits(&memberships, a, |p| id.derived(p.0)).collect()).await?;
    }
    let mut memberships = memberships;
    for _ in 0..COPY_ROUNDS {
        let Some(user) = app.store.user(user_id).await? else { return Ok(()) };
        let stale: Vec<Write> = memberships
            .iter()
            .filter(|m| m.user_version < user.version)
            .map(|m| mirror(m, &user, false, true))
            .collect();
        match in_chunks(app, stale).await {
            Ok(()) => return Ok(()),
            // A change after this read copied itself onto a membership
            // first: read both again; what is newer is left alone.
            Err(DomainError::NotFound) => memberships = app.store.memberships_of_user(user_id).await?,
            Err(e) => return Err(e),
        }
    }
    Err(DomainError::Internal(format!("copies of user {user_id} kept losing races")))
}

/// One mail per active director, each an outbox item of its own under an
/// id derived from the task's, so a second run adds only what the first
/// did not.
async fn mail_directors(
    app: &App,
    id: EventId,
    practice_id: PracticeId,
    template: &str,
    data: &Value,
) -> Result<(), DomainError> {
    let now = app.now();
    let mut items = Vec::new();
    for d in app.store.directors(practice_id).await?.iter().filter(|d| d.is_active() && !d.email.is_empty()) {
        let mail = mail::render(template, &d.email, data)?;
        items.push(OutboxItem::new(id.derived(d.user_id.0), now, OutboxPayload::Mail(mail)));
    }
    create_missing(app, items).await
}

/// Writes each of `items` that is not stored yet. One stored already is an
/// earlier run's, perhaps delivered since: writing it again would put it
/// back undelivered and send it again.
async fn create_missing(app: &App, items: Vec<OutboxItem>) -> Result<(), DomainError> {
    let create = |i: &OutboxItem| Write::Create(Record::Outbox(i.clone()));
    for chunk in items.chunks(MAX_WRITES) {
        let mut tx = Tx::new();
        for item in chunk {
            tx.push(create(item));
        }
        match app.store.transact(tx).await {
            Ok(()) => continue,
            // The store names no item, so each is written on its own.
            Err(e) if already_exists(&e) => {}
            Err(e) => return Err(e.into()),
        }
        for item in chunk {
            let mut tx = Tx::new();
            tx.push(create(item));
            match app.store.transact(tx).await {
                Err(e) if !already_exists(&e) => return Err(e.into()),
                _ => {}
            }
        }
    }
    Ok(())
}

fn already_exists(e: &PortError) -> bool {
    matches!(e, PortError::Conflict(DomainError::Conflict("already_exists")))
}
