//! The sweep against a Scan, at 1% due: a table of `items` items in which
//! `items / 100` pending invitations are past their expiry and the rest
//! are pending invitations that are not. Two invitations are made through
//! the API (one due at the sweep's date, one not); every other is a copy of
//! one of them, its id and address changed, put with BatchWriteItem. Read
//! units are DynamoDB's own count (`ReturnConsumedCapacity`).
//!
//! Before that, the same table swept at a date when nothing is due: what a
//! run costs that finds nothing, which is one Query per shard of each list
//! the sweep reads (issue 15 item 5). Run at two table sizes, the figures
//! show the cost following the items due and not the table.

use crate::env::{Env, Error, Item};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use chrono::Duration;
use roster_adapters::dynamo::keys::{time_key, GSI2PK, GSI2SK, TYPE};
use std::time::Instant;

/// The lists a sweep run reads: invitations, support grants, onboarding
/// mails, the outbox.
pub const LISTS: usize = 4;

pub struct Figures {
    pub items: usize,
    /// The run at a date when nothing is due: its read units and Queries.
    pub idle_rcu: f64,
    pub idle_queries: usize,
    pub due: usize,
    pub expired: usize,
    pub runs: usize,
    pub sweep_rcu: f64,
    pub sweep_wcu: f64,
    pub sweep_time: std::time::Duration,
    /// Every call the runs made, by operation ("170 Query, 1000
    /// TransactWriteItems"): what the time row's time was spent on.
    pub sweep_calls: String,
    pub scan_rcu: f64,
    pub scan_time: std::time::Duration,
    pub scan_found: usize,
}

/// `v` with every `from` in its strings turned into `to`.
fn replaced(v: &AttributeValue, swaps: &[(String, String)]) -> AttributeValue {
    match v {
        AttributeValue::S(s) => {
            AttributeValue::S(swaps.iter().fold(s.clone(), |acc, (from, to)| acc.replace(from, to)))
        }
        AttributeValue::M(m) => AttributeValue::M(m.iter().map(|(k, v)| (k.clone(), replaced(v, swaps))).collect()),
        AttributeValue::L(l) => AttributeValue::L(l.iter().map(|v| replaced(v, swaps)).collect()),
        other => other.clone(),
    }
}

/// The invitation's own item and its slot's, as the API stored them.
fn prototype(all: &[Item], id: &str) -> Vec<Item> {
    all.iter()
        .filter(|item| {
            let kind = item.get(TYPE).and_then(|v| v.as_s().ok()).map(String::as_str);
            matches!(kind, Some("invitation" | "slot")) && format!("{item:?}").contains(id)
        })
        .cloned()
        .collect()
}

/// `count` copies of `proto`, invitation `id` and address `email` swapped.
fn copies(proto: &[Item], id: &str, email: &str, count: usize, tag: &str) -> Vec<Item> {
    (0..count)
        .flat_map(|i| {
            let swaps = vec![
                (id.to_string(), uuid::Uuid::now_v7().to_string()),
                (email.to_string(), format!("{tag}-{i}@mail.bench")),
            ];
            proto.iter().map(move |item| item.iter().map(|(k, v)| (k.clone(), replaced(v, &swaps))).collect())
        })
        .collect()
}

