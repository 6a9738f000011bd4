//! R51: a practice's audit log exported by date range, oldest first, a page
//! at a time. Which events a page holds, and where the next one starts, is
//! decided here; how each event is written out (CSV, NDJSON) is the HTTP
//! layer's, through [`ExportPage`].

use super::context::MemberCtx;
use super::views::AuditView;
use super::writes::{audit_event, commit};
use crate::error::{DomainError, FieldError};
use crate::ids::{EventId, PracticeId};
use crate::model::{AuditScope, Target, Time};
use crate::permissions::AUDIT_VIEW;
use crate::ports::{App, AuditRange, Tx, Write};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, SecondsFormat};
use serde_json::json;

/// R51: a page holds at most this many events (fewer when the writer's
/// page is full first).
pub const EXPORT_PAGE_EVENTS: usize = 5_000;

/// How an export is written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Ndjson,
}

impl ExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Ndjson => "ndjson",
        }
    }

    fn parse(raw: Option<&str>) -> Result<Self, FieldError> {
        match raw {
            // What a practice manager opens, and the first the contract names.
            None | Some("csv") => Ok(Self::Csv),
            Some("ndjson") => Ok(Self::Ndjson),
            Some(_) => Err(FieldError::new("format", "must be csv or ndjson")),
        }
    }
}

/// The query string of `GET /practices/{pid}/audit/export`, as sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportParams<'a> {
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub format: Option<&'a str>,
    pub cursor: Option<&'a str>,
}

/// An export's query, parsed: the range with its defaults filled in, so a
/// next page's link names the very range the first page was cut from. Only
/// `parse` makes one, and only for a caller holding `audit.view`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportQuery {
    range: AuditRange,
    format: ExportFormat,
}

impl ExportQuery {
    /// `from` defaults to the practice's creation (nothing of it is older),
    /// `to` to now; `from` equal to `to` is an empty range. No longest
    /// range: a page reads only its own events by key range, so a wide
    /// range costs nothing a narrow one does not.
    pub fn parse(app: &App, ctx: &MemberCtx, p: &ExportParams<'_>) -> Result<Self, DomainError> {
        ctx.require(AUDIT_VIEW)?;
        let mut errors = Vec::new();
        let mut instant = |field: &str, raw: Option<&str>, default: Time| match raw.map(DateTime::parse_from_rfc3339) {
            None => default,
            Some(Ok(t)) => t.to_utc(),
            Some(Err(_)) => {
                errors.push(FieldError::new(field, "must be an RFC 3339 instant, such as 2026-01-31T00:00:00Z"));
                default
            }
        };
        let from = instant("from", p.from, ctx.practice.created_at);
        let to = instant("to", p.to, app.now());
        let format = ExportFormat::parse(p.format).map_err(|e| errors.push(e)).unwrap_or(ExportFormat::Csv);
        if errors.is_empty() && from > to {
            errors.push(FieldError::new("to", "must not be earlier than from"));
        }
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors));
        }
        Ok(Self { range: AuditRange { from, to }, format })
    }

    pub fn format(&self) -> ExportFormat {
        self.format
    }

    /// `from` and `to` as a next page's link spells them.
    pub fn from_text(&self) -> String {
        instant_text(self.range.from)
    }

    pub fn to_text(&self) -> String {
        instant_text(self.range.to)
    }
}

fn instant_text(t: Time) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Where a page ended, bound to the practice and the query it was cut
/// from: a cursor shown anywhere else is refused, not followed, so it can
/// name no position outside that practice's log and that range.
struct ExportCursor {
    practice: PracticeId,
    query: ExportQuery,
    after: EventId,
}

const CURSOR_VERSION: &str = "x1";

impl ExportCursor {
    fn encode(&self) -> String {
        let text = format!(
            "{CURSOR_VERSION}|{}|{}|{}|{}|{}",
            self.practice,
            instant_text(self.query.range.from),
            instant_text(self.query.range.to),
            self.query.format.as_str(),
            self.after
        );
        URL_SAFE_NO_PAD.encode(text)
    }

