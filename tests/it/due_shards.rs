//! Issue 15 item 5: the sweep's lists are spread over 16 index partitions
//! each (docs/design.md, "No hot key"). The sweep must find what is due in
//! every one of them in one run, oldest first across them, and leave alone
//! what is not yet due in any of them.

use crate::common::{Harness, DIRECTOR};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use roster_domain::ids::{EventId, InvitationId, PracticeId};
use roster_domain::model::{DomainEvent, EmailSlot, Invitation, OutboxItem, OutboxPayload};
use roster_domain::ports::{Record, Tx, Write};
use serde_json::json;

const SHARDS: usize = 16;
/// Enough that every shard holds some: 320 items leave one of 16 shards
/// empty about once in 10^8 runs.
const SPREAD: usize = 320;

/// How many items each shard of a list holds with a sort key at or before
/// `upto`, straight from the index.
async fn per_shard(h: &Harness, index: &str, list: &str, upto: DateTime<Utc>) -> Vec<usize> {
    let (pk, sk) = (format!("{index}PK"), format!("{index}SK"));
    let mut counts = Vec::new();
    for shard in 0..SHARDS {
        let out = h
            .client
            .query()
            .table_name(&h.table)
            .index_name(index)
            .key_condition_expression("#pk = :pk AND #sk <= :upto")
            .expression_attribute_names("#pk", &pk)
            .expression_attribute_names("#sk", &sk)
            .expression_attribute_values(":pk", AttributeValue::S(format!("{list}#{shard:02}")))
            .expression_attribute_values(":upto", AttributeValue::S(format!("{:015}#~", upto.timestamp_millis())))
            .send()
            .await
            .expect("query a shard");
        counts.push(out.count as usize);
    }
    counts
}

/// Write `records` straight through the store, 100 to a transaction.
async fn put(h: &Harness, records: Vec<Record>) {
    for chunk in records.chunks(100) {
        let mut tx = Tx::new();
        for r in chunk {
            tx.push(Write::Create(r.clone()));
        }
        h.app.store.transact(tx).await.expect("seed");
    }
}

/// `SPREAD` pending invitations expiring at `expires_at`, each with its
/// slot, copied from one the API made in a practice.
async fn invitations(h: &Harness, expires_at: DateTime<Utc>) -> String {
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let made = h.invite(&d, &pid, "first@clinic.example").await;
    assert_eq!(made.status, 201, "{}", made.body);
    let practice: PracticeId = pid.parse().expect("practice id");
    let iid: InvitationId = crate::common::s(&made.body["id"]).parse().expect("invitation id");
    let proto = h.app.store.invitation(practice, iid).await.expect("read").expect("the invitation");
    let mut records = Vec::new();
    for i in 0..SPREAD {
        let email = format!("spread{i}@clinic.example");
        let inv = Invitation {
            id: InvitationId::new(),
            email: email.clone(),
            email_norm: email,
            token_hash: format!("spread-token-{i}"),
            expires_at,
            ..proto.clone()
        };
        records.push(Record::Slot(EmailSlot::invitation(&inv)));
        records.push(Record::Invitation(inv));
    }
    put(h, records).await;
    pid
}

