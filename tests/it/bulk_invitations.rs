//! R52, bulk invitations, through the real handler against DynamoDB Local:
//! each row is one invitation with its own result, a dry run writes
//! nothing, and an `Idempotency-Key` makes a retry answer the first answer.

use crate::common::{items, s, Harness, Reply, DIRECTOR};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Duration;
use lambda_http::Body;
use roster_api::routes::Function;
use roster_domain::model::MemberStatus;
use roster_domain::ports::{Record, Tx, Write};
use serde_json::{json, Value};
use std::collections::HashMap;

struct Clinic {
    h: Harness,
    d: String,
    pid: String,
    main: String,
}

impl Clinic {
    async fn new() -> Self {
        let h = Harness::new().await;
        let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
        let main = h.first_location(&d, &pid).await;
        Self { h, d, pid, main }
    }

    fn path(&self) -> String {
        format!("/practices/{}/invitations/bulk", self.pid)
    }

    fn staff(&self, email: &str) -> Value {
        json!({"email": email, "kind": "staff", "role_id": "front_desk", "primary_location_id": self.main})
    }

    async fn bulk(&self, token: &str, body: Value, key: Option<&str>) -> Reply {
        let mut req = self.h.req("POST", &self.path()).token(token).json(body);
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        req.send().await
    }

    async fn csv(&self, csv: &str, query: &str) -> Reply {
        let path = format!("{}{query}", self.path());
        let req = self.h.req("POST", &path).token(&self.d).header("content-type", "text/csv; charset=utf-8");
        req.body(Body::from(csv.to_string())).send().await
    }

    async fn invitations(&self) -> Vec<Value> {
        let r =
            self.h.call("GET", &format!("/practices/{}/invitations?limit=100", self.pid), Some(&self.d), None).await;
        items(&r.body)
    }

    /// Every item of the practice's partition, each as canonical JSON.
    async fn stored(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .h
            .partition(&format!("PRACTICE#{}", self.pid))
            .await
            .iter()
            .map(|i| canonical_item(i).to_string())
            .collect();
        v.sort();
        v
    }
}

/// An item with its maps' keys in order, so two reads of it compare equal.
fn canonical_item(item: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(item.iter().map(|(k, v)| (k.clone(), canonical(v))).collect())
}

fn canonical(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::M(m) => canonical_item(m),
        AttributeValue::L(l) => Value::Array(l.iter().map(canonical).collect()),
        other => Value::String(format!("{other:?}")),
    }
}

fn results(r: &Reply) -> Vec<Value> {
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["results"].as_array().cloned().unwrap_or_default()
}

fn statuses(r: &Reply) -> Vec<u64> {
    results(r).iter().map(|x| x["row"].as_u64().unwrap_or(0) * 1000 + x["status"].as_u64().unwrap_or(0)).collect()
}

// A bad row among good ones: each row answered on its own (field errors as
// the single invitation gives them, R6 within the file, R45's seat
// consent), the good ones stored and mailed through the outbox.
#[tokio::test]
async fn json_rows_each_get_their_own_result() {
    let c = Clinic::new().await;
    let rows = json!([
        c.staff("one@mail.example"),
        {"email": "not an address", "kind": "staff", "role_id": "front_desk", "primary_location_id": c.main},
        c.staff("two@mail.example"),
        c.staff("ONE@mail.example"),
        {"email": "doc@mail.example", "kind": "practitioner", "role_id": "clinician", "primary_location_id": c.main},
        {"email": "x@mail.example", "colour": "red"},
    ]);
    let r = c.bulk(&c.d, json!({"rows": rows}), None).await;
    assert_eq!(statuses(&r), vec![1201, 2422, 3201, 4409, 5422, 6400]);
    let res = results(&r);
    assert_eq!(res[0]["invitation"]["email"], "one@mail.example");
    assert_eq!(res[0]["invitation"]["status"], "pending");
    assert_eq!(res[1]["error"]["code"], "validation_failed");
    assert_eq!(res[1]["error"]["errors"][0]["field"], "email");
    assert_eq!(res[3]["error"]["code"], "invitation_pending");
    assert_eq!(res[4]["error"]["code"], "license_terms_required");
    assert_eq!(res[5]["error"]["code"], "malformed_request");
    let stored: Vec<String> = c.invitations().await.iter().map(|i| s(&i["email"])).collect();
    assert_eq!(stored.len(), 2, "{stored:?}");
    for to in ["one@mail.example", "two@mail.example"] {
        assert_eq!(c.h.mails_to(to, "invitation_new_user").len(), 1, "{to}");
    }
    assert_eq!(c.h.events_of("InvitationCreated").len(), 2);
}