    /// The event a cursor resumes after, if it was given out for this
    /// practice and this query; anything else is `400 malformed_request`.
    fn decode(raw: &str, practice: PracticeId, query: &ExportQuery) -> Result<EventId, DomainError> {
        let refused =
            || DomainError::Malformed("the cursor was not given out for this export: start again without it".into());
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| refused())?;
        let text = String::from_utf8(bytes).map_err(|_| refused())?;
        let parts: Vec<&str> = text.split('|').collect();
        let [version, pid, from, to, format, after] = parts[..] else { return Err(refused()) };
        let expected = Self { practice, query: *query, after: EventId(uuid::Uuid::nil()) };
        let bound = version == CURSOR_VERSION
            && pid.parse::<PracticeId>().is_ok_and(|p| p == expected.practice)
            && from == instant_text(query.range.from)
            && to == instant_text(query.range.to)
            && format == query.format.as_str();
        if !bound {
            return Err(refused());
        }
        after.parse().map_err(|_| refused())
    }
}

/// A page being written out. An empty page is never full, so every page
/// holds at least one event and an export always moves forward.
pub trait ExportPage {
    fn push(&mut self, event: &AuditView) -> Result<(), DomainError>;
    /// Whether the page should end before another event.
    fn full(&self) -> bool;
}

/// `GET /practices/{pid}/audit/export` (audit.view, checked by the query's
/// `parse`; R51): fills `page` with
/// the next events of the range, oldest first (an export tool appends, and
/// events written during the export land after its end, not behind it),
/// and answers the cursor of the page after it, if any event is left.
pub async fn export<P: ExportPage + Send>(
    app: &App,
    ctx: &MemberCtx,
    query: &ExportQuery,
    cursor: Option<&str>,
    page: &mut P,
) -> Result<Option<String>, DomainError> {
    let practice = ctx.practice.id;
    let mut after = cursor.map(|c| ExportCursor::decode(c, practice, query)).transpose()?;
    if after.is_none() {
        record_export(app, ctx, query).await?;
    }
    let (mut taken, mut last) = (0usize, None);
    loop {
        // One event past the page, to know whether another page follows.
        let chunk = app.store.audit_range(practice, query.range, after, EXPORT_PAGE_EVENTS - taken + 1).await?;
        for event in &chunk.events {
            if taken == EXPORT_PAGE_EVENTS || (taken > 0 && page.full()) {
                return Ok(last.map(|after| ExportCursor { practice, query: *query, after }.encode()));
            }
            page.push(&AuditView::from(event))?;
            taken += 1;
            last = Some(event.id);
        }
        match chunk.resume {
            Some(k) => after = Some(k),
            None => return Ok(None),
        }
    }
}

/// Who exported the log, which range and in which format: one audit event
/// an export, on its first page (the pages after it only follow the
/// cursor it gave out, bound to the same query). Written before the page
/// is read, so no export goes unrecorded; its own page may list it.
async fn record_export(app: &App, ctx: &MemberCtx, query: &ExportQuery) -> Result<(), DomainError> {
    let mut tx = Tx::new();
    tx.push(Write::Create(audit_event(
        AuditScope::Practice(ctx.practice.id),
        app.now(),
        ctx.actor(),
        "audit.exported",
        Target::new("practice", ctx.practice.id),
        json!(null),
        json!({"from": query.from_text(), "to": query.to_text(), "format": query.format.as_str()}),
    )));
    commit(app, tx).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn query(format: ExportFormat) -> ExportQuery {
        let t = |d| chrono::Utc.with_ymd_and_hms(2026, 1, d, 0, 0, 0).single().unwrap_or_default();
        ExportQuery { range: AuditRange { from: t(1), to: t(31) }, format }
    }

    #[test]
    fn a_cursor_is_followed_only_for_its_practice_and_query() {
        let (p, q) = (PracticeId::new(), query(ExportFormat::Csv));
        let after = EventId::new();
        let c = ExportCursor { practice: p, query: q, after }.encode();
        assert_eq!(ExportCursor::decode(&c, p, &q).ok(), Some(after));
        assert!(ExportCursor::decode(&c, PracticeId::new(), &q).is_err());
        assert!(ExportCursor::decode(&c, p, &query(ExportFormat::Ndjson)).is_err());
        let mut later = q;
        later.range.to += chrono::Duration::milliseconds(1);
        assert!(ExportCursor::decode(&c, p, &later).is_err());
        for forged in ["", "!!", "eDF8", &URL_SAFE_NO_PAD.encode(format!("x1|{p}|a|b|csv|{after}"))] {
            assert!(matches!(ExportCursor::decode(forged, p, &q), Err(DomainError::Malformed(_))), "{forged}");
        }
    }
}
