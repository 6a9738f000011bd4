//! R33: mail and events ride in the change's transaction and are delivered
//! after commit; what fails to deliver stays in the outbox for the sweep.

mod common;

use common::Harness;
use roster_adapters::local_dir::DirMailer;
use roster_domain::model::OutboxPayload;
use serde_json::json;
use std::sync::Arc;

#[tokio::test]
async fn a_failed_delivery_stays_in_the_outbox_and_the_change_stands() {
    let mut h = Harness::new().await;
    // The real directory mailer, pointed at a path that is a file: every send fails.
    std::fs::create_dir_all(&h.dir).expect("dir");
    let blocker = h.dir.join("not-a-dir");
    std::fs::write(&blocker, b"x").expect("file");
    h.app.mailer = Arc::new(DirMailer::new(blocker, h.clock.clone()));

    let r = h
        .auth("POST", "/auth/signup", None, Some(json!({"email": "kept@clinic.example", "password": "correct horse battery", "first_name": "K", "last_name": "T"})))
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
