//! DynamoDB calls per endpoint: a scripted scenario that takes every route
//! of `roster_api::ROUTES` through its succeeding path, in process, with
//! the adapters' `CallLog` on the client. Each route's figure is its first
//! answer below 300 (the success path), else its first answer.

use crate::env::{Env, Error};
use lambda_http::http::Request as HttpRequest;
use lambda_http::{Body, Request};
use roster_adapters::dynamo::call_log::Call;
use roster_api::routes::match_route;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const PASSWORD: &str = "correct horse battery";
/// The vendor's support agent the bench's App is configured with.
pub const AGENT: &str = "agent@support.bench";

/// A route's template, as `METHOD /path/{param}`.
pub fn route_key(method: &str, path: &str) -> String {
    let template =
        match_route(method, path.split('?').next().unwrap_or_default()).map_or("(no route)", |(r, _)| r.path);
    format!("{method} {template}")
}

/// One route's calls, and the status of the answer they were made for.
#[derive(Debug, Clone)]
pub struct Seen {
    pub status: u16,
    pub calls: Vec<Call>,
}

impl Env {
    /// Send `method path` to the function the route table names, as API
    /// Gateway would hand it over; (status, body as JSON).
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let function = match_route(method, path.split('?').next().unwrap_or_default())
            .map_or(roster_api::Function::Directory, |(r, _)| r.function);
        let mut b = HttpRequest::builder().method(method).uri(format!("https://api.roster.bench{path}"));
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
        let Ok(req) = b.body(body) else { return (0, Value::Null) };
        let req: Request = req;
        let resp = roster_api::handle(&self.app, function, req).await;
        let status = resp.status().as_u16();
        let value = match resp.body() {
            Body::Text(t) => serde_json::from_str(t).unwrap_or(Value::Null),
            Body::Binary(b) => serde_json::from_slice(b).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        (status, value)
    }

    /// `call`, which must answer below 300.
    pub async fn ok(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Result<Value, Error> {
        let (status, value) = self.call(method, path, token, body).await;
        if status >= 300 {
            return Err(format!("{method} {path}: {status} {value}").into());
        }
        Ok(value)
    }

    /// Sign up `email` and confirm the address from its mail; (user id, session).
    pub async fn verified_user(&self, email: &str) -> Result<(String, String), Error> {
        let body = json!({"email": email, "password": PASSWORD, "first_name": "Ana", "last_name": "Silva"});
        let r = self.ok("POST", "/auth/signup", None, Some(body)).await?;
        let token = self.link(email, "/verify-email/").await?;
        self.ok("POST", "/auth/verify-email", None, Some(json!({"token": token}))).await?;
        Ok((s(&r["user"]["id"]), s(&r["session"]["token"])))
    }

    /// A verified director and their practice; (session, practice id, first location id).
    pub async fn director(&self, email: &str) -> Result<(String, String, String), Error> {
        let (_, token) = self.verified_user(email).await?;
        let body = json!({"name": "Harbour Clinic", "location": {"name": "Main St"}});
        let pid = s(&self.ok("POST", "/practices", Some(&token), Some(body)).await?["id"]);
        let lid =
            s(&self.ok("GET", &format!("/practices/{pid}/locations"), Some(&token), None).await?["items"][0]["id"]);
        Ok((token, pid, lid))
    }
}

pub fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn totp(secret: &str, at: chrono::DateTime<chrono::Utc>) -> Result<String, Error> {
    let key = totp_rs::Secret::Encoded(secret.to_string()).to_bytes().map_err(|e| format!("{e:?}"))?;
    let at = u64::try_from(at.timestamp()).unwrap_or_default();
    Ok(totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, key).generate(at))
}

/// Records each route's calls as the scenario goes.
struct Script<'e> {
    env: &'e Env,
    seen: BTreeMap<String, Seen>,
}

