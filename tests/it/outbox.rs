//! R33, R42: mail and events ride in the change's transaction and are
//! delivered after commit, from the table's stream (tests/it/delivery.rs);
//! what fails to deliver stays in the outbox for the sweep, which retries it
//! with backoff until it is delivered or dead.

use crate::common::Harness;
use chrono::{DateTime, Duration, Utc};
use roster_adapters::local_dir::DirMailer;
use roster_domain::error::PortError;
use roster_domain::ids::EventId;
use roster_domain::model::{DomainEvent, Mail, OutboxItem, OutboxPayload};
use roster_domain::ports::{Mailer, Record, Tx, Write};
use roster_domain::service::outbox::{backoff, MAX_ATTEMPTS};
use serde_json::json;
use std::sync::Arc;

/// Where the mail service refuses every mail, every time.
const REFUSED: &str = "@refused.example";

/// A mail port that refuses, on command, every mail to a `REFUSED` address
/// and hands the rest to the real one. Moto cannot refuse, so this double
/// is the one way to make a delivery fail for some items and not others.
struct RefusingMailer(Arc<dyn Mailer>);

#[async_trait::async_trait]
impl Mailer for RefusingMailer {
    async fn send(&self, mail: &Mail) -> Result<(), PortError> {
        if mail.to.ends_with(REFUSED) {
            return Err(PortError::Backend(format!("mail service refuses {}", mail.to)));
        }
        self.0.send(mail).await
    }
}

fn refuse_some(h: &mut Harness) {
    h.out.mailer = Arc::new(RefusingMailer(h.out.mailer.clone()));
}

fn mail_item(to: &str, created_at: DateTime<Utc>) -> OutboxItem {
    let mail = Mail {
        to: to.into(),
        subject: "Your account is locked".into(),
        text: "locked".into(),
        html: "<p>locked</p>".into(),
        template: "account_locked".into(),
    };
    OutboxItem::new(EventId::new(), created_at, OutboxPayload::Mail(mail))
}

fn event_item(detail_type: &str, at: DateTime<Utc>) -> OutboxItem {
    let id = EventId::new();
    OutboxItem::new(
        id,
        at,
        OutboxPayload::Event(DomainEvent { id, detail_type: detail_type.into(), at, detail: json!({}) }),
    )
}

/// Write outbox items straight through the store, a transaction per 100.
async fn seed(h: &Harness, items: Vec<OutboxItem>) {
    for chunk in items.chunks(100) {
        let mut tx = Tx::new();
        for item in chunk {
            tx.push(Write::Create(Record::Outbox(item.clone())));
        }
        h.app.store.transact(tx).await.expect("seed outbox");
    }
}

/// The one live item in the outbox.
async fn only_pending(h: &Harness) -> OutboxItem {
    let mut pending = h.app.store.pending_outbox(10).await.expect("outbox");
    assert_eq!(pending.len(), 1, "{pending:?}");
    pending.remove(0)
}

/// The real directory mailer, pointed at a path that is a file: every send fails.
pub fn failing_mailer(h: &Harness) -> Arc<DirMailer> {
    std::fs::create_dir_all(&h.dir).expect("dir");
    let blocker = h.dir.join("not-a-dir");
    std::fs::write(&blocker, b"x").expect("file");
    Arc::new(DirMailer::new(blocker, h.clock.clone()))
}

