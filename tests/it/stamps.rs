//! Issue 15 review: what the sweep writes is stamped by the clock, not by
//! its scheduled event's time, which only decides what is due (R34). A
//! late or retried event must not date an audit entry, an outbox item or a
//! delivery to when the schedule meant to run.

use crate::common::{scheduled_event, Harness, DIRECTOR, PASSWORD};
use chrono::{DateTime, Duration, Utc};
use roster_adapters::dynamo::stream::OUTBOX_KEY_PREFIX;
use roster_domain::ids::EventId;
use roster_domain::model::{DomainEvent, OutboxItem, OutboxPayload, OUTBOX_GRACE_SECONDS};
use roster_domain::ports::{Record, Tx, Write};
use serde_json::json;

#[tokio::test]
async fn a_late_sweep_stamps_what_it_writes_with_the_clock() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Clock Clinic").await;
    assert_eq!(h.invite(&d, &pid, "lapses@clinic.example").await.status, 201);
    assert_eq!(h.call("PUT", &format!("/practices/{pid}/support-access"), Some(&d), None).await.status, 200);
    assert_eq!(h.invite(&d, &pid, "joins@clinic.example").await.status, 201);
    let r = h.register(&h.invite_token_for("joins@clinic.example"), "Nia", "Okafor", PASSWORD).await;
    assert_eq!(r.status, 201, "{}", r.body);
    // An event whose delivery failed once and waits for the sweep.
    let id = EventId::new();
    let at = h.app.now();
    let event = DomainEvent { id, detail_type: "SeatAdded".into(), at, detail: json!({}) };
    let failed = OutboxItem {
        attempts: 1,
        next_attempt_at: Some(at + Duration::minutes(1)),
        ..OutboxItem::new(id, at, OutboxPayload::Event(event))
    };
    let mut tx = Tx::new();
    tx.push(Write::Create(Record::Outbox(failed)));
    h.app.store.transact(tx).await.expect("the failed item");

    h.clock.advance(Duration::days(8));
    let clock = h.app.now();
    // The schedule's event arrives an hour late: all the above is due by it.
    let due_by = clock - Duration::hours(1);
    let swept = roster_api::sweep::handle(&h.app, &h.out, scheduled_event(due_by)).await.expect("swept");
    let counts =
        (swept.invitations_expired, swept.support_grants_expired, swept.onboarding_sent, swept.outbox_delivered);
    assert_eq!(counts, (1, 1, 3, 1), "{swept:?}");

    // Every outbox item it wrote (two events, three onboarding mails).
    let written = h.app.store.pending_outbox(10).await.expect("outbox");
    assert_eq!(written.len(), 5, "{written:?}");
    for item in &written {
        assert_eq!(item.created_at, clock, "{item:?}");
        assert_eq!(item.due_at(), clock + Duration::seconds(OUTBOX_GRACE_SECONDS), "{item:?}");
        if let OutboxPayload::Event(e) = &item.payload {
            assert_eq!(e.at, clock, "{item:?}");
        }
    }
    // Its audit entries.
    let audit = h.partition(&format!("AUDIT#PRACTICE#{pid}")).await;
    for action in ["invitation.expired", "support_access.expired"] {
        let entry = audit.iter().find(|i| i["action"].as_s().is_ok_and(|a| a == action)).expect(action);
        let at: DateTime<Utc> = entry["at"].as_s().expect("at").parse().expect("a time");
        assert_eq!(at, clock, "{action}");
    }
    // The delivery it made.
    let stored = h.partition(&format!("{OUTBOX_KEY_PREFIX}{id}")).await;
    let delivered_at: DateTime<Utc> = stored[0]["delivered_at"].as_s().expect("delivered").parse().expect("a time");
    assert_eq!(delivered_at, clock);
}
