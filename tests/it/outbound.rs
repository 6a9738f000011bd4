//! Outbound adapters against real back ends: the SES v2 mailer and the
//! EventBridge publisher against `moto_server` (URL in `ROSTER_TEST_MOTO`),
//! and the local directory stand-ins against a scratch directory.
//!
//! Delivery is checked by reading what moto recorded through its
//! `GET /moto-api/data.json` model dump: SES v2 sends appear as
//! `ses.Message` (source, destinations, subject, body) and events that reach
//! an EventBridge archive appear in `events.Archive[].events`. Every test uses
//! its own identities, buses and archives (uuid names), so tests can share one
//! moto_server and run in parallel.

use crate::common::env_url;
use aws_config::BehaviorVersion;
use aws_sdk_sesv2::config::Credentials;
use chrono::{DateTime, Duration, TimeZone, Utc};
use roster_adapters::eventbridge::EventBridgePublisher;
use roster_adapters::local_dir::{DirEvents, DirMailer};
use roster_adapters::ses::SesMailer;
use roster_domain::clock::{Clock, FixedClock};
use roster_domain::error::PortError;
use roster_domain::ids::EventId;
use roster_domain::model::{DomainEvent, Mail};
use roster_domain::ports::{EventPublisher, Mailer};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use uuid::Uuid;

// ---------------------------------------------------------------- helpers --

/// The moto_server these tests run against. Missing it is a setup error, not a
/// reason to skip: a silently skipped test would claim coverage it lacks.
fn moto_url() -> String {
    env_url("ROSTER_TEST_MOTO")
}

async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region("us-east-1")
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .http_client(roster_adapters::aws::http_client())
        .load()
        .await
}

async fn ses_client() -> aws_sdk_sesv2::Client {
    aws_sdk_sesv2::Client::new(&sdk_config(&moto_url()).await)
}

async fn events_client() -> aws_sdk_eventbridge::Client {
    aws_sdk_eventbridge::Client::new(&sdk_config(&moto_url()).await)
}