impl Script<'_> {
    async fn go(&mut self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Result<Value, Error> {
        self.env.taps.log.take();
        let (status, value) = self.env.call(method, path, token, body).await;
        let calls = self.env.taps.log.take();
        let key = route_key(method, path);
        let better = self.seen.get(&key).is_none_or(|s| s.status >= 300 && status < 300);
        if better {
            self.seen.insert(key, Seen { status, calls });
        }
        if status >= 300 {
            return Err(format!("{method} {path}: {status} {value}").into());
        }
        Ok(value)
    }

    /// Invite `email` as front desk; the invitation's id and link token.
    async fn invite(&mut self, d: &str, pid: &str, lid: &str, email: &str) -> Result<(String, String), Error> {
        let body = json!({"email": email, "kind": "staff", "role_id": "front_desk", "primary_location_id": lid});
        let r = self.go("POST", &format!("/practices/{pid}/invitations"), Some(d), Some(body)).await?;
        Ok((s(&r["id"]), self.env.link(email, "/invite/").await?))
    }

    /// Sign up through the counted routes and verify; (user id, session).
    async fn user(&mut self, email: &str) -> Result<(String, String), Error> {
        let body = json!({"email": email, "password": PASSWORD, "first_name": "Ana", "last_name": "Silva"});
        let r = self.go("POST", "/auth/signup", None, Some(body)).await?;
        let token = self.env.link(email, "/verify-email/").await?;
        self.go("POST", "/auth/verify-email", None, Some(json!({"token": token}))).await?;
        Ok((s(&r["user"]["id"]), s(&r["session"]["token"])))
    }
}

