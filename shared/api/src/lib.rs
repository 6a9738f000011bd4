//! Roster's HTTP layer, shared by every function: one typed route table,
//! request parsing, authentication and running the domain's gates, thin
//! handlers over the use cases, and problem+json errors. The same `handle`
//! runs under API Gateway, `cargo lambda watch` and the integration tests.

pub mod csv_rows;
pub mod delivery;
pub mod handlers;
pub mod http;
pub mod mail_events;
pub mod metrics;
pub mod problem;
pub mod request;
pub mod response;
pub mod routes;
pub mod served;
pub mod sweep;

pub use http::{handle, serve, MAX_BODY};
pub use routes::{Function, Op, ROUTES};

use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;

/// The logs every function writes: JSON lines for CloudWatch, filtered by
/// `filter` (as `log_filter` gives it), to `writer` (stdout in a function; a
/// buffer in the test that reads them for secrets, R38).
pub fn log_subscriber<W>(filter: &str, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_current_span(false)
        .with_target(false)
        .without_time()
        .with_writer(writer)
        .finish()
        .with(targets(filter))
}

/// `RUST_LOG`'s directives of a target and a level (`info`,
/// `debug,hyper=warn`), read by tracing-subscriber's `Targets` rather than its
/// `EnvFilter`: the span and field filters only `EnvFilter` knows need the
/// regex engine, about a megabyte of every binary (issue 15 item 2), and no
/// one here filters on them. A filter that does not parse logs `info`.
fn targets(filter: &str) -> Targets {
    filter.parse().unwrap_or_else(|_| Targets::new().with_default(tracing::Level::INFO))
}

/// The log filter: `RUST_LOG` if set, else the level Lambda's logging
/// controls set (`AWS_LAMBDA_LOG_LEVEL`: TRACE, DEBUG, INFO, WARN, ERROR or
/// FATAL), else `info`.
pub fn log_filter(rust_log: Option<&str>, lambda_level: Option<&str>) -> String {
    if let Some(f) = rust_log.map(str::trim).filter(|f| !f.is_empty()) {
        return f.to_string();
    }
    match lambda_level.map(|l| l.trim().to_ascii_uppercase()).as_deref() {
        Some("TRACE") => "trace",
        Some("DEBUG") => "debug",
        Some("WARN") => "warn",
        Some("ERROR" | "FATAL") => "error",
        _ => "info",
    }
    .to_string()
}

/// Logs for CloudWatch, filtered by `log_filter`: JSON lines, or plain text
/// when Lambda's logging controls ask for it (`AWS_LAMBDA_LOG_FORMAT=Text`).
pub fn init_tracing() {
    let var = |name: &str| std::env::var(name).ok();
    let filter = log_filter(var("RUST_LOG").as_deref(), var("AWS_LAMBDA_LOG_LEVEL").as_deref());
    let text = var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("text"));
    let _ = if text {
        let plain = tracing_subscriber::fmt()
            .with_target(false)
            .without_time()
            .with_ansi(false)
            .with_writer(std::io::stdout)
            .finish()
            .with(targets(&filter));
        tracing::subscriber::set_global_default(plain)
    } else {
        tracing::subscriber::set_global_default(log_subscriber(&filter, std::io::stdout))
    };
}

#[cfg(test)]
mod tests {
    use super::log_filter;

    // Issue 14: Lambda's logging controls are honoured unless RUST_LOG says otherwise.
    #[test]
    fn the_log_level_comes_from_rust_log_then_lambda_then_info() {
        assert_eq!(log_filter(Some("debug,hyper=warn"), Some("ERROR")), "debug,hyper=warn");
        assert_eq!(log_filter(None, Some("WARN")), "warn");
        assert_eq!(log_filter(Some(" "), Some("fatal")), "error");
        assert_eq!(log_filter(None, Some("nonsense")), "info");
        assert_eq!(log_filter(None, None), "info");
    }
}
