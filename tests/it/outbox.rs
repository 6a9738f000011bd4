//! R33: mail and events ride in the change's transaction and are delivered
//! after commit; what fails to deliver stays in the outbox for the sweep.

use crate::common::Harness;
use roster_adapters::local_dir::DirMailer;
use roster_domain::model::OutboxPayload;
use serde_json::json;
use std::sync::Arc;

/// The real directory mailer, pointed at a path that is a file: every send fails.
fn failing_mailer(h: &Harness) -> Arc<DirMailer> {
    std::fs::create_dir_all(&h.dir).expect("dir");
    let blocker = h.dir.join("not-a-dir");
    std::fs::write(&blocker, b"x").expect("file");
    Arc::new(DirMailer::new(blocker, h.clock.clone()))
}

#[tokio::test]
async fn a_failed_delivery_stays_in_the_outbox_and_the_change_stands() {
    let mut h = Harness::new().await;
    h.app.mailer = failing_mailer(&h);

    let r = h
        .call("POST", "/auth/signup", None, Some(json!({"email": "kept@clinic.example", "password": "correct horse battery", "first_name": "K", "last_name": "T"})))
        .await;
    assert_eq!(r.status, 201, "the change stands though its mail failed: {}", r.body);

    let pending = h.app.store.pending_outbox(10).await.expect("outbox");
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0].attempts, 1);
    match &pending[0].payload {
        OutboxPayload::Mail(m) => {
            assert_eq!(m.to, "kept@clinic.example");
            assert_eq!(m.template, "verify_email");
        }
        other => panic!("expected the mail, got {other:?}"),
    }
    // The event of the same change was delivered and left the outbox.
    assert!(h.events().iter().any(|e| e["detail_type"] == "UserSignedUp"));
}

// R33, R34: the sweep redelivers what failed, and a delivered item leaves the
// outbox so the next sweep sends nothing twice.
#[tokio::test]
async fn the_sweep_redelivers_failed_items() {
    let mut h = Harness::new().await;
    let working = h.app.mailer.clone();
    h.app.mailer = failing_mailer(&h);
    h.signup("later@clinic.example").await;
    assert!(h.mails().is_empty());

    h.app.mailer = working;
    let now = h.app.now();
    // Items younger than a minute may still be in their first delivery.
    let early = h.sweep_at(now).await;
    assert_eq!((early.outbox_delivered, early.outbox_failed), (0, 0));
    let swept = h.sweep_at(now + chrono::Duration::minutes(2)).await;
    assert_eq!((swept.outbox_delivered, swept.outbox_failed), (1, 0), "{swept:?}");
    let mails = h.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["template"], "verify_email");
    assert!(h.app.store.pending_outbox(10).await.expect("outbox").is_empty());
    let again = h.sweep_at(now + chrono::Duration::minutes(20)).await;
    assert_eq!(again.outbox_delivered, 0);
    assert_eq!(h.mails().len(), 1);
}