/// Run the scenario; every route's calls. Fails if a route was left out.
pub async fn run(env: &Env) -> Result<BTreeMap<String, Seen>, Error> {
    let mut sc = Script { env, seen: BTreeMap::new() };
    let (_, d) = sc.user("director@clinic.bench").await?;
    let d = d.as_str();
    let (_, unverified) = env
        .ok(
            "POST",
            "/auth/signup",
            None,
            Some(json!({"email": "late@clinic.bench",
        "password": PASSWORD, "first_name": "Lee", "last_name": "Ng"})),
        )
        .await
        .map(|r| (0, s(&r["session"]["token"])))?;
    sc.go("POST", "/auth/verify-email/resend", Some(&unverified), None).await?;
    sc.go("POST", "/auth/login", None, Some(json!({"email": "director@clinic.bench", "password": PASSWORD}))).await?;
    sc.go("GET", "/me", Some(d), None).await?;
    sc.go("PATCH", "/me", Some(d), Some(json!({"title": "Dr"}))).await?;
    sc.go("GET", "/permissions", Some(d), None).await?;
    let body = json!({"name": "Harbour Clinic", "location": {"name": "Main St"}});
    let pid = s(&sc.go("POST", "/practices", Some(d), Some(body)).await?["id"]);
    let p = format!("/practices/{pid}");
    sc.go("GET", &p, Some(d), None).await?;
    sc.go("PATCH", &p, Some(d), Some(json!({"name": "Harbour Clinic North"}))).await?;
    sc.go("GET", &format!("{p}/settings"), Some(d), None).await?;
    // Onboarding mails off: a change from the defaults, so the route writes.
    let settings =
        json!({"default_roles": {"practitioner": "clinician", "staff": "front_desk"}, "onboarding_mails": false});
    sc.go("PUT", &format!("{p}/settings"), Some(d), Some(settings)).await?;
    let lid = s(&sc.go("GET", &format!("{p}/locations"), Some(d), None).await?["items"][0]["id"]);
    sc.go("POST", &format!("{p}/locations"), Some(d), Some(json!({"name": "Annex"}))).await?;
    sc.go("PATCH", &format!("{p}/locations/{lid}"), Some(d), Some(json!({"name": "Main Street"}))).await?;
    sc.go("GET", &format!("{p}/roles"), Some(d), None).await?;
    let role = sc
        .go("POST", &format!("{p}/roles"), Some(d), Some(json!({"name": "Manager", "permissions": ["users.view"]})))
        .await?;
    let rid = s(&role["id"]);
    sc.go("PATCH", &format!("{p}/roles/{rid}"), Some(d), Some(json!({"permissions": ["users.view", "calendar.view"]})))
        .await?;
    sc.go("POST", &format!("{p}/roles/front_desk/reset"), Some(d), None).await?;
    sc.go("DELETE", &format!("{p}/roles/{rid}"), Some(d), None).await?;

    // The invited side: register from a link, accept and decline from a
    // link, accept and decline from one's own list.
    let (iid, link) = sc.invite(d, &pid, &lid, "new@mail.bench").await?;
    sc.go("GET", &format!("{p}/invitations"), Some(d), None).await?;
    sc.go("POST", &format!("{p}/invitations/{iid}/resend"), Some(d), None).await?;
    let link = env.link("new@mail.bench", "/invite/").await.unwrap_or(link);
    sc.go("GET", &format!("/invitations/{link}"), None, None).await?;
    let body = json!({"first_name": "Nia", "last_name": "Okafor", "password": PASSWORD, "accept_terms": true});
    sc.go("POST", &format!("/invitations/{link}/register"), None, Some(body)).await?;
    let (joiner, j) = sc.user("joiner@mail.bench").await?;
    let (_, link) = sc.invite(d, &pid, &lid, "joiner@mail.bench").await?;
    sc.go("POST", &format!("/invitations/{link}/accept"), Some(&j), None).await?;
    let (_, link) = sc.invite(d, &pid, &lid, "declines@mail.bench").await?;
    sc.go("POST", &format!("/invitations/{link}/decline"), None, None).await?;
    let (iid, _) = sc.invite(d, &pid, &lid, "revoked@mail.bench").await?;
    sc.go("DELETE", &format!("{p}/invitations/{iid}"), Some(d), None).await?;
    for (email, action) in [("mine@mail.bench", "accept"), ("notmine@mail.bench", "decline")] {
        let (_, m) = sc.user(email).await?;
        sc.invite(d, &pid, &lid, email).await?;
        let list = sc.go("GET", "/me/invitations", Some(&m), None).await?;
        let id = s(&list["items"][0]["id"]);
        sc.go("POST", &format!("/me/invitations/{id}/{action}"), Some(&m), None).await?;
    }

    // The members: the joiner is the target.
    let member = format!("{p}/members/{joiner}");
    sc.go("GET", &format!("{p}/members"), Some(d), None).await?;
    sc.go("GET", &member, Some(d), None).await?;
    sc.go("PATCH", &member, Some(d), Some(json!({"access_billing": false}))).await?;
    sc.go("PATCH", &format!("{member}/details"), Some(d), Some(json!({"title": "Dr"}))).await?;
    sc.go("POST", &format!("{member}/deactivate"), Some(d), None).await?;
    sc.go("POST", &format!("{member}/reactivate"), Some(d), None).await?;
    env.ok("POST", &format!("{member}/deactivate"), Some(d), None).await?;
    sc.go("POST", &format!("{p}/members/reactivate"), Some(d), Some(json!({"user_ids": [joiner]}))).await?;
    for _ in 0..5 {
        env.call("POST", "/auth/login", None, Some(json!({"email": "joiner@mail.bench", "password": "not it at all"})))
            .await;
    }
    sc.go("POST", &format!("{member}/unlock"), Some(d), Some(json!({}))).await?;
    let body = json!({"temporary_password": "a temporary secret"});
    sc.go("POST", &format!("{member}/temporary-password"), Some(d), Some(body)).await?;
    sc.go("GET", &format!("{p}/audit"), Some(d), None).await?;
    sc.go("PUT", &format!("{p}/support-access"), Some(d), None).await?;
    sc.go("GET", &format!("{p}/support-access"), Some(d), None).await?;
    sc.go("DELETE", &format!("{p}/support-access"), Some(d), None).await?;

    // Bulk invitations, the security policy, and emergency access (R50): a
    // member granted its use opens it, ends it, and a director reviews it.
    let row = json!({"email": "bulk@mail.bench", "first_name": "Pat", "last_name": "Doe", "kind": "staff",
        "role_id": "front_desk", "primary_location_id": lid});
    sc.go("POST", &format!("{p}/invitations/bulk"), Some(d), Some(json!({"rows": [row]}))).await?;
    sc.go("GET", &format!("{p}/security-policy"), Some(d), None).await?;
    let policy = json!({"emergency_access": {"enabled": true, "permissions": ["users.view"], "max_minutes": 30}});
    sc.go("PUT", &format!("{p}/security-policy"), Some(d), Some(policy)).await?;
    let (oncall, o) = sc.user("oncall@mail.bench").await?;
    sc.invite(d, &pid, &lid, "oncall@mail.bench").await?;
    let id = s(&env.ok("GET", "/me/invitations", Some(&o), None).await?["items"][0]["id"]);
    env.ok("POST", &format!("/me/invitations/{id}/accept"), Some(&o), None).await?;
    let grant = json!({"overrides": {"grant": ["emergency_access.use"]}});
    env.ok("PATCH", &format!("{p}/members/{oncall}"), Some(d), Some(grant)).await?;
    let body = json!({"reason": "Patient collapsed in room 2; need the on-call list"});
    let eid = s(&sc.go("POST", &format!("{p}/emergency-access"), Some(&o), Some(body)).await?["id"]);
    sc.go("GET", &format!("{p}/emergency-access"), Some(d), None).await?;
    sc.go("DELETE", &format!("{p}/emergency-access/{eid}"), Some(&o), None).await?;
    let note = json!({"note": "Checked with the on-call lead"});
    sc.go("POST", &format!("{p}/emergency-access/{eid}/review"), Some(d), Some(note)).await?;
    sc.go("GET", &format!("{p}/audit/export?format=ndjson"), Some(d), None).await?;

    // The joiner's own account: reset, second factor, password, leave, logout.
    sc.go("POST", "/auth/password-reset", None, Some(json!({"email": "joiner@mail.bench"}))).await?;
    let reset = env.link("joiner@mail.bench", "/reset-password/").await?;
    let body = json!({"token": reset, "new_password": PASSWORD});
    sc.go("POST", "/auth/password-reset/confirm", None, Some(body)).await?;
    let login = json!({"email": "joiner@mail.bench", "password": PASSWORD});
    let j = s(&env.ok("POST", "/auth/login", None, Some(login.clone())).await?["session"]["token"]);
    let secret = s(&sc.go("POST", "/me/mfa/totp", Some(&j), None).await?["secret"]);
    env.clock.advance(chrono::Duration::seconds(31));
    let code = totp(&secret, env.app.now())?;
    sc.go("POST", "/me/mfa/totp/confirm", Some(&j), Some(json!({"code": code}))).await?;
    let challenge = s(&env.ok("POST", "/auth/login", None, Some(login)).await?["mfa_token"]);
    env.clock.advance(chrono::Duration::seconds(31));
    let body = json!({"mfa_token": challenge, "code": totp(&secret, env.app.now())?});
    sc.go("POST", "/auth/login/mfa", None, Some(body)).await?;
    env.clock.advance(chrono::Duration::seconds(31));
    let body = json!({"current_password": PASSWORD, "code": totp(&secret, env.app.now())?});
    sc.go("DELETE", "/me/mfa/totp", Some(&j), Some(body)).await?;
    let body = json!({"current_password": PASSWORD, "new_password": "another long secret"});
    sc.go("POST", "/me/password", Some(&j), Some(body)).await?;
    let login = json!({"email": "joiner@mail.bench", "password": "another long secret"});
    let j = s(&env.ok("POST", "/auth/login", None, Some(login)).await?["session"]["token"]);
    sc.go("POST", &format!("{p}/leave"), Some(&j), None).await?;
    sc.go("POST", "/auth/logout", Some(&j), None).await?;

    // The director's sessions: the list, one other ended, then all others.
    let sessions = sc.go("GET", "/me/sessions", Some(d), None).await?;
    let other =
        sessions["items"].as_array().and_then(|l| l.iter().find(|x| x["current"] == false)).map(|x| s(&x["id"]));
    let other = other.ok_or("the director has one session only")?;
    sc.go("DELETE", &format!("/me/sessions/{other}"), Some(d), None).await?;
    sc.go("DELETE", "/me/sessions", Some(d), None).await?;

    let missing: Vec<String> = roster_api::ROUTES
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .filter(|k| !sc.seen.contains_key(k))
        .collect();
    if !missing.is_empty() {
        return Err(format!("the scenario left out {missing:?}").into());
    }
    Ok(sc.seen)
}