/// GET on moto_server with a bare HTTP/1.1 request over std's TcpStream: the
/// moto API needs no signing, and this avoids adding an HTTP client crate.
fn moto_get_json(path: &str) -> Value {
    let base = moto_url();
    let authority =
        base.strip_prefix("http://").unwrap_or_else(|| panic!("ROSTER_TEST_MOTO must be an http:// URL, got {base}"));
    let authority = authority.split('/').next().unwrap();
    let mut stream = TcpStream::connect(authority).unwrap_or_else(|e| panic!("cannot reach moto at {base}: {e}"));
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {authority}\r\nAccept: application/json\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("no end of HTTP headers from moto");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut body = raw[split + 4..].to_vec();
    assert!(head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"), "moto GET {path}: {head}");
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    serde_json::from_slice(&body).unwrap_or_else(|e| panic!("moto GET {path}: body is not JSON: {e}"))
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = data.windows(2).position(|w| w == b"\r\n").expect("bad chunk header");
        let size_hex = String::from_utf8_lossy(&data[..eol]);
        let size = usize::from_str_radix(size_hex.split(';').next().unwrap().trim(), 16).expect("bad chunk size");
        data = &data[eol + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// Every mail moto's SES backend has accepted (SES v2 sends are recorded by
/// the v1 backend's `Message` model).
fn moto_sent_mail() -> Vec<Value> {
    let data = moto_get_json("/moto-api/data.json");
    data["ses"]["Message"].as_array().cloned().unwrap_or_default()
}

/// The events an archive has received, in arrival order.
fn moto_archived_events(archive: &str) -> Vec<Value> {
    let data = moto_get_json("/moto-api/data.json");
    let archives = data["events"]["Archive"].as_array().cloned().unwrap_or_default();
    let found = archives
        .iter()
        .find(|a| a["name"] == archive)
        .unwrap_or_else(|| panic!("archive {archive} not in moto's model data"));
    found["events"].as_array().cloned().unwrap_or_default()
}

fn short_id() -> String {
    Uuid::new_v4().simple().to_string()
}

/// A bus plus an archive that captures everything published to it.
async fn bus_with_archive(client: &aws_sdk_eventbridge::Client) -> (String, String) {
    let id = short_id();
    let bus = format!("roster-test-{id}");
    let archive = format!("arch-{id}");
    let arn = client.create_event_bus().name(&bus).send().await.unwrap().event_bus_arn().unwrap().to_string();
    client
        .create_archive()
        .archive_name(&archive)
        .event_source_arn(arn)
        .event_pattern(r#"{"source":["roster"]}"#)
        .send()
        .await
        .unwrap();
    (bus, archive)
}

fn event(detail_type: &str, at: DateTime<Utc>, detail: Value) -> DomainEvent {
    DomainEvent { id: EventId::new(), detail_type: detail_type.to_string(), at, detail }
}

fn scratch_dir() -> PathBuf {
    std::env::temp_dir().join(format!("roster-outbound-{}", Uuid::new_v4()))
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy();
        assert!(name.ends_with(".json") && !name.starts_with('.'), "stray file left in {}: {name}", dir.display());
    }
    files
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().expect("a JSON object").keys().cloned().collect()
}

// ------------------------------------------------------------------ SES v2 --

#[tokio::test]
async fn ses_mailer_sends_subject_recipient_and_bodies_in_utf8() {
    let client = ses_client().await;
    let domain = format!("{}.example.com", short_id());
    let from = format!("noreply@{domain}");
    client.create_email_identity().email_identity(&domain).send().await.unwrap();
    let mailer = SesMailer::new(client, &from);

    let tag = short_id();
    let to = format!("zoe.{tag}@example.org");
    let mail = Mail {
        to: to.clone(),
        subject: format!("Willkommen bei Zoë’s Praxis {tag}"),
        text: "Hallo – öffne https://app.example/invite/abc".into(),
        html: "<p>Hallo – <a href=\"https://app.example/invite/abc\">öffnen</a></p>".into(),
        template: "invitation_new_user".into(),
    };
    mailer.send(&mail).await.unwrap();

    let sent: Vec<Value> = moto_sent_mail().into_iter().filter(|m| m["subject"] == mail.subject.as_str()).collect();
    assert_eq!(sent.len(), 1, "exactly one SES message with our subject: {sent:?}");
    let m = &sent[0];
    assert_eq!(m["source"], from.as_str());
    assert_eq!(m["destinations"], json!({ "ToAddresses": [to] }));
    // moto keeps one body per message and prefers the HTML part.
    assert_eq!(m["body"], mail.html.as_str());

    // Without HTML the mail goes out as text only; moto then records the text.
    let plain = Mail { subject: format!("Nur Text {tag}"), html: String::new(), ..mail.clone() };
    mailer.send(&plain).await.unwrap();
    let sent: Vec<Value> = moto_sent_mail().into_iter().filter(|m| m["subject"] == plain.subject.as_str()).collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["body"], plain.text.as_str());
}

/// Notes the body of every request its client sends: moto takes a send's
/// `ConfigurationSetName` but keeps no record of it.
#[derive(Debug, Clone, Default)]
struct SentBodies(Arc<std::sync::Mutex<Vec<String>>>);

impl aws_sdk_sesv2::config::Intercept for SentBodies {
    fn name(&self) -> &'static str {
        "SentBodies"
    }
    fn read_before_transmit(
        &self,
        context: &aws_sdk_sesv2::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_sdk_sesv2::config::RuntimeComponents,
        _: &mut aws_sdk_sesv2::config::ConfigBag,
    ) -> Result<(), aws_sdk_sesv2::error::BoxError> {
        let body = context.request().body().bytes().map(|b| String::from_utf8_lossy(b).into_owned());
        self.0.lock().unwrap().extend(body);
        Ok(())
    }
}

// Issue 14: every send names the configuration set whose event destination
// brings bounces and complaints back.
#[tokio::test]
async fn ses_mailer_names_its_configuration_set_on_every_send() {
    let bodies = SentBodies::default();
    let conf = aws_sdk_sesv2::config::Builder::from(&sdk_config(&moto_url()).await).interceptor(bodies.clone()).build();
    let client = aws_sdk_sesv2::Client::from_conf(conf);
    let domain = format!("{}.example.com", short_id());
    client.create_email_identity().email_identity(&domain).send().await.unwrap();
    let set = format!("roster-mail-{}", short_id());
    let mailer = SesMailer::new(client, format!("noreply@{domain}")).with_configuration_set(&set);
    let subject = format!("with a set {}", short_id());
    let mail = Mail {
        to: "zoe@example.org".into(),
        subject: subject.clone(),
        text: "text".into(),
        html: String::new(),
        template: "verify_email".into(),
    };
    mailer.send(&mail).await.unwrap();
    mailer.send(&mail).await.unwrap();
    let sends: Vec<Value> = bodies
        .0
        .lock()
        .unwrap()
        .iter()
        .filter_map(|b| serde_json::from_str::<Value>(b).ok())
        .filter(|b| b["Content"]["Simple"]["Subject"]["Data"] == subject.as_str())
        .collect();
    assert_eq!(sends.len(), 2, "{sends:?}");
    for send in &sends {
        assert_eq!(send["ConfigurationSetName"], set.as_str(), "{send}");
    }
    assert_eq!(moto_sent_mail().iter().filter(|m| m["subject"] == subject.as_str()).count(), 2, "and SES took both");
}

#[tokio::test]
async fn ses_mailer_reports_a_rejected_send_as_backend_error() {
    let mailer = SesMailer::new(ses_client().await, format!("noreply@{}.unverified.example", short_id()));
    let mail = Mail {
        to: "someone@example.org".into(),
        subject: format!("never delivered {}", short_id()),
        text: "text".into(),
        html: "<p>html</p>".into(),
        template: "password_reset".into(),
    };
    match mailer.send(&mail).await {
        Err(PortError::Backend(msg)) => {
            assert!(msg.contains("MessageRejected"), "message should name SES's error code: {msg}");
            assert!(msg.contains("password_reset"), "message should name the template: {msg}");
            assert!(!msg.contains("someone@example.org"), "message should not carry the recipient: {msg}");
        }
        other => panic!("expected PortError::Backend, got {other:?}"),
    }
    assert!(
        moto_sent_mail().iter().all(|m| m["subject"] != mail.subject.as_str()),
        "a rejected mail must not be recorded as sent"
    );
}

// ------------------------------------------------------------- EventBridge --

#[tokio::test]
async fn eventbridge_publisher_delivers_events_with_id_and_time() {
    let client = events_client().await;
    let (bus, archive) = bus_with_archive(&client).await;
    let publisher = EventBridgePublisher::new(client, &bus);

    let at = Utc.with_ymd_and_hms(2025, 3, 4, 5, 6, 7).unwrap() + Duration::milliseconds(890);
    let first = event("InvitationCreated", at, json!({ "practice_id": "p1", "email": "a@example.org" }));
    // A detail field named `id` must not hide the event id consumers de-duplicate on.
    let second = event("MemberDeactivated", at + Duration::seconds(1), json!({ "id": "not-the-event-id", "n": 2 }));
    publisher.publish(&[first.clone(), second.clone()]).await.unwrap();

    let got = moto_archived_events(&archive);
    assert_eq!(got.len(), 2, "{got:?}");
    for (want, got) in [&first, &second].into_iter().zip(&got) {
        assert_eq!(got["source"], "roster");
        assert_eq!(got["detail-type"], want.detail_type.as_str());
        let mut expected = want.detail.as_object().unwrap().clone();
        expected.insert("id".into(), json!(want.id.to_string()));
        expected.insert("at".into(), json!(want.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)));
        assert_eq!(got["detail"], Value::Object(expected));
        let time = got["time"].as_f64().unwrap_or_else(|| panic!("numeric time in {got}"));
        assert!((time - want.at.timestamp_millis() as f64 / 1000.0).abs() < 0.001, "time {time} vs {}", want.at);
    }
    assert_eq!(got[0]["detail"]["at"], "2025-03-04T05:06:07.890Z");
}