// CSV: Excel's BOM, quoted cells with a comma and a line break, role and
// locations by name, a list cell; an unknown column refuses the file.
#[tokio::test]
async fn csv_with_quoting_and_names() {
    let c = Clinic::new().await;
    let r =
        c.h.call("POST", &format!("/practices/{}/locations", c.pid), Some(&c.d), Some(json!({"name": "Annex"}))).await;
    let annex = s(&r.body["id"]);
    let role = s(&c.h.create_role(&c.d, &c.pid, "Desk Lead", &["calendar.view"]).await.body["id"]);
    let csv = "\u{feff}email,first_name,kind,role_id,primary_location_id,location_access,mfa_required,\
               accept_license_terms,practitioner.bio\r\n\
               a@mail.example,\"Smith, Jr.\",staff,desk lead,Annex,Main St; annex,yes,,\r\n\
               b@mail.example,Bo,staff,Front desk,main st,all,,,\r\n\
               c@mail.example,Cy,staff,No Such Role,Main St,all,,,\r\n\
               d@mail.example,Di,practitioner,Clinician,Main St,all,,true,\"Sees children, adults.\nSpeaks \"\"Welsh\"\".\"\r\n";
    let r = c.csv(csv, "").await;
    // Each row numbered by the line it starts on, the header being line 1.
    assert_eq!(statuses(&r), vec![2201, 3201, 4422, 5201], "{}", r.body);
    let a = &results(&r)[0]["invitation"];
    assert_eq!(a["first_name"], "Smith, Jr.");
    assert_eq!(a["role_id"], role.as_str());
    assert_eq!(a["primary_location_id"], annex.as_str());
    let mut listed: Vec<String> = a["location_access"].as_array().into_iter().flatten().map(s).collect();
    listed.sort();
    let mut want = vec![c.main.clone(), annex.clone()];
    want.sort();
    assert_eq!(listed, want);
    assert_eq!(a["mfa_required"], true);
    let b = &results(&r)[1]["invitation"];
    assert_eq!((b["role_id"].clone(), b["primary_location_id"].clone()), (json!("front_desk"), json!(c.main)));
    assert_eq!(results(&r)[2]["error"]["errors"][0]["field"], "role_id");
    let d = &results(&r)[3]["invitation"];
    assert_eq!(d["role_id"], "clinician");
    assert_eq!(d["practitioner"]["bio"], "Sees children, adults.\nSpeaks \"Welsh\".");
    assert_eq!(c.invitations().await.len(), 3);

    let bad = c.csv("email,colour\nd@mail.example,red\n", "").await;
    assert_eq!((bad.status, bad.code(), bad.field()), (422, "validation_failed".into(), "colour".into()));
}

// A CSV row is numbered by the line it starts on, as an editor shows it: a
// quoted cell's line break and a blank line do not shift the rows after.
#[tokio::test]
async fn csv_rows_are_numbered_by_the_line_they_start_on() {
    let c = Clinic::new().await;
    let csv = "email,kind,role_id,primary_location_id,accept_license_terms,practitioner.bio\n\
               a@mail.example,practitioner,Clinician,Main St,true,\"Sees children.\nSpeaks Welsh.\"\n\
               \n\
               b@mail.example,staff,No Such Role,Main St,,\n";
    let r = c.csv(csv, "").await;
    assert_eq!(statuses(&r), vec![2201, 5422], "{}", r.body);
}

