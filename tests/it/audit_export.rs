//! R51: the audit log exported by date range through the real handler:
//! pages and their `Link` headers, CSV quoting and the formula defence,
//! NDJSON, the range's bounds, and one practice's cursor refused on another.

use crate::common::{route_of, s, Harness};
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_http::{Body, Request};
use roster_api::handlers::audit_export::PAGE_BUDGET;
use roster_domain::ids::{EmergencyAccessId, EventId, PracticeId};
use roster_domain::model::{Actor, AuditEvent, AuditScope, Target};
use serde_json::{json, Value};

/// An export page as the function answered it.
struct Page {
    status: u16,
    content_type: String,
    /// The `Link` header's target, for `rel="next"`.
    next: Option<String>,
    text: String,
    /// The whole response as Lambda returns it to API Gateway.
    carried: usize,
}

async fn get(h: &Harness, token: &str, path: &str) -> Page {
    let (function, _) = route_of("GET", path).expect("a route");
    let req: Request = lambda_http::http::Request::builder()
        .uri(format!("https://api.roster.test{path}"))
        .header("authorization", format!("Bearer {token}"))
        .body(Body::Empty)
        .expect("request");
    let resp = roster_api::handle(&h.app, function, req).await;
    let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let next = header("link").map(|l| {
        assert!(l.ends_with(">; rel=\"next\""), "{l}");
        l.trim_start_matches('<').trim_end_matches(">; rel=\"next\"").to_string()
    });
    let content_type = header("content-type").unwrap_or_default();
    let text = match resp.body() {
        Body::Text(t) => t.clone(),
        other => panic!("a text body, not {other:?}"),
    };
    let mut envelope = ApiGatewayV2httpResponse::default();
    envelope.status_code = i64::from(resp.status().as_u16());
    envelope.headers = resp.headers().clone();
    envelope.body = Some(Body::Text(text.clone()));
    let carried = serde_json::to_vec(&envelope).expect("response JSON").len();
    Page { status: resp.status().as_u16(), content_type, next, text, carried }
}

fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn export_path(pid: &str, from: DateTime<Utc>, to: DateTime<Utc>, format: &str) -> String {
    format!("/practices/{pid}/audit/export?from={}&to={}&format={format}", instant(from), instant(to))
}

/// Every page from `first` on, following `Link`; the pages' NDJSON events.
async fn all_ndjson(h: &Harness, token: &str, first: &str) -> (Vec<Value>, Vec<Page>) {
    let (mut events, mut pages) = (Vec::new(), Vec::new());
    let mut path = Some(first.to_string());
    while let Some(p) = path {
        let page = get(h, token, &p).await;
        assert_eq!(page.status, 200, "{}", page.text);
        events.extend(ndjson(&page.text));
        path = page.next.clone();
        pages.push(page);
    }
    (events, pages)
}

fn ndjson(text: &str) -> Vec<Value> {
    text.lines().map(|l| serde_json::from_str(l).expect("each line one JSON object")).collect()
}

/// An event of `pid`'s log at `at`, its id made at that instant as the
/// real ones are.
fn event(pid: &str, at: DateTime<Utc>, action: &str) -> AuditEvent {
    let ms = u64::try_from(at.timestamp_millis()).expect("after 1970");
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, ms / 1000, u32::try_from(ms % 1000).unwrap_or(0) * 1_000_000);
    AuditEvent {
        id: EventId(uuid::Uuid::new_v7(ts)),
        scope: AuditScope::Practice(pid.parse::<PracticeId>().expect("pid")),
        at,
        actor: Actor { email: Some("fixture@clinic.example".into()), ..Actor::system() },
        action: action.into(),
        target: Target::new("practice", pid),
        before: Value::Null,
        after: json!({"n": 1}),
    }
}