/// The status of every invitation stored in the practice, page after page.
async fn invitation_statuses(h: &Harness, pid: &str) -> Vec<String> {
    let mut statuses = Vec::new();
    let mut start = None;
    loop {
        let out = h
            .client
            .query()
            .table_name(&h.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :invite)")
            .expression_attribute_values(":pk", AttributeValue::S(format!("PRACTICE#{pid}")))
            .expression_attribute_values(":invite", AttributeValue::S("INVITE#".into()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("query the practice");
        for item in out.items.unwrap_or_default() {
            statuses.extend(item.get("status").and_then(|s| s.as_s().ok()).cloned());
        }
        start = out.last_evaluated_key;
        if start.is_none() {
            return statuses;
        }
    }
}

/// `SPREAD` events in the outbox, each tried once before, the `i`th due
/// again at `due + i` seconds.
async fn outbox(h: &Harness, due: DateTime<Utc>) -> Vec<OutboxItem> {
    let items: Vec<OutboxItem> = (0..SPREAD)
        .map(|i| {
            let (id, at) = (EventId::new(), due + Duration::seconds(i as i64));
            let event = DomainEvent { id, detail_type: "SpreadProbe".into(), at, detail: json!({"n": i}) };
            // Tried once and waiting out the backoff: the sweep's to deliver,
            // not the stream's (a new item the stream would send at once).
            OutboxItem {
                attempts: 1,
                next_attempt_at: Some(at),
                ..OutboxItem::new(id, at, OutboxPayload::Event(event))
            }
        })
        .collect();
    put(h, items.iter().cloned().map(Record::Outbox).collect()).await;
    items
}

// Every shard holds due invitations and due outbox items; one run expires
// and delivers them all, oldest first, and a second run changes nothing.
#[tokio::test]
async fn the_sweep_finds_what_is_due_in_every_shard() {
    let h = Harness::new().await;
    let now = h.app.now() + Duration::days(30);
    let pid = invitations(&h, now - Duration::hours(1)).await;
    let items = outbox(&h, now - Duration::hours(2)).await;
    let due_invitations = per_shard(&h, "GSI2", "DUE#INVITATION", now).await;
    let due_outbox = per_shard(&h, "GSI1", "OUTBOX", now).await;
    assert!(due_invitations.iter().all(|&n| n > 0), "every shard holds due invitations: {due_invitations:?}");
    assert!(due_outbox.iter().all(|&n| n > 0), "every shard holds due outbox items: {due_outbox:?}");

    // R42: the list reads as one, oldest due first, page after page.
    let mut paged: Vec<EventId> = Vec::new();
    let mut after: Option<OutboxItem> = None;
    loop {
        let page = h.app.store.due_outbox(now, after.as_ref(), 50).await.expect("due outbox");
        paged.extend(page.iter().map(|i| i.id));
        after = page.last().cloned();
        if page.len() < 50 {
            break;
        }
    }
    assert_eq!(paged, items.iter().map(|i| i.id).collect::<Vec<_>>());

    // On time: the outbox items its expiries write are stamped by the
    // clock, so not yet due in this run (the stream's to deliver).
    let swept = h.sweep_on_time(now).await;
    // The API's own invitation expires with the copies.
    assert_eq!(swept.invitations_expired, SPREAD + 1, "{swept:?}");
    assert_eq!(swept.outbox_delivered, SPREAD, "{swept:?}");
    assert!(per_shard(&h, "GSI2", "DUE#INVITATION", now).await.iter().all(|&n| n == 0));
    assert!(per_shard(&h, "GSI1", "OUTBOX", now).await.iter().all(|&n| n == 0));
    assert_eq!(h.events_of("SpreadProbe").len(), SPREAD);
    let statuses = invitation_statuses(&h, &pid).await;
    assert_eq!(statuses, vec!["expired".to_string(); SPREAD + 1]);

    let again = h.sweep_at(now).await;
    assert_eq!((again.invitations_expired, again.outbox_delivered), (0, 0), "{again:?}");
    assert_eq!(h.events_of("SpreadProbe").len(), SPREAD);
}

// Every shard holds invitations and outbox items not yet due: the sweep
// leaves each where it is, and takes them all once they fall due.
#[tokio::test]
async fn what_is_not_yet_due_is_left_in_every_shard() {
    let h = Harness::new().await;
    // Before the API's own invitation (a week) is due, even a day on.
    let now = h.app.now() + Duration::days(1);
    invitations(&h, now + Duration::hours(1)).await;
    let items = outbox(&h, now + Duration::minutes(30)).await;
    let later = now + Duration::days(1);
    let waiting_invitations = per_shard(&h, "GSI2", "DUE#INVITATION", later).await;
    let waiting_outbox = per_shard(&h, "GSI1", "OUTBOX", later).await;
    assert!(waiting_invitations.iter().all(|&n| n > 0), "{waiting_invitations:?}");
    assert!(waiting_outbox.iter().all(|&n| n > 0), "{waiting_outbox:?}");

    let swept = h.sweep_at(now).await;
    assert_eq!((swept.invitations_expired, swept.outbox_delivered, swept.outbox_failed), (0, 0, 0), "{swept:?}");
    assert_eq!(per_shard(&h, "GSI2", "DUE#INVITATION", later).await, waiting_invitations);
    assert_eq!(per_shard(&h, "GSI1", "OUTBOX", later).await, waiting_outbox);
    assert!(h.events_of("SpreadProbe").is_empty());
    // The whole list still reads as one, soonest due first.
    let pending = h.app.store.pending_outbox(40).await.expect("outbox");
    let ids: Vec<EventId> = pending.iter().map(|i| i.id).collect();
    assert_eq!(ids, items.iter().take(40).map(|i| i.id).collect::<Vec<_>>());

    let swept = h.sweep_on_time(later).await;
    assert_eq!((swept.invitations_expired, swept.outbox_delivered), (SPREAD, SPREAD), "{swept:?}");
}