// A dry run judges every row (R6 against the practice and within the
// file) and writes nothing.
#[tokio::test]
async fn dry_run_writes_nothing() {
    let c = Clinic::new().await;
    assert_eq!(c.h.invite(&c.d, &c.pid, "pending@mail.example").await.status, 201);
    c.h.member(&c.pid, "member@mail.example", "front_desk", MemberStatus::Active).await;
    let before = c.stored().await;
    let mails = c.h.mails().len();
    let rows = json!([
        c.staff("new@mail.example"),
        c.staff("pending@mail.example"),
        c.staff("member@mail.example"),
        c.staff("new@mail.example")
    ]);
    let r = c.bulk(&c.d, json!({"rows": rows, "dry_run": true}), Some("dry-1")).await;
    assert_eq!(statuses(&r), vec![1200, 2409, 3409, 4409]);
    let codes: Vec<Value> = results(&r).iter().skip(1).map(|x| x["error"]["code"].clone()).collect();
    assert_eq!(codes, vec![json!("invitation_pending"), json!("already_member"), json!("invitation_pending")]);
    assert_eq!(c.stored().await, before);
    assert_eq!(c.h.mails().len(), mails);
    // The CSV asks for it in the query.
    let r = c
        .csv("email,kind,role_id,primary_location_id\nz@mail.example,staff,front_desk,Main St\n", "?dry_run=true")
        .await;
    assert_eq!(statuses(&r), vec![2200]);
    assert_eq!(c.stored().await, before);
    // A mistyped flag is refused, never read as "import for real".
    let r =
        c.csv("email,kind,role_id,primary_location_id\nz@mail.example,staff,front_desk,Main St\n", "?dry_run=1").await;
    assert_eq!((r.status, r.field()), (422, "dry_run".to_string()), "{}", r.body);
    assert_eq!(c.stored().await, before);
    assert_eq!(c.h.mails().len(), mails);
}

// A retry with the same key answers the first answer and invites no one
// again; the same key with another body is refused.
#[tokio::test]
async fn idempotent_retry_answers_the_first_answer() {
    let c = Clinic::new().await;
    let body = json!({"rows": [c.staff("a@mail.example"), c.staff("b@mail.example"), {"email": "bad"}]});
    let first = c.bulk(&c.d, body.clone(), Some("import-2026-11-30")).await;
    assert_eq!(statuses(&first), vec![1201, 2201, 3422]);
    let stored = c.stored().await;
    let mails = c.h.mails().len();
    let again = c.bulk(&c.d, body.clone(), Some("import-2026-11-30")).await;
    assert_eq!(again.body, first.body);
    assert_eq!(c.stored().await, stored);
    assert_eq!(c.h.mails().len(), mails);
    assert_eq!(c.invitations().await.len(), 2);

    let other = json!({"rows": [c.staff("c@mail.example")]});
    let r = c.bulk(&c.d, other, Some("import-2026-11-30")).await;
    assert_eq!((r.status, r.code()), (422, "idempotency_key_reused".into()));
    assert_eq!(c.invitations().await.len(), 2);
    // Without the key the same rows are new requests: R6 answers them.
    let r = c.bulk(&c.d, body, None).await;
    assert_eq!(statuses(&r), vec![1409, 2409, 3422]);
}

// More than 500 rows is refused whole; under the limit a row's seat consent
// (R45) and R36 are judged row by row.
#[tokio::test]
async fn limits_seats_and_grants_hold_per_row() {
    let c = Clinic::new().await;
    let rows: Vec<Value> = (0..501).map(|i| json!({"email": format!("p{i}@mail.example")})).collect();
    let r = c.bulk(&c.d, json!({"rows": rows}), Some("too-many")).await;
    assert_eq!((r.status, r.code(), r.field()), (422, "validation_failed".into(), "rows".into()));
    // Nothing was claimed: the same key with a good body goes through.
    let r = c.bulk(&c.d, json!({"rows": [c.staff("ok@mail.example")]}), Some("too-many")).await;
    assert_eq!(statuses(&r), vec![1201]);

    let role = s(&c.h.create_role(&c.d, &c.pid, "Manager", &["users.manage", "users.view"]).await.body["id"]);
    let (_, m) = c.h.member(&c.pid, "m@mail.example", &role, MemberStatus::Active).await;
    c.h.verify("m@mail.example").await;
    let doc = |email: &str, consent: bool| {
        json!({"email": email, "kind": "practitioner", "role_id": role, "primary_location_id": c.main,
            "accept_license_terms": consent})
    };
    let rows = json!([
        doc("p1@mail.example", true),
        {"email": "fd@mail.example", "kind": "staff", "role_id": "front_desk", "primary_location_id": c.main},
        doc("p2@mail.example", false),
        doc("p3@mail.example", true),
    ]);
    let r = c.bulk(&m, json!({"rows": rows}), None).await;
    assert_eq!(statuses(&r), vec![1201, 2403, 3422, 4201]);
    assert_eq!(results(&r)[2]["error"]["code"], "license_terms_required");
    let consent = c.h.events_of("InvitationCreated").len();
    assert_eq!(consent, 3);
}

