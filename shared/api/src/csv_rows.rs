//! A bulk invitation's CSV (R52) as the JSON rows the single invitation
//! takes. The header names the invitation body's fields as API.md names
//! them; the parts of an object are dotted (`overrides.grant`,
//! `practitioner.npi`). A list's cell holds its items separated by `;`
//! (`location_access` is `all` or such a list); a flag is `true`/`false`
//! (or `yes`/`no`, `1`/`0`); an empty cell leaves the field out. Quoting is
//! RFC 4180's, so a cell may hold commas and line breaks; Excel's UTF-8 BOM
//! is skipped. A row that is not well formed (another number of cells, not
//! UTF-8) is that row's `400`; a header naming no field refuses the file.

use roster_domain::service::invitations::bulk::Row;
use roster_domain::DomainError;
use serde_json::{Map, Value};

/// How a column's cell becomes JSON.
#[derive(Clone, Copy)]
enum Cell {
    Text,
    Flag,
    List,
    Number,
    /// `all`, or a list.
    Locations,
}

/// Every column a header may name.
const COLUMNS: &[(&str, Cell)] = &[
    ("email", Cell::Text),
    ("kind", Cell::Text),
    ("role_id", Cell::Text),
    ("primary_location_id", Cell::Text),
    ("location_access", Cell::Locations),
    ("access_billing", Cell::Flag),
    ("show_on_calendar", Cell::Flag),
    ("overrides.grant", Cell::List),
    ("overrides.revoke", Cell::List),
    ("mfa_required", Cell::Flag),
    ("first_name", Cell::Text),
    ("last_name", Cell::Text),
    ("title", Cell::Text),
    ("temporary_password", Cell::Text),
    ("accept_license_terms", Cell::Flag),
    ("modules", Cell::List),
    ("practitioner.profession", Cell::Text),
    ("practitioner.registration_number", Cell::Text),
    ("practitioner.npi", Cell::Text),
    ("practitioner.taxonomy_code", Cell::Text),
    ("practitioner.bio", Cell::Text),
    ("practitioner.capacity", Cell::Number),
    ("practitioner.scheduling_step_minutes", Cell::Number),
];

/// The file's rows, each a JSON object, or a row's own problem, numbered
/// by the line the record starts on (the header's is 1): a quoted cell's
/// line break or a skipped empty record does not shift the rows after it
/// from where an editor, or a spreadsheet without such cells, shows them.
/// Rows whose cells are all empty (a spreadsheet's trailing lines) are no
/// rows.
pub fn rows(body: &[u8]) -> Result<Vec<Row>, DomainError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(body);
    let header = reader.headers().map_err(|e| DomainError::Malformed(format!("the CSV header: {e}")))?.clone();
    let mut columns = Vec::with_capacity(header.len());
    let mut errors = Vec::new();
    for name in header.iter().map(str::trim) {
        match COLUMNS.iter().find(|(n, _)| *n == name) {
            Some(&(n, cell)) if !columns.iter().any(|&(c, _)| c == n) => columns.push((n, cell)),
            Some(_) => errors.push(roster_domain::error::FieldError::new(name, "is named twice in the header")),
            None => errors.push(roster_domain::error::FieldError::new(name, "is not an invitation field")),
        }
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let mut out = Vec::new();
    let mut lines = Lines { body, at: 0, line: 1 };
    for record in reader.records() {
        let start = match &record {
            Ok(r) => r.position(),
            Err(e) => e.position(),
        };
        let line = lines.of(start.map_or(body.len(), |p| usize::try_from(p.byte()).unwrap_or(body.len())));
        let row = record.map_err(|e| DomainError::Malformed(e.to_string())).and_then(|r| {
            if r.iter().all(|c| c.trim().is_empty()) {
                return Ok(None);
            }
            if r.len() != columns.len() {
                let msg = format!("the row has {} cells and the header {}", r.len(), columns.len());
                return Err(DomainError::Malformed(msg));
            }
            Ok(Some(object(&columns, r.iter())))
        });
        let number = line;
        match row {
            Ok(None) => {}
            Ok(Some(v)) => out.push(Row { number, body: Ok(v) }),
            Err(e) => out.push(Row { number, body: Err(e) }),
        }
    }
    Ok(out)
}

