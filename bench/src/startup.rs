//! Start to first response: a function binary is spawned against a loopback
//! Lambda Runtime API served here, which hands it one event on its first
//! `GET .../invocation/next`; the time from spawn to its `POST
//! .../response` (or `.../error`) is the figure. The process is then
//! killed. Each run gets a listener of its own on a fresh port, and runs
//! are paused apart, so a killed process's pending poll can never take the
//! next run's event.

use crate::env::Error;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// One event to hand over, and the variables the process runs with.
pub struct Invocation<'a> {
    pub event: &'a serde_json::Value,
    pub env: &'a [(String, String)],
    /// A program that runs the binary (an emulator), or none.
    pub launcher: Option<&'a Path>,
}

/// What a run saw: the time to the answer, and the answer's HTTP status
/// (from an API Gateway response) or `error` (a Lambda error).
pub struct Run {
    pub elapsed: Duration,
    /// From the event handed over to the answer: the request alone, without
    /// the process's start and init.
    pub request: Duration,
    pub outcome: String,
}

/// Spawn `binary` (under `inv.launcher` if any), hand it `inv.event`, time
/// its answer.
pub fn once(binary: &Path, inv: &Invocation<'_>, timeout: Duration) -> Result<Run, Error> {
    let mut command = match inv.launcher {
        Some(launcher) => {
            let mut c = Command::new(launcher);
            c.arg(binary);
            c
        }
        None => Command::new(binary),
    };
    command.env_clear().envs(inv.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut runs = serve(command, inv.event, 1, timeout)?;
    runs.pop().ok_or_else(|| format!("{} gave no answer", binary.display()).into())
}

/// Spawn `command` (its environment set already: Lambda's is clean) against
/// a loopback Runtime API of its own and hand it `event` `count` times, one
/// after another; each answer's times. The process is then killed, and the
/// listener goes with its thread, so nothing of this run reaches the next.
pub fn serve(
    mut command: Command,
    event: &serde_json::Value,
    count: usize,
    timeout: Duration,
) -> Result<Vec<Run>, Error> {
    let server = tiny_http::Server::http("127.0.0.1:0")?;
    let port = server.server_addr().to_ip().map(|a| a.port()).ok_or("runtime API has no port")?;
    let event = event.to_string();
    let (tx, rx) = mpsc::channel::<(Instant, Instant, String)>();
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = stop.clone();
    // Serves until told to stop; polls after the last event are left
    // unanswered (a real runtime would hold them too).
    let serving = std::thread::spawn(move || {
        let mut held = Vec::new();
        let mut handed: Option<Instant> = None;
        let mut n = 0usize;
        while !stopping.load(Ordering::SeqCst) {
            let mut req = match server.recv_timeout(Duration::from_millis(20)) {
                Ok(Some(req)) => req,
                Ok(None) => continue,
                Err(_) => break,
            };
            let url = req.url().to_string();
            if url.ends_with("/invocation/next") {
                if n == count {
                    held.push(req);
                    continue;
                }
                n += 1;
                let id = format!("bench-{n:04}");
                let deadline = (epoch_ms() + 30_000).to_string();
                let mut resp = tiny_http::Response::from_string(event.clone());
                for (name, value) in [
                    ("Lambda-Runtime-Aws-Request-Id", id.as_str()),
                    ("Lambda-Runtime-Deadline-Ms", deadline.as_str()),
                    ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench"),
                    ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000"),
                    ("Content-Type", "application/json"),
                ] {
                    if let Ok(h) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                        resp.add_header(h);
                    }
                }
                handed = Some(Instant::now());
                let _ = req.respond(resp);
            } else {
                let at = Instant::now();
                let mut body = String::new();
                let _ = req.as_reader().read_to_string(&mut body);
                let outcome = if url.ends_with("/response") {
                    serde_json::from_str::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|v| v["statusCode"].as_u64())
                        .map_or_else(|| "ok".to_string(), |s| s.to_string())
                } else {
                    "error".to_string()
                };
                let _ = req.respond(tiny_http::Response::empty(202));
                let _ = tx.send((handed.unwrap_or(at), at, outcome));
            }
        }
        drop(held);
    });
    let started = Instant::now();
    let mut child = command
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let mut runs = Vec::new();
    let mut failure = None;
    for _ in 0..count {
        match rx.recv_timeout(timeout) {
            Ok((handed, at, outcome)) => {
                runs.push(Run { elapsed: at.duration_since(started), request: at.duration_since(handed), outcome })
            }
            Err(_) => {
                failure = Some(format!("{:?} gave no answer within {timeout:?}", command.get_program()));
                break;
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    stop.store(true, Ordering::SeqCst);
    let _ = serving.join();
    match failure {
        Some(f) => Err(f.into()),
        None => Ok(runs),
    }
}

pub fn epoch_ms() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or_default()
}

/// An API Gateway HTTP API (payload 2.0) event for `method path`.
pub fn http_event(method: &str, path: &str, token: Option<&str>) -> serde_json::Value {
    let mut headers = serde_json::json!({"host": "api.roster.bench", "user-agent": "roster-bench"});
    if let Some(t) = token {
        headers["authorization"] = format!("Bearer {t}").into();
    }
    serde_json::json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bench",
            "domainName": "api.roster.bench",
            "domainPrefix": "api",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "roster-bench"},
            "requestId": "bench-request",
            "routeKey": "$default",
            "stage": "$default",
            "time": "30/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1_795_000_000_000_u64
        },
        "isBase64Encoded": false
    })
}

/// The median of `xs` (sorted in place).
pub fn median(xs: &mut [Duration]) -> Duration {
    xs.sort();
    xs.get(xs.len() / 2).copied().unwrap_or_default()
}
