//! The one way tests send a request: `h.req(method, path)` builds it as API
//! Gateway and cargo lambda hand it to a function, and `send` picks that
//! function from the route table (`roster_api::routes::ROUTES`), so a test
//! never names which Lambda serves a route. `h.call(method, path, token,
//! body)` is the short form of the common case.
//!
//! Only tests of what a function does with a request it does not serve (404,
//! 405) name the function, with `send_to_function`.

use super::Harness;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::http::HeaderMap;
use lambda_http::http::Request as HttpRequest;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use roster_api::routes::ROUTES;
use roster_api::Function;
use serde_json::Value;

/// A function's answer: status, headers and the body parsed as JSON (a text
/// body that is not JSON is a JSON string, no body is `null`).
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The problem `code` of an error answer ("" when there is none).
    pub fn code(&self) -> String {
        super::s(&self.body["code"])
    }

    /// The `field` of the first of a 422's `errors` ("" when there is none).
    pub fn field(&self) -> String {
        super::s(&self.body["errors"][0]["field"])
    }
}

/// The function and route path (`/practices/{pid}`) that serve `method` on a
/// concrete path, from the route table: the method must match, and the path
/// segment by segment, a `{param}` segment matching any one segment; the
/// query string is not part of the path. Where two routes match, the one with
/// more literal segments wins (`/members/reactivate` over `/members/{uid}`);
/// two equally good matches are a defect of the table or of this matcher.
pub fn route_of(method: &str, path: &str) -> Option<(Function, &'static str)> {
    let path = path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut found: Vec<(usize, Function, &'static str)> = ROUTES
        .iter()
        .filter(|r| r.method.eq_ignore_ascii_case(method))
        .filter_map(|r| {
            let pattern: Vec<&str> = r.path.split('/').filter(|s| !s.is_empty()).collect();
            if pattern.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (p, s) in pattern.iter().zip(&segments) {
                if p.starts_with('{') && p.ends_with('}') {
                    continue;
                }
                if p != s {
                    return None;
                }
                literal += 1;
            }
            Some((literal, r.function, r.path))
        })
        .collect();
    found.sort_by_key(|(literal, _, _)| std::cmp::Reverse(*literal));
    if let [(a, _, first), (b, _, second), ..] = found[..] {
        assert!(a > b, "{method} {path} matches both {first} and {second}");
    }
    found.first().map(|(_, function, route)| (*function, *route))
}

/// A request being built; see the module documentation.
#[must_use = "a request does nothing until it is sent"]
pub struct Req<'h> {
    h: &'h Harness,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Body,
    /// API Gateway's request id, as the gateway would hand it over.
    request_id: Option<String>,
}

impl Harness {
    /// Start a request: `h.req("POST", "/practices").token(&t).json(body).send().await`.
    pub fn req(&self, method: &str, path: &str) -> Req<'_> {
        Req {
            h: self,
            method: method.to_string(),
            path: path.to_string(),
            headers: Vec::new(),
            body: Body::Empty,
            request_id: None,
        }
    }

    /// `method path` with an optional session and JSON body, sent to the
    /// function the route table names.
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut req = self.req(method, path);
        if let Some(t) = token {
            req = req.token(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await
    }
}

impl<'h> Req<'h> {
    /// `Authorization: Bearer {token}`.
    pub fn token(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// A JSON body, with `Content-Type: application/json`.
    pub fn json(self, body: Value) -> Self {
        self.header("content-type", "application/json").body(Body::from(body.to_string()))
    }

    /// Any body, as it is (no Content-Type added).
    pub fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The request as API Gateway would hand it over with this id.
    pub fn request_id(mut self, id: &str) -> Self {
        self.request_id = Some(id.to_string());
        self
    }

    /// `If-Match: "{version}"` (R18).
    pub fn if_match(self, version: u64) -> Self {
        self.header("if-match", &format!("\"{version}\""))
    }

    fn build(self) -> (&'h Harness, Request) {
        let mut b =
            HttpRequest::builder().method(self.method.as_str()).uri(format!("https://api.roster.test{}", self.path));
        for (name, value) in &self.headers {
            b = b.header(name.as_str(), value.as_str());
        }
        let req: Request = b.body(self.body).expect("request");
        let req = match self.request_id {
            Some(id) => {
                let mut context = ApiGatewayV2httpRequestContext::default();
                context.request_id = Some(id);
                req.with_request_context(RequestContext::ApiGatewayV2(context))
            }
            None => req,
        };
        (self.h, req)
    }

    /// Send to the function the route table names for this method and path.
    pub async fn send(self) -> Reply {
        let Some((function, _)) = route_of(&self.method, &self.path) else {
            panic!(
                "no route for {} {} in roster_api::routes::ROUTES (a test of an unserved request uses send_to_function)",
                self.method, self.path
            )
        };
        let (h, req) = self.build();
        h.handle(function, req).await
    }

    /// Send to `function` whatever the route table says: only for tests of
    /// what a function does with a request it does not serve (404, 405).
    pub async fn send_to_function(self, function: Function) -> Reply {
        let (h, req) = self.build();
        h.handle(function, req).await
    }
}

impl Harness {
    /// Hand `req` to `function`'s handler, then its outbox to the delivery
    /// function through the stream (`deliver`); any 5xx fails the test.
    pub async fn handle(&self, function: Function, req: Request) -> Reply {
        let resp = self.attributed(function, roster_api::handle(&self.app, function, req)).await;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = match resp.body() {
            Body::Text(t) => serde_json::from_str(t).unwrap_or(Value::String(t.clone())),
            Body::Binary(b) => serde_json::from_slice(b).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        assert!(status < 500, "a request got {status}: {body}");
        self.deliver().await;
        Reply { status, headers, body }
    }
}