/// `POST .../invitations/bulk` with an optional key, and the DynamoDB calls
/// the invite function made for it.
async fn traced(h: &Harness, token: &str, pid: &str, body: Value, key: Option<&str>) -> (Reply, Vec<String>) {
    let usage = h.usage.as_ref().expect("a recording harness");
    let before = usage.of(Function::Invite).calls.len();
    let mut req = h.req("POST", &format!("/practices/{pid}/invitations/bulk")).token(token).json(body);
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let reply = req.send().await;
    let ops = usage.of(Function::Invite).calls[before..].iter().map(|c| c.operation.clone()).collect();
    (reply, ops)
}

// docs/design.md, "Reads per route": a row by ids costs what one invitation
// costs (a batch, a transaction); names list the roles and locations once
// per request; a key is one read and two transactions more, and a retry
// one read.
#[tokio::test]
async fn each_row_reads_as_one_invitation() {
    let h = Harness::recording().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let main = h.first_location(&d, &pid).await;
    let row = |email: &str, location: &str| json!({"email": email, "kind": "staff", "role_id": "front_desk", "primary_location_id": location});
    let (r, ops) =
        traced(&h, &d, &pid, json!({"rows": [row("a@mail.example", &main), row("b@mail.example", &main)]}), None).await;
    assert_eq!(statuses(&r), vec![1201, 2201]);
    assert_eq!(ops, ["BatchGetItem", "BatchGetItem", "TransactWriteItems", "BatchGetItem", "TransactWriteItems"]);

    let body = json!({"rows": [row("c@mail.example", "Main St")]});
    let (r, ops) = traced(&h, &d, &pid, body.clone(), Some("k1")).await;
    assert_eq!(statuses(&r), vec![1201]);
    let want = ["BatchGetItem", "BatchGetItem", "TransactWriteItems", "Query", "Query", "BatchGetItem"];
    assert_eq!(ops, [&want[..], &["TransactWriteItems", "TransactWriteItems"]].concat());
    let (again, ops) = traced(&h, &d, &pid, body, Some("k1")).await;
    assert_eq!(again.body, r.body);
    assert_eq!(ops, ["BatchGetItem", "BatchGetItem"]);
}

// Two requests with one key at once: the conditional claim lets one invite;
// the other answers the first answer or 409, and no one is invited twice.
#[tokio::test]
async fn concurrent_retries_invite_once() {
    let c = Clinic::new().await;
    let body = json!({"rows": [c.staff("a@mail.example"), c.staff("b@mail.example")]});
    let (one, two) = tokio::join!(c.bulk(&c.d, body.clone(), Some("same")), c.bulk(&c.d, body.clone(), Some("same")));
    let mut answers = [one, two];
    answers.sort_by_key(|r| r.status);
    assert_eq!(statuses(&answers[0]), vec![1201, 2201]);
    assert!(
        answers[1].body == answers[0].body
            || (answers[1].status, answers[1].code()) == (409, "idempotency_in_progress".into()),
        "{}",
        answers[1].body
    );
    assert_eq!(c.invitations().await.len(), 2);
    assert_eq!(c.h.mails_to("a@mail.example", "invitation_new_user").len(), 1);
}

