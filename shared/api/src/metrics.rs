//! Where the domain's metrics (`roster_domain::metrics`) go in a function:
//! CloudWatch's embedded metric format, one JSON document per line on
//! stdout after each invocation, which CloudWatch Logs turns into metrics in
//! the `Roster` namespace with one dimension, the stack's name (so two
//! stacks in one account stay apart, and an alarm names exactly one).

use metrics_cloudwatch_embedded::Builder;
pub use metrics_cloudwatch_embedded::Collector;

/// The CloudWatch namespace of every Roster metric.
pub const NAMESPACE: &str = "Roster";
/// The one dimension, set from `ROSTER_STACK` (the template sets it to the
/// stack's name; `local` elsewhere).
pub const STACK_DIMENSION: &str = "Stack";

/// Install the recorder for this process. `None` if one is installed
/// already (a second call, or a test that installed its own): metrics then
/// go there, and a function still serves.
pub fn init() -> Option<&'static Collector> {
    let stack = std::env::var("ROSTER_STACK").ok().filter(|s| !s.trim().is_empty());
    let collector = Builder::new()
        .cloudwatch_namespace(NAMESPACE)
        .with_dimension(STACK_DIMENSION, stack.unwrap_or_else(|| "local".into()))
        .init();
    match collector {
        Ok(c) => {
            roster_domain::metrics::describe();
            Some(c)
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics recorder not installed");
            None
        }
    }
}

/// Write what was counted since the last flush to `out` (stdout in a
/// function), and start counting afresh.
pub fn flush(collector: Option<&Collector>, out: impl std::io::Write) {
    if let Some(c) = collector {
        if let Err(e) = c.flush(out) {
            tracing::warn!(error = %e, "metrics not written");
        }
    }
}