/// Write `events` straight into the table, 25 a BatchWriteItem: cheaper
/// than thousands of changes through the API.
async fn put_events(h: &Harness, events: &[AuditEvent]) {
    for chunk in events.chunks(25) {
        let writes = chunk
            .iter()
            .map(|e| {
                let mut item: std::collections::HashMap<String, _> = serde_dynamo::to_item(e).expect("item");
                let pk = match e.scope {
                    AuditScope::Practice(p) => format!("AUDIT#PRACTICE#{p}"),
                    AuditScope::User(u) => format!("AUDIT#USER#{u}"),
                };
                item.insert("PK".into(), aws_sdk_dynamodb::types::AttributeValue::S(pk));
                item.insert("SK".into(), aws_sdk_dynamodb::types::AttributeValue::S(format!("EVENT#{}", e.id)));
                item.insert("type".into(), aws_sdk_dynamodb::types::AttributeValue::S("audit".into()));
                WriteRequest::builder()
                    .put_request(PutRequest::builder().set_item(Some(item)).build().expect("put"))
                    .build()
            })
            .collect();
        let out = h.client.batch_write_item().request_items(&h.table, writes).send().await.expect("batch write");
        assert!(out.unprocessed_items.unwrap_or_default().values().all(Vec::is_empty), "unprocessed items");
    }
}

// R51: 5,000 events a page, oldest first, the next page in `Link` with
// every parameter spelled out; the last page has no `Link`. A cursor is
// refused (400 malformed_request) on another practice, another range or
// another format, and when forged; another practice's export holds none
// of these events.
#[tokio::test]
async fn pages_of_5000_follow_the_link_and_a_cursor_holds_to_its_practice_and_query() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director("director@clinic.example", "Harbour Clinic").await;
    let other = h.practice(&d, "Other Clinic").await;
    let t0 = h.app.now() + Duration::hours(2);
    let fixtures: Vec<AuditEvent> =
        (0..5_003).map(|i| event(&pid, t0 + Duration::milliseconds(i), "fixture")).collect();
    put_events(&h, &fixtures).await;
    let (from, to) = (t0 - Duration::hours(3), t0 + Duration::hours(1));

    let first = export_path(&pid, from, to, "ndjson");
    let (events, pages) = all_ndjson(&h, &d, &first).await;
    assert_eq!(pages.len(), 2);
    assert_eq!(ndjson(&pages[0].text).len(), 5_000);
    println!("5,000 small events: {} bytes as Lambda returns them", pages[0].carried);
    assert_eq!(pages[0].content_type, "application/x-ndjson");
    let next = pages[0].next.clone().unwrap_or_default();
    assert!(next.starts_with(&format!("/practices/{pid}/audit/export?from=")), "{next}");
    assert!(next.contains("&format=ndjson&cursor="), "{next}");
    assert!(pages[1].next.is_none());

    // Every event once, oldest first: the practice's own, then the fixtures.
    let ids: Vec<String> = events.iter().map(|e| s(&e["id"])).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len());
    // The log lists the fixtures too.
    let log = h.audit_log(&d, &pid).await;
    assert_eq!(ids.len(), log.len());
    assert!(log.len() > fixtures.len());
    let at: Vec<DateTime<Utc>> = events.iter().map(|e| s(&e["at"]).parse().expect("at")).collect();
    assert!(at.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    assert_eq!(s(&events[0]["action"]), "practice.created");
    assert_eq!(ids.last(), Some(&fixtures[5_002].id.to_string()));

    // The cursor elsewhere: refused, never followed.
    let cursor = next.split("cursor=").nth(1).unwrap_or_default().to_string();
    let elsewhere = [
        format!("{}&cursor={cursor}", export_path(&other, from, to, "ndjson")),
        format!("{}&cursor={cursor}", export_path(&pid, from, to + Duration::milliseconds(1), "ndjson")),
        format!("{}&cursor={cursor}", export_path(&pid, from, to, "csv")),
        format!("{}&cursor=bm90LWEtY3Vyc29y", export_path(&pid, from, to, "ndjson")),
    ];
    for path in elsewhere {
        let r = h.call("GET", &path, Some(&d), None).await;
        assert_eq!((r.status, r.code()), (400, "malformed_request".into()), "{path}: {}", r.body);
    }

    // The other practice's log holds its own events only.
    let (theirs, _) = all_ndjson(&h, &d, &export_path(&other, from, to, "ndjson")).await;
    assert!(!theirs.is_empty());
    assert!(theirs.iter().all(|e| e["action"] != "fixture" && !ids.contains(&s(&e["id"]))));
}