#[tokio::test]
async fn eventbridge_publisher_sends_more_than_ten_events_in_chunks() {
    let client = events_client().await;
    let (bus, archive) = bus_with_archive(&client).await;
    let publisher = EventBridgePublisher::new(client, &bus);

    let at = Utc::now();
    let events: Vec<DomainEvent> = (0..23).map(|i| event("SeatAdded", at, json!({ "seq": i }))).collect();
    publisher.publish(&events).await.unwrap();

    let got = moto_archived_events(&archive);
    let got_ids: Vec<&str> = got.iter().map(|e| e["detail"]["id"].as_str().unwrap()).collect();
    let want_ids: Vec<String> = events.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(got_ids, want_ids, "all 23 events, in order");
}

#[tokio::test]
async fn eventbridge_partial_failure_is_a_failure() {
    let client = events_client().await;
    let (bus, archive) = bus_with_archive(&client).await;
    let publisher = EventBridgePublisher::new(client, &bus);

    let good = event("UserLocked", Utc::now(), json!({ "user_id": "u1" }));
    // moto, like EventBridge, accepts the call but fails this one entry with
    // `InvalidArgument` (FailedEntryCount = 1, HTTP 200).
    let bad = event("", Utc::now(), json!({ "user_id": "u2" }));
    match publisher.publish(&[good.clone(), bad.clone()]).await {
        Err(PortError::Backend(msg)) => {
            assert!(msg.contains("InvalidArgument"), "message should name the entry's error code: {msg}");
            assert!(msg.contains(&bad.id.to_string()), "message should name the failed event: {msg}");
            assert!(!msg.contains(&good.id.to_string()), "message should not blame the accepted event: {msg}");
            assert!(msg.contains("1 of 2"), "{msg}");
        }
        other => panic!("expected PortError::Backend, got {other:?}"),
    }
    // The accepted entry did go out: the caller must treat the batch as
    // undelivered and consumers de-duplicate the resend by id.
    let got = moto_archived_events(&archive);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["detail"]["id"], good.id.to_string());
}

