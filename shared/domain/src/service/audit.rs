//! The audit log (R32) as a practice reads it.

use super::context::MemberCtx;
use super::views::{AuditView, ListView};
use crate::error::DomainError;
use crate::model::AuditScope;
use crate::permissions::AUDIT_VIEW;
use crate::ports::App;

/// `GET /practices/{pid}/audit` (audit.view, R32): newest first; the events
/// are written in the transactions of their changes.
pub async fn audit_log(
    app: &App,
    ctx: &MemberCtx,
    limit: usize,
    cursor: Option<&str>,
) -> Result<ListView<AuditView>, DomainError> {
    ctx.require(AUDIT_VIEW)?;
    let page = app.store.audit(AuditScope::Practice(ctx.practice.id), limit, cursor).await?;
    Ok(ListView { items: page.items.iter().map(AuditView::from).collect(), next_cursor: page.next })
}