// R51: the CSV has a header row, RFC 4180 quoting and one line per event,
// and a cell a spreadsheet would run as a formula gets a leading `'`, both
// for an address a real user signed up with and for hostile fixture text.
#[tokio::test]
async fn csv_quotes_as_rfc_4180_and_defuses_formulas() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director("=1+2@clinic.example", "Harbour Clinic").await;
    let t0 = h.app.now() + Duration::minutes(5);
    let mut hostile = event(&pid, t0, "@SUM(A1:A9)");
    hostile.actor.email = Some("-2+3@clinic.example".into());
    // R50: written under an emergency access, which has its own column.
    let emergency = EmergencyAccessId::new();
    hostile.actor.emergency_access_id = Some(emergency);
    hostile.target = Target::new("+cmd|' /C calc'!A0", "\tx");
    hostile.before = json!({"name": "a,\"b\"\r\nc", "formula": "=HYPERLINK(\"http://evil\")"});
    put_events(&h, &[hostile]).await;

    let page = get(&h, &d, &export_path(&pid, t0 - Duration::hours(1), t0 + Duration::seconds(1), "csv")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.content_type, "text/csv; charset=utf-8; header=present");
    assert!(page.next.is_none());

    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(page.text.as_bytes());
    let header: Vec<String> = reader.headers().expect("header row").iter().map(str::to_string).collect();
    assert_eq!(
        header,
        [
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
            "after"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("an RFC 4180 record")).collect();
    // The practice's own events and the fixture.
    let log = h.audit_log(&d, &pid).await;
    assert_eq!(rows.len(), log.len());
    // One line per event, CRLF-ended: no value carries a raw line break.
    assert_eq!(page.text.matches("\r\n").count(), rows.len() + 1);
    assert_eq!(page.text.lines().count(), rows.len() + 1);

    let created = &rows[0];
    assert_eq!((&created[5], &created[6]), ("", "practice.created"));
    assert_eq!(&created[3], "'=1+2@clinic.example");
    let last = &rows[rows.len() - 1];
    assert_eq!(
        (&last[3], &last[5], &last[6], &last[7], &last[8]),
        ("'-2+3@clinic.example", emergency.to_string().as_str(), "'@SUM(A1:A9)", "'+cmd|' /C calc'!A0", "'\tx")
    );
    let before: Value = serde_json::from_str(&last[9]).expect("before as JSON");
    assert_eq!(before, json!({"name": "a,\"b\"\r\nc", "formula": "=HYPERLINK(\"http://evil\")"}));
    assert_eq!(&last[10], "{\"n\":1}");
    assert!(rows
        .iter()
        .flat_map(|r| r.iter().map(str::to_string).collect::<Vec<_>>())
        .all(|c| !c.starts_with(['=', '+', '-', '@', '\t', '\r'])));
}

