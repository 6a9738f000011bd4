//! Set-up shared by the tests: users, practices, members and invitations,
//! through the API where the flow matters and straight through the store
//! where only the result does; and reads many tests make.

use super::{link_token, s, Harness, Reply};
use chrono::{DateTime, Utc};
use roster_domain::model::{Kind, MemberStatus, Practice};
use serde_json::{json, Value};

/// The password `Harness::signup` gives every user.
pub const PASSWORD: &str = "correct horse battery";

/// The email a test's first director signs up with, unless it needs several.
pub const DIRECTOR: &str = "director@clinic.example";

/// The vendor's support agent every harness is configured with (R30).
pub const SUPPORT_AGENT: &str = "agent@support.test";

/// The license terms every harness is configured with (R45).
pub const LICENSE_TERMS_VERSION: &str = "2025-06-terms";

impl Harness {
    /// Sign up a user (password `PASSWORD`); returns (user id, session token).
    pub async fn signup(&self, email: &str) -> (String, String) {
        let r = self
            .call(
                "POST",
                "/auth/signup",
                None,
                Some(json!({"email": email, "password": PASSWORD, "first_name": "Ana", "last_name": "Silva"})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        (s(&r.body["user"]["id"]), s(&r.body["session"]["token"]))
    }

    /// `POST /auth/login` with `email` and `password`, whatever the answer.
    pub async fn login_with(&self, email: &str, password: &str) -> Reply {
        self.call("POST", "/auth/login", None, Some(json!({"email": email, "password": password}))).await
    }

    /// A fresh session for a user signed up by `signup` (sessions last 12
    /// hours, and tests move the clock by days).
    pub async fn login(&self, email: &str) -> String {
        let r = self.login_with(email, PASSWORD).await;
        assert_eq!(r.status, 200, "{}", r.body);
        s(&r.body["session"]["token"])
    }

    /// Confirm `email` from its verification mail.
    pub async fn verify(&self, email: &str) {
        let mail = self.mails_to(email, "verify_email").pop().expect("verification mail");
        let token = link_token(&mail, "/verify-email/");
        let r = self.call("POST", "/auth/verify-email", None, Some(json!({"token": token}))).await;
        assert_eq!(r.status, 204, "{}", r.body);
    }

    /// `GET /me`'s user, which must answer 200.
    pub async fn me(&self, token: &str) -> Value {
        let r = self.call("GET", "/me", Some(token), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["user"].clone()
    }

    /// Create a practice as `token`, whose email is then verified as a real
    /// director's would be (R41: only a verified address sends invitations);
    /// returns the practice id.
    pub async fn practice(&self, token: &str, name: &str) -> String {
        let r = self
            .call("POST", "/practices", Some(token), Some(json!({"name": name, "location": {"name": "Main St"}})))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let me = self.me(token).await;
        if me["email_verified"] != true {
            self.verify(&s(&me["email"])).await;
        }
        s(&r.body["id"])
    }

    /// Sign up `email` and create practice `name`, of which they are then the
    /// director; returns (user id, session, practice id).
    pub async fn director(&self, email: &str, name: &str) -> (String, String, String) {
        let (uid, token) = self.signup(email).await;
        let pid = self.practice(&token, name).await;
        (uid, token, pid)
    }

    /// Sign up `email` and put them straight into `pid` as staff with
    /// `role_id` and `status`; returns (user id, session).
    pub async fn member(&self, pid: &str, email: &str, role_id: &str, status: MemberStatus) -> (String, String) {
        let (uid, token) = self.signup(email).await;
        self.add_member(pid, &uid, role_id, status).await;
        (uid, token)
    }

    /// A verified user made straight through the store, with a password
    /// no one knows: quicker than `signup` for tests that need many people
    /// who never sign in.
    pub async fn put_user(&self, email: &str) -> roster_domain::model::User {
        use roster_domain::model::*;
        use roster_domain::ports::{Record, Tx, Write};
        let mut user =
            User::new(email.into(), email.to_lowercase(), "Dana".into(), "Reyes".into(), "!".into(), self.app.now());
        user.email_verified = true;
        let mut tx = Tx::new();
        tx.push(Write::Create(Record::EmailClaim(EmailClaim {
            email_norm: user.email_norm.clone(),
            user_id: user.id,
        })))
        .push(Write::Create(Record::User(user.clone())));
        self.app.store.transact(tx).await.expect("put user");
        user
    }

    /// Put `user` into practice `pid` as staff with `role_id` directly
    /// through the store; see `put_member`.
    pub async fn add_member(&self, pid: &str, user: &str, role_id: &str, status: MemberStatus) {
        let user = self.app.store.user(user.parse().expect("uid")).await.expect("read user").expect("user exists");
        self.put_member(pid, &user, Kind::Staff, role_id, status).await;
    }

    /// Put `user` into practice `pid` directly through the store, keeping
    /// the practice's counters and the role's holders as the real flows do;
    /// quicker than an invitation for tests that need many members.
    pub async fn put_member(
        &self,
        pid: &str,
        user: &roster_domain::model::User,
        kind: Kind,
        role_id: &str,
        status: MemberStatus,
    ) {
        use roster_domain::model::*;
        use roster_domain::ports::{Record, Tx, Write};
        let pid: roster_domain::ids::PracticeId = pid.parse().expect("pid");
        let locations = self.app.store.locations(pid).await.expect("locations");
        let now = self.app.now();
        let access = Access {
            practitioner: (kind == Kind::Practitioner).then(PractitionerProfile::default),
            ..Access::new(kind, role_id, locations[0].id)
        };
        let m = Membership {
            status,
            deactivated_at: (status == MemberStatus::Deactivated).then_some(now),
            ..Membership::new(pid, user, access, now)
        };
        let mut tx = Tx::new();
        if status == MemberStatus::Active {
            let delta = m.access.joining();
            tx.push(Write::AdjustCounters { practice_id: pid, delta });
            roster_domain::service::roles::take_role(&mut tx, pid, role_id, roster_domain::DomainError::NotFound);
        }
        tx.push(Write::PutSlot { slot: EmailSlot::member(pid, &user.email_norm, user.id), holder: None, now })
            .push(Write::Create(Record::Membership(m)));
        self.app.store.transact(tx).await.expect("add member");
    }

    /// The practice as stored (counters included), straight from the store.
    pub async fn stored_practice(&self, pid: &str) -> Practice {
        self.app.store.practice(pid.parse().expect("pid")).await.expect("read practice").expect("practice exists")
    }

    /// `GET /practices/{pid}/members/{uid}`, which must answer 200.
    pub async fn get_member(&self, token: &str, pid: &str, uid: &str) -> Value {
        let r = self.call("GET", &format!("/practices/{pid}/members/{uid}"), Some(token), None).await;
        assert_eq!(r.status, 200, "GET member {uid}: {}", r.body);
        r.body
    }

    /// `PATCH /practices/{pid}/members/{uid}` (an access change), with an
    /// `If-Match` when a version is given.
    pub async fn patch_member(&self, token: &str, pid: &str, uid: &str, if_match: Option<u64>, body: Value) -> Reply {
        let mut req = self.req("PATCH", &format!("/practices/{pid}/members/{uid}")).token(token).json(body);
        if let Some(v) = if_match {
            req = req.if_match(v);
        }
        req.send().await
    }

    /// `POST /practices/{pid}/roles`: a custom role, whatever the answer.
    pub async fn create_role(&self, token: &str, pid: &str, name: &str, permissions: &[&str]) -> Reply {
        let body = json!({"name": name, "permissions": permissions});
        self.call("POST", &format!("/practices/{pid}/roles"), Some(token), Some(body)).await
    }

    /// The practice's first location id.
    pub async fn first_location(&self, token: &str, pid: &str) -> String {
        s(&self.call("GET", &format!("/practices/{pid}/locations"), Some(token), None).await.body["items"][0]["id"])
    }

    /// Invite `email` as front desk staff at the first location; returns the reply.
    pub async fn invite(&self, token: &str, pid: &str, email: &str) -> Reply {
        let loc = self.first_location(token, pid).await;
        self.call(
            "POST",
            &format!("/practices/{pid}/invitations"),
            Some(token),
            Some(json!({"email": email, "kind": "staff", "role_id": "front_desk", "primary_location_id": loc})),
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

    /// `POST /invitations/{token}/register` with the terms accepted, whatever
    /// the answer.
    pub async fn register(&self, token: &str, first_name: &str, last_name: &str, password: &str) -> Reply {
        let body =
            json!({"first_name": first_name, "last_name": last_name, "password": password, "accept_terms": true});
        self.call("POST", &format!("/invitations/{token}/register"), None, Some(body)).await
    }

    /// Run the sweep as EventBridge would, dated `now` (whatever the clock
    /// says: what it writes is stamped by the clock).
    pub async fn sweep_at(&self, now: DateTime<Utc>) -> roster_domain::service::sweep::Summary {
        let swept = roster_api::sweep::handle(&self.app, &self.out, scheduled_event(now));
        let summary = self.attributed(roster_api::Function::Sweep, swept).await.expect("sweep");
        // What the sweep wrote to the outbox goes out through the stream.
        self.deliver().await;
        summary
    }

    /// Move the clock to `at` and run the sweep dated `at`, as a schedule
    /// that fires on time does.
    pub async fn sweep_on_time(&self, at: DateTime<Utc>) -> roster_domain::service::sweep::Summary {
        self.clock.advance(at - self.app.now());
        self.sweep_at(at).await
    }

    /// A practice's whole audit log through the API, newest first.
    pub async fn audit_log(&self, token: &str, pid: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let q = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
            let page = self.call("GET", &format!("/practices/{pid}/audit?limit=100{q}"), Some(token), None).await;
            assert_eq!(page.status, 200, "audit log: {}", page.body);
            all.extend(super::items(&page.body));
            match page.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        all
    }
}

/// The sweep's scheduled event, as EventBridge sends it, dated `at`.
pub fn scheduled_event(at: DateTime<Utc>) -> aws_lambda_events::eventbridge::EventBridgeEvent<Value> {
    serde_json::from_value(json!({
        "version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "123456789012", "time": at.to_rfc3339(), "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/roster-sweep"], "detail": {}
    }))
    .expect("scheduled event")
}
