//! Roster's HTTP layer, shared by every function: one typed route table,
//! request parsing, authentication and running the domain's gates, thin
//! handlers over the use cases, and problem+json errors. The same `handle`
//! runs under API Gateway, `cargo lambda watch` and the integration tests.

pub mod handlers;
pub mod http;
pub mod problem;
pub mod request;
pub mod response;
pub mod routes;
pub mod sweep;

pub use http::{handle, serve, MAX_BODY};
pub use routes::{Function, Op, ROUTES};

/// The logs every function writes: JSON lines for CloudWatch, filtered by
/// `filter`, to `writer` (stdout in a function; a buffer in the test that
/// reads them for secrets, R38).
pub fn log_subscriber<W>(filter: tracing_subscriber::EnvFilter, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_target(false)
        .without_time()
        .with_writer(writer)
        .finish()
}

/// JSON logs for CloudWatch, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing::subscriber::set_global_default(log_subscriber(filter, std::io::stdout));
}