// R51: NDJSON is the audit log's own view, one object a line, oldest first.
#[tokio::test]
async fn ndjson_lines_are_the_audit_logs_events_oldest_first() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director("director@clinic.example", "Harbour Clinic").await;
    let r = h.call("PATCH", &format!("/practices/{pid}"), Some(&d), Some(json!({"name": "Harbour Health"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    h.clock.advance(Duration::seconds(1));
    let page = get(&h, &d, &format!("/practices/{pid}/audit/export?format=ndjson")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let mut log = h.audit_log(&d, &pid).await;
    log.reverse();
    assert_eq!(ndjson(&page.text), log);
    assert!(page.next.is_none());
}

// R51: `from` is in the range and `to` is not, to the millisecond; a bad
// instant, a `to` before `from` or an unknown format is a 422 naming its
// field.
#[tokio::test]
async fn the_range_holds_from_and_not_to() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director("director@clinic.example", "Harbour Clinic").await;
    let rename = |name: &'static str| {
        let (h, d, pid) = (&h, d.clone(), pid.clone());
        async move {
            h.clock.advance(Duration::minutes(10));
            let r = h.call("PATCH", &format!("/practices/{pid}"), Some(&d), Some(json!({"name": name}))).await;
            assert_eq!(r.status, 200, "{}", r.body);
            h.app.now()
        }
    };
    let t1 = rename("One").await;
    let t2 = rename("Two").await;
    let ms = Duration::milliseconds(1);
    let names = |events: Vec<Value>| events.iter().map(|e| s(&e["after"]["name"])).collect::<Vec<_>>();
    for (from, to, want) in [
        (t1, t2, vec!["One"]),
        (t1, t2 + ms, vec!["One", "Two"]),
        (t1 + ms, t2 + ms, vec!["Two"]),
        (t1 - ms, t1, vec![]),
        (t1, t1, vec![]),
    ] {
        let (events, _) = all_ndjson(&h, &d, &export_path(&pid, from, to, "ndjson")).await;
        assert_eq!(names(events), want, "[{from}, {to})");
    }

    let base = format!("/practices/{pid}/audit/export");
    for (query, field) in [
        ("?from=yesterday", "from"),
        ("?to=2026-13-01T00:00:00Z", "to"),
        ("?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "to"),
        ("?format=xlsx", "format"),
    ] {
        let r = h.call("GET", &format!("{base}{query}"), Some(&d), None).await;
        assert_eq!((r.status, r.code(), r.field()), (422, "validation_failed".into(), field.into()), "{query}");
    }
}

// R51: no page nears Lambda's 6 MB response: events as large as the API
// makes them (every text field at its longest, of the character that
// escapes worst) end a page at the budget, and the export still reads
// every one of them, once.
#[tokio::test]
async fn a_page_of_the_largest_events_stays_well_under_lambdas_limit() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director("director@clinic.example", "Harbour Clinic").await;
    let t0 = h.app.now() + Duration::minutes(5);
    let big: Vec<AuditEvent> = (0..400).map(|i| largest(&pid, t0 + Duration::milliseconds(i))).collect();
    put_events(&h, &big).await;
    for format in ["csv", "ndjson"] {
        let first = export_path(&pid, t0, t0 + Duration::seconds(1), format);
        let mut path = Some(first);
        let (mut pages, mut seen, mut largest_page, mut on_it) = (0, 0, 0, 0);
        while let Some(p) = path {
            let page = get(&h, &d, &p).await;
            assert_eq!(page.status, 200);
            let events =
                if format == "csv" { page.text.matches("\r\n").count() - 1 } else { page.text.lines().count() };
            if page.carried > largest_page {
                (largest_page, on_it) = (page.carried, events);
            }
            seen += events;
            pages += 1;
            path = page.next;
        }
        // What 5,000 of them would weigh: far past the limit, so the
        // budget, not the count, ends these pages.
        let five_thousand = largest_page / on_it * 5_000;
        println!(
            "{format}: 400 largest events in {pages} pages, the largest {largest_page} bytes as Lambda returns it \
             ({on_it} events); 5,000 would be about {five_thousand} bytes"
        );
        assert!(five_thousand > 6_000_000);
        assert_eq!(seen, big.len());
        assert!(pages >= 3, "{pages}");
        assert!(largest_page < PAGE_BUDGET + 64 * 1024, "{largest_page}");
        assert!(largest_page < 6_000_000 * 3 / 4);
    }
}

/// An event as large as the API makes one: a practitioner's details
/// changed, every text at its longest (validate.rs), of `"`, which both
/// JSON and CSV escape.
fn largest(pid: &str, at: DateTime<Utc>) -> AuditEvent {
    let text = |n: usize| "\"".repeat(n);
    let member = json!({
        "title": text(50), "first_name": text(100), "last_name": text(100), "display_name": text(201),
        "email": format!("{}@{}.example", "a".repeat(64), "b".repeat(180)),
        "practitioner": {
            "profession": text(100), "registration_number": text(50), "npi": "1234567893",
            "taxonomy_code": "207Q00000X", "bio": text(2000), "capacity": 40, "scheduling_step_minutes": 15
        }
    });
    let mut e = event(pid, at, "member.details_changed");
    e.actor.email = Some(format!("{}@{}.example", "a".repeat(64), "b".repeat(180)));
    e.target = Target::new("user", uuid::Uuid::now_v7());
    e.before = member.clone();
    e.after = member;
    e
}

// Reads per route (docs/design.md): after the session's batch, a page is
// one Query per MB of the log's range that it reads; a small log, one.
#[tokio::test]
async fn a_small_export_is_one_query_after_the_session() {
    let h = Harness::recording().await;
    let (_, d, pid) = h.director("director@clinic.example", "Harbour Clinic").await;
    h.clock.advance(Duration::seconds(1));
    let path = format!("/practices/{pid}/audit/export?format=ndjson");
    let (r, ops) = crate::reads::traced_call(&h, "GET", &path, Some(&d), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ops, ["BatchGetItem", "Query"]);
}