// Each temporary password is an Argon2id hash, a dry run's too: past
// `MAX_TEMPORARY_PASSWORDS` rows a request refuses the field, row by row,
// so 500 hashes can never be asked of one request.
#[tokio::test]
async fn temporary_passwords_are_capped_per_request() {
    use roster_domain::service::invitations::bulk::MAX_TEMPORARY_PASSWORDS;
    let c = Clinic::new().await;
    let rows: Vec<Value> = (0..MAX_TEMPORARY_PASSWORDS + 2)
        .map(|i| {
            let mut row = c.staff(&format!("t{i}@mail.example"));
            row["first_name"] = json!("Tess");
            row["last_name"] = json!(format!("Row{i}"));
            row["temporary_password"] = json!(crate::common::PASSWORD);
            row
        })
        .chain([c.staff("plain@mail.example")])
        .collect();
    let r = c.bulk(&c.d, json!({"rows": rows, "dry_run": true}), None).await;
    let got = results(&r);
    assert_eq!(got.len(), MAX_TEMPORARY_PASSWORDS + 3);
    for (i, row) in got.iter().enumerate() {
        let refused = i == MAX_TEMPORARY_PASSWORDS || i == MAX_TEMPORARY_PASSWORDS + 1;
        match refused {
            true => {
                assert_eq!(row["status"], 422, "{row}");
                assert_eq!(row["error"]["errors"][0]["field"], "temporary_password", "{row}");
            }
            false => assert_eq!(row["status"], 200, "{row}"),
        }
    }
}

/// A transaction of the bulk request, as `CountingStore::fail_once` picks it.
fn keeps_answer(tx: &Tx) -> bool {
    tx.writes.iter().any(|(w, _)| matches!(w, Write::Replace { record: Record::BulkAnswer(a), .. } if a.parts > 0))
}

fn invites(email: &'static str) -> impl Fn(&Tx) -> bool {
    move |tx| tx.writes.iter().any(|(w, _)| matches!(w, Write::PutSlot { slot, .. } if slot.email_norm == email))
}

// A request that dies between claiming its key and keeping its answer (a
// crash, a timeout) holds the key only for the claim's lease: past it a
// retry runs the rows again, and what the dead request committed comes
// back as each row's 409; that answer is then kept.
#[tokio::test]
async fn a_dead_requests_claim_is_taken_over_after_its_lease() {
    use roster_domain::service::invitations::answers::LEASE_SECONDS;
    let mut c = Clinic::new().await;
    c.h.count_store_calls().fail_once(keeps_answer);
    let body = json!({"rows": [c.staff("a@mail.example"), c.staff("b@mail.example")]});
    let first = c.bulk(&c.d, body.clone(), Some("nightly")).await;
    assert_eq!(statuses(&first), vec![1201, 2201]);

    let r = c.bulk(&c.d, body.clone(), Some("nightly")).await;
    assert_eq!((r.status, r.code()), (409, "idempotency_in_progress".into()));
    c.h.clock.advance(Duration::seconds(LEASE_SECONDS - 1));
    let r = c.bulk(&c.d, body.clone(), Some("nightly")).await;
    assert_eq!((r.status, r.code()), (409, "idempotency_in_progress".into()));

    c.h.clock.advance(Duration::seconds(2));
    let rerun = c.bulk(&c.d, body.clone(), Some("nightly")).await;
    assert_eq!(statuses(&rerun), vec![1409, 2409]);
    assert_eq!(results(&rerun)[0]["error"]["code"], "invitation_pending");
    let again = c.bulk(&c.d, body, Some("nightly")).await;
    assert_eq!(again.body, rerun.body);
    assert_eq!(c.invitations().await.len(), 2);
    assert_eq!(c.h.mails_to("a@mail.example", "invitation_new_user").len(), 1);
}

// An answer holding a row that failed on our side (a 5xx) is not kept: a
// retry at once does that row again instead of replaying the failure.
#[tokio::test]
async fn an_answer_with_a_failed_row_is_not_kept() {
    let mut c = Clinic::new().await;
    c.h.count_store_calls().fail_once(invites("b@mail.example"));
    let body = json!({"rows": [c.staff("a@mail.example"), c.staff("b@mail.example")]});
    let first = c.bulk(&c.d, body.clone(), Some("monday")).await;
    assert_eq!(statuses(&first), vec![1201, 2500]);

    let retry = c.bulk(&c.d, body.clone(), Some("monday")).await;
    assert_eq!(statuses(&retry), vec![1409, 2201]);
    let again = c.bulk(&c.d, body, Some("monday")).await;
    assert_eq!(again.body, retry.body);
    assert_eq!(c.invitations().await.len(), 2);
}
