//! Shared test harness: the real handlers over a fresh DynamoDB Local table,
//! with mail and events written by the real directory adapters to a private
//! folder, and a clock the test moves.

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use chrono::{DateTime, Duration, Utc};
use lambda_http::http::Request as HttpRequest;
use lambda_http::{Body, Request};
use roster_adapters::dynamo::table::{ensure_table, TableDef};
use roster_adapters::dynamo::DynamoStore;
use roster_adapters::local_dir::{DirEvents, DirMailer};
use roster_api::Function;
use roster_domain::clock::Clock;
use roster_domain::ports::{App, Config};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub fn env_url(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!("{name} is not set: run the tests with `make test`, which starts DynamoDB Local and moto_server"),
    }
}

#[derive(Debug)]
pub struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    pub fn advance(&self, by: Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().map(|t| *t).unwrap_or_else(|_| Utc::now())
    }
}

pub async fn dynamo_client() -> aws_sdk_dynamodb::Client {
    let conf = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(env_url("ROSTER_TEST_DYNAMODB"))
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .build();
    aws_sdk_dynamodb::Client::from_conf(conf)
}

/// The vendor's support agent every harness is configured with (R30).
pub const SUPPORT_AGENT: &str = "agent@support.test";

pub struct Harness {
    pub app: App,
    pub clock: Arc<TestClock>,
    pub dir: PathBuf,
    pub table: String,
    pub client: aws_sdk_dynamodb::Client,
}

pub struct Reply {
    pub status: u16,
    pub headers: lambda_http::http::HeaderMap,
    pub body: Value,
}

impl Harness {
    pub async fn new() -> Self {
        let client = dynamo_client().await;
        let table = format!("roster-test-{}", uuid::Uuid::new_v4());
        let def = TableDef::from_repo().expect("table definition in infra/template.yaml");
        ensure_table(&client, &table, &def).await.expect("create table");
        let dir = std::env::temp_dir().join(format!("roster-test-{}", uuid::Uuid::new_v4()));
        let clock = Arc::new(TestClock(Mutex::new(Utc::now())));
        let app = App {
            store: Arc::new(DynamoStore::new(client.clone(), table.clone())),
            mailer: Arc::new(DirMailer::new(dir.join("mail"), clock.clone())),
            events: Arc::new(DirEvents::new(dir.join("events"))),
            clock: clock.clone(),
            config: Config {
                app_base_url: "https://app.roster.test".into(),
                support_agents: vec![SUPPORT_AGENT.into()],
            },
        };
        Self { app, clock, dir, table, client }
    }