#[tokio::test]
async fn a_failed_delivery_stays_in_the_outbox_and_the_change_stands() {
    let mut h = Harness::new().await;
    h.out.mailer = failing_mailer(&h);

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
    let working = h.out.mailer.clone();
    h.out.mailer = failing_mailer(&h);
    h.signup("later@clinic.example").await;
    assert!(h.mails().is_empty());

    h.out.mailer = working;
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

// R42: a head of mails the mail service always refuses no longer starves
// what comes after it: the sweep pages through everything due.
#[tokio::test]
async fn refused_mails_at_the_head_do_not_starve_newer_items() {
    let mut h = Harness::new().await;
    refuse_some(&mut h);
    let now = h.app.now();
    let old = now - Duration::hours(2);
    let head: Vec<_> = (0..1200).map(|i| mail_item(&format!("m{i}{REFUSED}"), old)).collect();
    seed(&h, head).await;
    seed(
        &h,
        vec![
            event_item("SeatAdded", now - Duration::minutes(10)),
            mail_item("locked@clinic.example", now - Duration::minutes(10)),
        ],
    )
    .await;

    let swept = h.sweep_at(now).await;
    assert_eq!((swept.outbox_delivered, swept.outbox_failed, swept.outbox_dead), (2, 1200, 0), "{swept:?}");
    assert_eq!(h.events_of("SeatAdded").len(), 1);
    assert_eq!(h.mails_to("locked@clinic.example", "account_locked").len(), 1);
    // What failed waits for its backoff: the same run again finds nothing due.
    let again = h.sweep_at(now).await;
    assert_eq!((again.outbox_delivered, again.outbox_failed, again.outbox_dead), (0, 0, 0), "{again:?}");
}

// R42: a failed item is not retried before its backoff is over, and is after.
#[tokio::test]
async fn a_failed_item_waits_out_its_backoff() {
    let mut h = Harness::new().await;
    let working = h.out.mailer.clone();
    refuse_some(&mut h);
    let now = h.app.now();
    seed(&h, vec![mail_item(&format!("late{REFUSED}"), now - Duration::minutes(5))]).await;

    assert_eq!(h.sweep_at(now).await.outbox_failed, 1);
    let first = only_pending(&h).await;
    assert_eq!((first.attempts, first.due_at()), (1, now + Duration::minutes(1)));
    let early = h.sweep_on_time(now + Duration::seconds(59)).await;
    assert_eq!((early.outbox_delivered, early.outbox_failed), (0, 0), "not before its time: {early:?}");
    let t1 = now + Duration::minutes(1);
    assert_eq!(h.sweep_on_time(t1).await.outbox_failed, 1, "retried when due");
    let second = only_pending(&h).await;
    assert_eq!((second.attempts, second.due_at()), (2, t1 + Duration::minutes(2)), "the wait doubles");
    assert_eq!(h.sweep_on_time(t1 + Duration::seconds(119)).await.outbox_failed, 0);

    h.out.mailer = working;
    let later = h.sweep_on_time(t1 + Duration::minutes(2)).await;
    assert_eq!((later.outbox_delivered, later.outbox_failed), (1, 0), "{later:?}");
    assert_eq!(h.mails_to(&format!("late{REFUSED}"), "account_locked").len(), 1);
    assert!(h.app.store.pending_outbox(10).await.expect("outbox").is_empty());
}

// R42: the 10th failure makes the item dead: counted once, kept for an
// operator, never tried again.
#[tokio::test]
async fn the_tenth_failure_makes_an_item_dead() {
    let mut h = Harness::new().await;
    let working = h.out.mailer.clone();
    refuse_some(&mut h);
    let now = h.app.now();
    seed(&h, vec![mail_item(&format!("never{REFUSED}"), now - Duration::minutes(5))]).await;

    let mut at = now;
    for n in 1..MAX_ATTEMPTS {
        let s = h.sweep_on_time(at).await;
        assert_eq!((s.outbox_failed, s.outbox_dead), (1, 0), "attempt {n}: {s:?}");
        let item = only_pending(&h).await;
        assert_eq!(item.attempts, n);
        assert_eq!(item.due_at(), at + backoff(n));
        at = item.due_at();
    }
    let last = h.sweep_on_time(at).await;
    assert_eq!((last.outbox_delivered, last.outbox_failed, last.outbox_dead), (0, 0, 1), "{last:?}");
    assert!(h.app.store.pending_outbox(10).await.expect("outbox").is_empty());
    let dead = h.app.store.dead_outbox(10).await.expect("dead outbox");
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!((dead[0].attempts, dead[0].dead_at), (MAX_ATTEMPTS, Some(at)));

    // Even once the mail service would take it, a dead item stays dead.
    h.out.mailer = working;
    for later in [at, at + Duration::hours(7), at + Duration::days(30)] {
        let s = h.sweep_at(later).await;
        assert_eq!((s.outbox_delivered, s.outbox_failed, s.outbox_dead), (0, 0, 0), "{s:?}");
    }
    assert!(h.mails().is_empty());
    assert_eq!(h.app.store.dead_outbox(10).await.expect("dead outbox").len(), 1);
}

// R42: a delivery that fails right after the commit never turns the change
// into an error answer; the mail waits a minute for the sweep.
#[tokio::test]
async fn a_refused_mail_during_a_request_still_answers_success() {
    let mut h = Harness::new().await;
    let (_, director, pid) = h.director("dr@clinic.example", "Refusals Clinic").await;
    refuse_some(&mut h);
    let now = h.app.now();

    let r = h.invite(&director, &pid, &format!("new{REFUSED}")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let listed = h.call("GET", &format!("/practices/{pid}/invitations"), Some(&director), None).await;
    assert_eq!(listed.status, 200);
    let emails: Vec<_> = listed.body["items"].as_array().into_iter().flatten().map(|i| i["email"].clone()).collect();
    assert!(emails.contains(&json!(format!("new{REFUSED}"))), "the invitation is stored: {emails:?}");
    assert_eq!(h.events_of("InvitationCreated").len(), 1, "the event of the same change went out");

    let item = only_pending(&h).await;
    assert!(matches!(&item.payload, OutboxPayload::Mail(m) if m.to == format!("new{REFUSED}")), "{item:?}");
    assert_eq!((item.attempts, item.dead_at), (1, None));
    assert_eq!(item.due_at(), now + Duration::minutes(1));
}

// R42: the sweep's redelivery stops when its time is up; what it did not
// try stays due, untouched, for the next sweep.
#[tokio::test]
async fn redelivery_out_of_time_leaves_the_rest_for_the_next_sweep() {
    let h = Harness::new().await;
    let now = h.app.now();
    let old = now - Duration::minutes(5);
    let items: Vec<OutboxItem> = (0..3).map(|i| mail_item(&format!("late{i}@clinic.example"), old)).collect();
    seed(&h, items.clone()).await;
    let d = roster_domain::service::outbox::deliver_all(&h.app, &h.out, items, std::time::Duration::ZERO).await;
    assert_eq!((d.delivered, d.failed, d.left), (0, 0, 3));
    let pending = h.app.store.pending_outbox(10).await.expect("outbox");
    assert_eq!(pending.len(), 3);
    assert!(pending.iter().all(|i| i.attempts == 0), "not counted as failures");
    let swept = h.sweep_at(now).await;
    assert_eq!(swept.outbox_delivered, 3, "{swept:?}");
    assert_eq!(h.mails().len(), 3);
}