#[tokio::test]
async fn eventbridge_unknown_bus_is_a_backend_error() {
    let publisher = EventBridgePublisher::new(events_client().await, format!("missing-{}", short_id()));
    match publisher.publish(&[event("UserUnlocked", Utc::now(), json!({}))]).await {
        Err(PortError::Backend(msg)) => assert!(msg.contains("ResourceNotFound"), "{msg}"),
        other => panic!("expected PortError::Backend, got {other:?}"),
    }
}

#[tokio::test]
async fn eventbridge_empty_batch_makes_no_call() {
    // Nothing listens on port 9 (discard) locally: any call would fail.
    let config = sdk_config("http://127.0.0.1:9").await;
    let publisher = EventBridgePublisher::new(aws_sdk_eventbridge::Client::new(&config), "any");
    publisher.publish(&[]).await.unwrap();
    // Sanity check that the endpoint really is unreachable.
    assert!(publisher.publish(&[event("X", Utc::now(), json!({}))]).await.is_err());
}

// ------------------------------------------------------ local directories --

#[tokio::test]
async fn dir_mailer_writes_one_complete_json_file_per_mail() {
    let dir = scratch_dir().join("not-yet-created");
    let t0 = Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap() + Duration::milliseconds(6);
    let mail = Mail {
        to: "zoe@example.org".into(),
        subject: "Welcome – Zoë".into(),
        text: "text part".into(),
        html: "<p>html part</p>".into(),
        template: "welcome_temporary_password".into(),
    };
    DirMailer::new(&dir, Arc::new(FixedClock(t0))).send(&mail).await.unwrap();
    // An earlier clock on a later send: the file names sort by created_at.
    let earlier: Arc<dyn Clock> = Arc::new(FixedClock(t0 - Duration::minutes(1)));
    let second = Mail { template: "../escape/attempt".into(), ..mail.clone() };
    DirMailer::new(&dir, earlier).send(&second).await.unwrap();

    let files = json_files(&dir);
    assert_eq!(files.len(), 2, "{files:?}");
    let newest = files[1].file_name().unwrap().to_string_lossy().to_string();
    assert!(newest.starts_with(&format!("{:015}-", t0.timestamp_millis())), "{newest}");
    assert!(newest.ends_with("-welcome_temporary_password.json"), "{newest}");
    let oldest = files[0].file_name().unwrap().to_string_lossy().to_string();
    assert!(oldest.ends_with("-___escape_attempt.json"), "{oldest}");

    let v = read_json(&files[1]);
    assert_eq!(
        keys(&v),
        ["to", "subject", "text", "html", "template", "created_at"].map(String::from).into_iter().collect()
    );
    assert_eq!(
        v,
        json!({
            "to": "zoe@example.org",
            "subject": "Welcome – Zoë",
            "text": "text part",
            "html": "<p>html part</p>",
            "template": "welcome_temporary_password",
            "created_at": "2025-01-02T03:04:05.006Z",
        })
    );
    assert_eq!(read_json(&files[0])["template"], "../escape/attempt");
    std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
}