    /// A request as API Gateway and cargo lambda hand it to the function.
    pub async fn raw(&self, function: Function, req: Request) -> Reply {
        let resp = roster_api::handle(&self.app, function, req).await;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = match resp.body() {
            Body::Text(t) => serde_json::from_str(t).unwrap_or(Value::String(t.clone())),
            Body::Binary(b) => serde_json::from_slice(b).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        assert!(status < 500, "a request got {status}: {body}");
        Reply { status, headers, body }
    }

    pub async fn call(
        &self,
        function: Function,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        self.raw(function, request(method, path, token, body)).await
    }

    pub async fn auth(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        self.call(Function::Auth, method, path, token, body).await
    }

    pub async fn dir(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        self.call(Function::Directory, method, path, token, body).await
    }

    /// Sign up a user; returns (user id, session token).
    pub async fn signup(&self, email: &str) -> (String, String) {
        let r = self
            .auth(
                "POST",
                "/auth/signup",
                None,
                Some(serde_json::json!({"email": email, "password": "correct horse battery", "first_name": "Ana", "last_name": "Silva"})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        (s(&r.body["user"]["id"]), s(&r.body["session"]["token"]))
    }

    /// A fresh session for a user signed up by `signup` (sessions last 12
    /// hours, and tests move the clock by days).
    pub async fn login(&self, email: &str) -> String {
        let r = self
            .auth(
                "POST",
                "/auth/login",
                None,
                Some(serde_json::json!({"email": email, "password": "correct horse battery"})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        s(&r.body["session"]["token"])
    }

    /// Confirm `email` from its verification mail.
    pub async fn verify(&self, email: &str) {
        let mail = self
            .mails()
            .into_iter()
            .rev()
            .find(|m| m["template"] == "verify_email" && s(&m["to"]) == email)
            .expect("verification mail");
        let token = link_token(&mail, "/verify-email/");
        let r = self.auth("POST", "/auth/verify-email", None, Some(serde_json::json!({"token": token}))).await;
        assert_eq!(r.status, 204, "{}", r.body);
    }

    /// Create a practice as `token`; returns the practice id.
    pub async fn practice(&self, token: &str, name: &str) -> String {
        let r = self
            .dir(
                "POST",
                "/practices",
                Some(token),
                Some(serde_json::json!({"name": name, "location": {"name": "Main St"}})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        s(&r.body["id"])
    }

    fn read_dir(&self, sub: &str) -> Vec<Value> {
        let mut files: Vec<_> = std::fs::read_dir(self.dir.join(sub))
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .filter_map(|t| serde_json::from_str(&t).ok())
            .collect()
    }

    /// Mail files written so far, oldest first.
    pub fn mails(&self) -> Vec<Value> {
        self.read_dir("mail")
    }

    /// Event files written so far, oldest first.
    pub fn events(&self) -> Vec<Value> {
        self.read_dir("events")
    }

    /// Every item of a partition, straight from DynamoDB.
    pub async fn partition(
        &self,
        pk: &str,
    ) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        self.client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S(pk.into()))
            .send()
            .await
            .expect("query")
            .items
            .unwrap_or_default()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A request as API Gateway and cargo lambda hand it to a function.
pub fn request(method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Request {
    let mut b = HttpRequest::builder().method(method).uri(format!("https://api.roster.test{path}"));
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    let body = match body {
        Some(v) => {
            b = b.header("content-type", "application/json");
            Body::from(v.to_string())
        }
        None => Body::Empty,
    };
    b.body(body).expect("request")
}

/// The token at the end of a mail's `{APP_BASE_URL}{prefix}{token}` link.
pub fn link_token(mail: &Value, prefix: &str) -> String {
    let text = s(&mail["text"]);
    let start = text.find(prefix).map(|i| i + prefix.len()).expect("link in mail");
    text[start..].split_whitespace().next().unwrap_or_default().to_string()
}

pub fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

impl Harness {
    /// Put `user` into practice `pid` as staff with `role_id` directly
    /// through the store; see `put_member`.
    pub async fn add_member(&self, pid: &str, user: &str, role_id: &str, status: roster_domain::model::MemberStatus) {
        let user = self.app.store.user(user.parse().expect("uid")).await.expect("read user").expect("user exists");
        self.put_member(pid, &user, roster_domain::model::Kind::Staff, role_id, status).await;
    }

    /// Put `user` into practice `pid` directly through the store, keeping
    /// the practice's counters and the role's holders as the real flows do;
    /// quicker than an invitation for tests that need many members.
    pub async fn put_member(
        &self,
        pid: &str,
        user: &roster_domain::model::User,
        kind: roster_domain::model::Kind,
        role_id: &str,
        status: roster_domain::model::MemberStatus,
    ) {
        use roster_domain::model::*;
        use roster_domain::ports::{Record, Tx, Write};
        let pid: roster_domain::ids::PracticeId = pid.parse().expect("pid");
        let locations = self.app.store.locations(pid).await.expect("locations");
        let now = self.app.now();
        let m = Membership {
            status,
            practitioner: (kind == Kind::Practitioner).then(PractitionerProfile::default),
            deactivated_at: (status == MemberStatus::Deactivated).then_some(now),
            ..Membership::new(pid, user, kind, role_id, locations[0].id, now)
        };
        let mut tx = Tx::new();
        if status == MemberStatus::Active {
            let delta = roster_domain::service::invitations::joining(kind, role_id, 1);
            tx.push(Write::AdjustCounters { practice_id: pid, delta });
            roster_domain::service::roles::take_role(&mut tx, pid, role_id, roster_domain::DomainError::NotFound);
        }
        tx.push(Write::PutSlot { slot: EmailSlot::member(pid, &user.email_norm, user.id), holder: None, now })
            .push(Write::Create(Record::Membership(m)));
        self.app.store.transact(tx).await.expect("add member");
    }
}

impl Harness {
    pub async fn invite_fn(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        self.call(Function::Invite, method, path, token, body).await
    }

    pub async fn accept_fn(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        self.call(Function::Accept, method, path, token, body).await
    }

    pub async fn update_fn(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        self.call(Function::UpdateAccess, method, path, token, body).await
    }

    pub async fn deactivate_fn(&self, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        self.call(Function::Deactivate, "POST", path, token, body).await
    }

    pub async fn revoke_fn(&self, path: &str, token: &str) -> Reply {
        self.call(Function::Revoke, "DELETE", path, Some(token), None).await
    }

    /// The practice's first location id.
    pub async fn first_location(&self, token: &str, pid: &str) -> String {
        s(&self.dir("GET", &format!("/practices/{pid}/locations"), Some(token), None).await.body["items"][0]["id"])
    }

    /// Invite `email` as front desk staff at the first location; returns the reply.
    pub async fn invite(&self, token: &str, pid: &str, email: &str) -> Reply {
        let loc = self.first_location(token, pid).await;
        self.invite_fn(
            "POST",
            &format!("/practices/{pid}/invitations"),
            Some(token),
            Some(serde_json::json!({"email": email, "kind": "staff", "role_id": "front_desk", "primary_location_id": loc})),
        )
        .await
    }

    /// The token of the newest mail's /invite/ link.
    pub fn last_invite_token(&self) -> String {
        let mail =
            self.mails().into_iter().rev().find(|m| s(&m["text"]).contains("/invite/")).expect("an invitation mail");
        link_token(&mail, "/invite/")
    }

    /// The token of the newest invitation mailed to `email` (concurrent
    /// invitations make "the last invitation mail" ambiguous).
    pub fn invite_token_for(&self, email: &str) -> String {
        let mail = self
            .mails()
            .into_iter()
            .rev()
            .find(|m| s(&m["to"]) == email && s(&m["text"]).contains("/invite/"))
            .unwrap_or_else(|| panic!("an invitation mail to {email}"));
        link_token(&mail, "/invite/")
    }

    /// Run the sweep as EventBridge would, dated `now`.
    pub async fn sweep_at(&self, now: DateTime<Utc>) -> roster_domain::service::sweep::Summary {
        let event: aws_lambda_events::eventbridge::EventBridgeEvent<Value> =
            serde_json::from_value(serde_json::json!({
                "version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": "Scheduled Event",
                "source": "aws.events", "account": "123456789012", "time": now.to_rfc3339(), "region": "us-east-1",
                "resources": ["arn:aws:events:us-east-1:123456789012:rule/roster-sweep"], "detail": {}
            }))
            .expect("scheduled event");
        roster_api::sweep::handle(&self.app, event).await.expect("sweep")
    }
}

impl Harness {
    /// A practice's whole audit log through the API, newest first.
    pub async fn audit_log(&self, token: &str, pid: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let q = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
            let page = self.dir("GET", &format!("/practices/{pid}/audit?limit=100{q}"), Some(token), None).await;
            assert_eq!(page.status, 200, "audit log: {}", page.body);
            all.extend(page.body["items"].as_array().cloned().unwrap_or_default());
            match page.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        all
    }
}

/// The audit entries of one action.
pub fn with_action(log: &[Value], action: &str) -> Vec<Value> {
    log.iter().filter(|e| e["action"] == action).cloned().collect()
}