pub async fn run(env: &Env, items: usize) -> Result<Figures, Error> {
    let (d, pid, lid) = env.director("sweep-director@clinic.bench").await?;
    let invite = |email: &str| serde_json::json!({"email": email, "kind": "staff", "role_id": "front_desk", "primary_location_id": lid});
    let path = format!("/practices/{pid}/invitations");
    let due_id = crate::scenario::s(&env.ok("POST", &path, Some(&d), Some(invite("due@mail.bench"))).await?["id"]);
    env.clock.advance(Duration::days(60));
    // Sessions last hours: sign in again, two months on.
    let login = serde_json::json!({"email": "sweep-director@clinic.bench", "password": crate::scenario::PASSWORD});
    let d = crate::scenario::s(&env.ok("POST", "/auth/login", None, Some(login)).await?["session"]["token"]);
    let later_id = crate::scenario::s(&env.ok("POST", &path, Some(&d), Some(invite("later@mail.bench"))).await?["id"]);
    let all = env.all_items().await?;
    let (due_proto, later_proto) = (prototype(&all, &due_id), prototype(&all, &later_id));
    if due_proto.is_empty() || later_proto.is_empty() {
        return Err("the prototype invitations were not found in the table".into());
    }
    let due = items / 100;
    let later = items.saturating_sub(all.len() + due.saturating_sub(1) * due_proto.len()).div_ceil(later_proto.len());
    let mut load = copies(&due_proto, &due_id, "due@mail.bench", due.saturating_sub(1), "due");
    load.extend(copies(&later_proto, &later_id, "later@mail.bench", later, "later"));
    env.load(load, 8).await?;
    let total = all.len() + (due.saturating_sub(1)) * due_proto.len() + later * later_proto.len();
    // Between the two: the first invitation (and its copies) expired, the
    // second not (invitations last days, not weeks).
    let now = env.app.now() - Duration::days(30);

    // A day after the first invitation was made, nothing is due yet.
    env.taps.log.take();
    env.taps.capacity.start();
    let idle = sweep(env, now - Duration::days(29)).await?;
    let (idle_rcu, _) = env.taps.capacity.stop();
    let idle_queries = env.taps.log.take().iter().filter(|c| c.operation == "Query").count();
    if idle.invitations_expired != 0 {
        return Err(format!("the sweep at a date with nothing due expired {}", idle.invitations_expired).into());
    }

    env.taps.capacity.start();
    let started = Instant::now();
    let (mut scan_found, mut start) = (0, None::<Item>);
    loop {
        let page = env
            .client
            .scan()
            .table_name(&env.table)
            // Every shard of the list: `DUE#INVITATION#00` to `#15`.
            .filter_expression("begins_with(#pk, :due) AND #sk <= :now")
            .expression_attribute_names("#pk", GSI2PK)
            .expression_attribute_names("#sk", GSI2SK)
            .expression_attribute_values(":due", AttributeValue::S("DUE#INVITATION#".into()))
            .expression_attribute_values(":now", AttributeValue::S(format!("{}#~", time_key(now))))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .set_exclusive_start_key(start.take())
            .send()
            .await?;
        scan_found += page.items.map_or(0, |i| i.len());
        match page.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => break,
        }
    }
    let scan_time = started.elapsed();
    let (scan_rcu, _) = env.taps.capacity.stop();

    env.taps.log.take();
    env.taps.capacity.start();
    let started = Instant::now();
    let (mut expired, mut runs) = (0, 0);
    // A run stops at its time budget; the schedule's next run goes on.
    loop {
        let summary = sweep(env, now).await?;
        runs += 1;
        expired += summary.invitations_expired;
        if summary.invitations_expired == 0 || runs >= 20 {
            break;
        }
    }
    let sweep_time = started.elapsed();
    let (sweep_rcu, sweep_wcu) = env.taps.capacity.stop();
    let calls = env.taps.log.take();
    let mut by_operation = std::collections::BTreeMap::<&str, usize>::new();
    calls.iter().for_each(|c| *by_operation.entry(c.operation.as_str()).or_default() += 1);
    let sweep_calls = by_operation.iter().map(|(op, n)| format!("{n} {op}")).collect::<Vec<_>>().join(", ");
    Ok(Figures {
        items: total,
        idle_rcu,
        idle_queries,
        due,
        expired,
        runs,
        sweep_rcu,
        sweep_wcu,
        sweep_time,
        sweep_calls,
        scan_rcu,
        scan_time,
        scan_found,
    })
}

/// One run of the sweep as its schedule starts it, dated `now`.
async fn sweep(env: &Env, now: chrono::DateTime<chrono::Utc>) -> Result<roster_domain::service::sweep::Summary, Error> {
    let event = serde_json::from_value(serde_json::json!({
        "version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "123456789012", "time": now.to_rfc3339(), "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/roster-sweep"], "detail": {}
    }))?;
    Ok(roster_api::sweep::handle(&env.app, &env.out, event).await?)
}
