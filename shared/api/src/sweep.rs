//! The sweep's entry: an EventBridge scheduled event in, a summary out. What
//! is due is decided by the event's `time` (R34), so a replayed or
//! hand-dated event sweeps as of its own date; what the run writes is
//! stamped by the clock (`service::sweep` says why).

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use roster_domain::metrics::{self, Count, Timing};
use roster_domain::ports::{App, Outbound};
use roster_domain::service::sweep::{self, Summary};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// Without the event's time nothing says what is due; guessing it from
    /// the wall clock would hide a misconfigured schedule.
    #[error("the scheduled event has no time")]
    NoTime,
    #[error("sweep failed: {0}")]
    Domain(#[from] roster_domain::DomainError),
}

impl From<SweepError> for Diagnostic {
    fn from(e: SweepError) -> Self {
        let kind = match e {
            SweepError::NoTime => "NoTime",
            SweepError::Domain(_) => "SweepFailed",
        };
        Diagnostic { error_type: kind.into(), error_message: e.to_string() }
    }
}

pub async fn handle(
    app: &App,
    out: &Outbound,
    event: EventBridgeEvent<serde_json::Value>,
) -> Result<Summary, SweepError> {
    let due_by = event.time.ok_or(SweepError::NoTime)?;
    let started = std::time::Instant::now();
    let summary = sweep::run(app, out, due_by).await?;
    // The outbox counts itself as it delivers (in every function); these
    // are the sweep's own.
    metrics::timing(Timing::SweepDuration, started.elapsed());
    metrics::count(Count::InvitationsExpired, summary.invitations_expired);
    metrics::count(Count::SupportGrantsExpired, summary.support_grants_expired);
    metrics::count(Count::OnboardingSent, summary.onboarding_sent);
    tracing::info!(%due_by, ?summary, "sweep");
    Ok(summary)
}

pub async fn serve(app: App, out: Outbound) -> Result<(), lambda_runtime::Error> {
    let app = Arc::new(app);
    let out = Arc::new(out);
    let collector = crate::metrics::init();
    lambda_runtime::run(service_fn(move |event: LambdaEvent<EventBridgeEvent<serde_json::Value>>| {
        let (app, out) = (app.clone(), out.clone());
        async move {
            let result = handle(&app, &out, event.payload).await;
            crate::metrics::flush(collector, std::io::stdout().lock());
            result
        }
    }))
    .await
}