/// Line numbers of byte offsets, counted once through the file. The csv
/// crate's own `Position::line` is where it began reading a record, the
/// line breaks and blank lines before it included, so it lags by those.
struct Lines<'a> {
    body: &'a [u8],
    at: usize,
    line: usize,
}

impl Lines<'_> {
    /// The line of the first character at or after `from` that is no line
    /// break: where the record read from `from` starts. Offsets only grow.
    fn of(&mut self, from: usize) -> usize {
        let mut start = from.max(self.at);
        while self.body.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            start += 1;
        }
        let end = start.min(self.body.len());
        self.line += self.body[self.at..end].iter().filter(|&&b| b == b'\n').count();
        self.at = end;
        self.line
    }
}

fn object<'a>(columns: &[(&str, Cell)], cells: impl Iterator<Item = &'a str>) -> Value {
    let mut obj = Map::new();
    for (&(name, cell), raw) in columns.iter().zip(cells) {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let value = match cell {
            Cell::Text => Value::String(raw.to_string()),
            Cell::Flag => flag(raw).map_or_else(|| Value::String(raw.to_string()), Value::Bool),
            Cell::Number => raw.parse::<u64>().map_or_else(|_| Value::String(raw.to_string()), Value::from),
            Cell::Locations if raw.eq_ignore_ascii_case("all") => Value::String("all".into()),
            Cell::List | Cell::Locations => {
                Value::Array(raw.split(';').map(str::trim).filter(|s| !s.is_empty()).map(Value::from).collect())
            }
        };
        match name.split_once('.') {
            Some((outer, inner)) => {
                let nested = obj.entry(outer).or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(m) = nested {
                    m.insert(inner.to_string(), value);
                }
            }
            None => {
                obj.insert(name.to_string(), value);
            }
        }
    }
    Value::Object(obj)
}

/// A cell's flag; anything else stays text, which the row's body refuses
/// as a wrong type (400) just as in JSON.
fn flag(raw: &str) -> Option<bool> {
    match raw.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_cells_lists_flags_and_a_bom() {
        let csv = "\u{feff}email,first_name,location_access,overrides.grant,mfa_required,practitioner.capacity\r\n\
                   a@x.test,\"Smith, Jr.\nII\",Main; North,users.view,yes,12\r\n\
                   ,,,,,\r\n\
                   b@x.test,,all,,,\r\n";
        let rows = rows(csv.as_bytes()).unwrap();
        // Numbered by the line each record starts on: the header is line
        // 1; `a`'s cell takes lines 2 and 3; the empty record, line 4.
        assert_eq!(rows.iter().map(|r| r.number).collect::<Vec<_>>(), [2, 5]);
        let a = rows[0].body.as_ref().unwrap();
        assert_eq!(a["first_name"], "Smith, Jr.\nII");
        assert_eq!(a["location_access"], serde_json::json!(["Main", "North"]));
        assert_eq!(a["overrides"]["grant"], serde_json::json!(["users.view"]));
        assert_eq!(a["mfa_required"], true);
        assert_eq!(a["practitioner"]["capacity"], 12);
        let b = rows[1].body.as_ref().unwrap();
        assert_eq!(b["location_access"], "all");
        assert!(b.get("first_name").is_none());
    }

    #[test]
    fn an_unknown_column_refuses_the_file_and_a_short_row_is_its_own_problem() {
        assert!(
            matches!(rows(b"email,colour\na@x.test,red\n"), Err(DomainError::Validation(e)) if e[0].field == "colour")
        );
        let rows = rows(b"email,kind\na@x.test\nb@x.test,staff\n").unwrap();
        assert!(matches!(rows[0].body, Err(DomainError::Malformed(_))));
        assert!(rows[1].body.is_ok());
        assert_eq!((rows[0].number, rows[1].number), (2, 3));
    }
}