#[tokio::test]
async fn dir_mailer_names_are_unique_within_one_millisecond() {
    let dir = scratch_dir();
    let mailer = DirMailer::new(&dir, Arc::new(FixedClock(Utc::now())));
    let mail = Mail {
        to: "a@example.org".into(),
        subject: "s".into(),
        text: "t".into(),
        html: "h".into(),
        template: "account_locked".into(),
    };
    for _ in 0..5 {
        mailer.send(&mail).await.unwrap();
    }
    assert_eq!(json_files(&dir).len(), 5);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn dir_events_writes_each_event_as_one_json_file() {
    let dir = scratch_dir();
    let at = Utc.with_ymd_and_hms(2025, 6, 7, 8, 9, 10).unwrap();
    let a = event("InvitationAccepted", at, json!({ "invitation_id": "i1", "nested": { "k": [1, 2] } }));
    let b = event("SupportAccessGranted", at + Duration::milliseconds(1), json!({ "practice_id": "p" }));
    let events = DirEvents::new(&dir);
    events.publish(&[a.clone(), b.clone()]).await.unwrap();
    // Redelivery (at-least-once) replaces the files instead of duplicating them.
    events.publish(std::slice::from_ref(&a)).await.unwrap();
    events.publish(&[]).await.unwrap();

    let files = json_files(&dir);
    assert_eq!(files.len(), 2, "{files:?}");
    for (file, want) in files.iter().zip([&a, &b]) {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        assert_eq!(name, format!("{:015}-{}-{}.json", want.at.timestamp_millis(), want.id, want.detail_type));
        let v = read_json(file);
        assert_eq!(keys(&v), ["id", "source", "detail_type", "at", "detail"].map(String::from).into_iter().collect());
        assert_eq!(
            v,
            json!({
                "id": want.id.to_string(),
                "source": "roster",
                "detail_type": want.detail_type,
                "at": want.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "detail": want.detail,
            })
        );
    }
    assert_eq!(read_json(&files[0])["at"], "2025-06-07T08:09:10.000Z");
    std::fs::remove_dir_all(&dir).unwrap();
}
