//! R52: a 500-row bulk invitation end to end through the invite function's
//! handler against DynamoDB Local, as JSON rows and as the same CSV (role
//! and location by name), each into a practice of its own: wall time,
//! DynamoDB calls, the answer's size. Rows run one after another, one batch
//! read and one transaction each, so the time is the figure to hold against
//! the invite function's `Timeout` (infra/template.yaml) and API Gateway's
//! 30 s integration limit.

use crate::env::{Env, Error};
use crate::record::Recorder;
use lambda_http::http::Request as HttpRequest;
use lambda_http::{Body, Request};
use roster_api::Function;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub struct Figures {
    pub name: String,
    pub rows: usize,
    pub created: usize,
    pub time: Duration,
    pub calls: usize,
    pub answer_bytes: usize,
}

async fn send(env: &Env, pid: &str, token: &str, content_type: &str, body: String) -> Result<(Value, usize), Error> {
    let req: Request = HttpRequest::builder()
        .method("POST")
        .uri(format!("https://api.roster.bench/practices/{pid}/invitations/bulk"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .header("idempotency-key", format!("bench-{pid}"))
        .body(Body::from(body))?;
    let resp = roster_api::handle(&env.app, Function::Invite, req).await;
    let bytes = match resp.body() {
        Body::Text(t) => t.as_bytes().to_vec(),
        Body::Binary(b) => b.clone(),
        _ => Vec::new(),
    };
    if resp.status() != 200 {
        return Err(format!("bulk answered {}: {}", resp.status(), String::from_utf8_lossy(&bytes)).into());
    }
    Ok((serde_json::from_slice(&bytes)?, bytes.len()))
}

/// One request of `rows` rows into a new practice, in an `Env` of its own:
/// the first run's 500 outbox mails would hold up the next director's
/// verification mail.
pub async fn measure(env: &Env, rows: usize, csv: bool) -> Result<Figures, Error> {
    let name = if csv { "CSV by name" } else { "JSON rows by id" };
    let (d, pid, lid) = env.director(&format!("bulk-{}@clinic.bench", name.replace(" ", "-").to_lowercase())).await?;
    let (content_type, body) = match csv {
        true => {
            let mut text = String::from("email,first_name,last_name,kind,role_id,primary_location_id\r\n");
            for i in 0..rows {
                text.push_str(&format!("person-{i}@mail.bench,\"Pat, {i}\",Doe,staff,Front desk,Main St\r\n"));
            }
            ("text/csv", text)
        }
        false => {
            let rows: Vec<Value> = (0..rows)
                .map(|i| {
                    json!({"email": format!("person-{i}@mail.bench"), "first_name": "Pat", "last_name": "Doe",
                    "kind": "staff", "role_id": "front_desk", "primary_location_id": lid})
                })
                .collect();
            ("application/json", json!({ "rows": rows }).to_string())
        }
    };
    let started = Instant::now();
    let (answer, calls) = Recorder::scope(send(env, &pid, &d, content_type, body)).await;
    let time = started.elapsed();
    let (answer, answer_bytes) = answer?;
    let results = answer["results"].as_array().cloned().unwrap_or_default();
    let created = results.iter().filter(|r| r["status"] == 201).count();
    Ok(Figures { name: name.to_string(), rows, created, time, calls: calls.len(), answer_bytes })
}
