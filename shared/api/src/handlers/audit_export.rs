//! `GET /practices/{pid}/audit/export` (R51, the `directory` function): a
//! page of the audit log as CSV or NDJSON, the next page in a `Link`
//! header. The domain picks the events; this writes them out and keeps a
//! page well under Lambda's 6 MB response limit.

use crate::request::Req;
use crate::routes::Pending;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use roster_domain::ports::App;
use roster_domain::service::audit_export::{self, ExportFormat, ExportPage, ExportParams, ExportQuery};
use roster_domain::service::context::MemberCtx;
use roster_domain::service::views::AuditView;
use roster_domain::DomainError;
use serde_json::Value;

/// A page ends once its body would take this much of Lambda's 6 MB
/// response, counted as the body is carried there (a JSON string, where
/// every `"` and `\` doubles), so the largest page is this plus one event.
/// Nothing but the page count bounds an event's size below DynamoDB's
/// 400 KB item, so 5,000 events alone could not keep a page under 6 MB.
pub const PAGE_BUDGET: usize = 3 * 1024 * 1024;

/// CSV columns, one event a line; `before` and `after` as compact JSON;
/// `actor_emergency_access_id` empty unless the actor acted under one (R50).
const CSV_HEADER: [&str; 11] = [
    "id",
    "at",
    "actor_user_id",
    "actor_email",
    "actor_support",
    "actor_emergency_access_id",
    "action",
    "target_type",
    "target_id",
    "before",
    "after",
];

pub fn export<'a>(app: &'a App, req: &'a Req, ctx: &'a MemberCtx) -> Pending<'a> {
    Box::pin(async move {
        let params = ExportParams {
            from: req.query("from"),
            to: req.query("to"),
            format: req.query("format"),
            cursor: req.query("cursor"),
        };
        let query = ExportQuery::parse(app, ctx, &params)?;
        let mut page = Page::new(query.format())?;
        let next = audit_export::export(app, ctx, &query, params.cursor, &mut page).await?;
        let mut answer = Response::builder().status(StatusCode::OK).header("content-type", page.content_type());
        if let Some(cursor) = next {
            answer = answer.header("link", next_link(req.path(), &query, &cursor));
        }
        answer.body(Body::Text(page.into_text()?)).map_err(|e| DomainError::Internal(e.to_string()))
    })
}

/// The next page as a path on this API, every parameter spelled out so
/// that the defaults of the first page hold for the rest.
fn next_link(path: &str, query: &ExportQuery, cursor: &str) -> String {
    let q = form_urlencoded::Serializer::new(String::new())
        .append_pair("from", &query.from_text())
        .append_pair("to", &query.to_text())
        .append_pair("format", query.format().as_str())
        .append_pair("cursor", cursor)
        .finish();
    format!("<{path}?{q}>; rel=\"next\"")
}

/// A page being written: its body and what that body costs in the
/// response Lambda returns.
pub struct Page {
    format: ExportFormat,
    body: Vec<u8>,
    carried: usize,
}

impl Page {
    pub fn new(format: ExportFormat) -> Result<Self, DomainError> {
        let mut page = Self { format, body: Vec::new(), carried: 0 };
        if format == ExportFormat::Csv {
            page.append(csv_line(&CSV_HEADER)?);
        }
        Ok(page)
    }

    pub fn content_type(&self) -> &'static str {
        match self.format {
            ExportFormat::Csv => "text/csv; charset=utf-8; header=present",
            ExportFormat::Ndjson => "application/x-ndjson",
        }
    }

    /// The page's size as Lambda's response carries it.
    pub fn carried(&self) -> usize {
        self.carried
    }

    pub fn into_text(self) -> Result<String, DomainError> {
        String::from_utf8(self.body).map_err(|e| DomainError::Internal(e.to_string()))
    }

    fn append(&mut self, line: Vec<u8>) {
        // Lambda returns the body as a JSON string: its length as one,
        // less the quotes around it.
        self.carried += serde_json::to_string(&String::from_utf8_lossy(&line)).map_or(line.len() * 2, |s| s.len() - 2);
        self.body.extend(line);
    }
}

impl ExportPage for Page {
    fn push(&mut self, event: &AuditView) -> Result<(), DomainError> {
        let line = match self.format {
            ExportFormat::Csv => csv_line(&csv_cells(event)?)?,
            ExportFormat::Ndjson => {
                let mut line = serde_json::to_vec(event).map_err(|e| DomainError::Internal(e.to_string()))?;
                line.push(b'\n');
                line
            }
        };
        self.append(line);
        Ok(())
    }

    fn full(&self) -> bool {
        self.carried >= PAGE_BUDGET
    }
}

/// One record, quoted as RFC 4180 has it (by the `csv` crate), CRLF-ended.
/// Every value is a single line (the JSON cells escape their newlines), so
/// each event is one line of the file.
fn csv_line<S: AsRef<str>>(cells: &[S]) -> Result<Vec<u8>, DomainError> {
    let fail = |e: &dyn std::fmt::Display| DomainError::Internal(format!("writing CSV: {e}"));
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    w.write_record(cells.iter().map(|c| defused(c.as_ref()))).map_err(|e| fail(&e))?;
    w.into_inner().map_err(|e| fail(&e))
}

/// A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and,
/// in some, a tab or carriage return) as a formula: such a cell gets a
/// leading `'`, which shows the text as typed (OWASP, CSV injection).
fn defused(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

/// The event's cells, read off its JSON view so both formats agree.
fn csv_cells(event: &AuditView) -> Result<[String; CSV_HEADER.len()], DomainError> {
    let v = serde_json::to_value(event).map_err(|e| DomainError::Internal(e.to_string()))?;
    let text = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Ok([
        text(&v["id"]),
        text(&v["at"]),
        text(&v["actor"]["user_id"]),
        text(&v["actor"]["email"]),
        text(&v["actor"]["support"]),
        text(&v["actor"]["emergency_access_id"]),
        text(&v["action"]),
        text(&v["target"]["type"]),
        text(&v["target"]["id"]),
        text(&v["before"]),
        text(&v["after"]),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_defused_and_the_rest_left_alone() {
        for bad in ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(defused(bad), format!("'{bad}"));
        }
        for good in ["", "a=b", "2026-01-01T00:00:00Z", "{\"a\":1}", "'x"] {
            assert_eq!(defused(good), good);
        }
    }

    #[test]
    fn csv_quotes_as_rfc_4180_says() {
        let line = csv_line(&["plain", "a,b", "say \"hi\"", "=cmd"]).unwrap_or_default();
        assert_eq!(String::from_utf8_lossy(&line), "plain,\"a,b\",\"say \"\"hi\"\"\",'=cmd\r\n");
    }
}
