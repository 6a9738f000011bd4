//! Issue 14: the operational metrics, as CloudWatch reads them (embedded
//! metric format lines), and the alarms that watch them.

use crate::common::*;
use crate::security::{enable_totp, fresh_code, mfa_token, not, WRONG};
use roster_domain::clock::Clock;
use roster_domain::metrics::{Count, Timing};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// What the function writes after an invocation, summed by metric name,
/// after checking each line is an EMF document in Roster's namespace with
/// the stack dimension and the metric's unit.
fn flushed(collector: Option<&'static roster_api::metrics::Collector>) -> BTreeMap<String, f64> {
    let mut out = Vec::new();
    roster_api::metrics::flush(collector, &mut out);
    let mut sums = BTreeMap::new();
    for line in String::from_utf8(out).expect("utf-8").lines() {
        let doc: Value = serde_json::from_str(line).expect("one JSON document per line");
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], roster_api::metrics::NAMESPACE, "{doc}");
        assert_eq!(directive["Dimensions"], json!([[roster_api::metrics::STACK_DIMENSION]]), "{doc}");
        assert_eq!(doc[roster_api::metrics::STACK_DIMENSION], "local", "{doc}");
        for m in directive["Metrics"].as_array().expect("metrics") {
            let name = s(&m["Name"]);
            let unit = if Timing::ALL.iter().any(|t| t.name() == name) { "Milliseconds" } else { "Count" };
            assert_eq!(m["Unit"], unit, "{doc}");
            let value: f64 = match &doc[&name] {
                Value::Array(values) => values.iter().filter_map(Value::as_f64).sum(),
                v => v.as_f64().expect("a number"),
            };
            *sums.entry(name).or_insert(0.0) += value;
        }
    }
    sums
}

fn expect(sums: &BTreeMap<String, f64>, counts: &[(Count, f64)]) {
    let want: BTreeMap<String, f64> = counts.iter().map(|(c, n)| (c.name().to_string(), *n)).collect();
    assert_eq!(sums, &want);
}

#[tokio::test]
async fn sign_ins_locks_mfa_invitations_and_the_outbox_are_counted() {
    let collector = roster_api::metrics::init();
    assert!(collector.is_some(), "the recorder installs in a fresh process");
    let h = Harness::new().await;
    let (_, token, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let (_, _) = h.signup("locum@mail.example").await;
    flushed(collector); // what setting up counted

    // Four wrong passwords, an unknown email, then the fifth wrong one locks.
    for _ in 0..4 {
        assert_eq!(h.login_with("locum@mail.example", WRONG).await.status, 401);
    }
    assert_eq!(h.login_with("nobody@mail.example", WRONG).await.status, 401);
    assert_eq!(h.login_with("locum@mail.example", WRONG).await.status, 423);
    // The lock's mail and event were delivered right after its commit.
    expect(
        &flushed(collector),
        &[(Count::SignInFailures, 6.0), (Count::AccountLocks, 1.0), (Count::OutboxDelivered, 2.0)],
    );

    // A right password is a sign-in; an invitation is sent (its mail and event delivered).
    h.login(DIRECTOR).await;
    assert_eq!(h.invite(&token, &pid, "new@mail.example").await.status, 201);
    expect(&flushed(collector), &[(Count::SignIns, 1.0), (Count::InvitationsSent, 1.0), (Count::OutboxDelivered, 2.0)]);

    // The second step: a wrong code is an MFA failure, the right one a sign-in.
    let secret = enable_totp(&h, &token).await;
    flushed(collector);
    let mfa = mfa_token(&h, DIRECTOR, PASSWORD).await;
    let code = fresh_code(&h, &secret);
    let r = h.call("POST", "/auth/login/mfa", None, Some(json!({"mfa_token": mfa, "code": not(&code)}))).await;
    assert_eq!(r.status, 401, "{}", r.body);
    let r = h.call("POST", "/auth/login/mfa", None, Some(json!({"mfa_token": mfa, "code": code}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    expect(&flushed(collector), &[(Count::MfaFailures, 1.0), (Count::SignIns, 1.0)]);

    // An invitation whose mail bounces (the local transport bounces
    // `bounce*` addresses): the mark is counted, and the resend's mail is
    // withheld and counted.
    let r = h.invite(&token, &pid, "bounce.ana@mail.example").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let iid = s(&r.body["id"]);
    let r = h.call("POST", &format!("/practices/{pid}/invitations/{iid}/resend"), Some(&token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    expect(
        &flushed(collector),
        &[
            (Count::InvitationsSent, 2.0),
            (Count::MailBounces, 1.0),
            (Count::MailSkipped, 1.0),
            (Count::OutboxDelivered, 3.0),
        ],
    );
    h.call("DELETE", &format!("/practices/{pid}/invitations/{iid}"), Some(&token), None).await;
    flushed(collector);

    // The sweep, 8 days on: the invitation expires (its event delivered), and its duration is recorded.
    let summary = h.sweep_at(h.clock.now() + chrono::Duration::days(8)).await;
    assert_eq!(summary.invitations_expired, 1);
    let sums = flushed(collector);
    assert_eq!(sums.get(Count::InvitationsExpired.name()), Some(&1.0), "{sums:?}");
    assert!(sums.contains_key(Timing::SweepDuration.name()), "{sums:?}");
    // Nothing counted, nothing written: a quiet invocation adds no lines.
    assert!(flushed(collector).is_empty());
}

/// The alarms: every function's errors and throttles, and every alarm on
/// Roster's own namespace names a metric the code emits, with the stack's
/// dimension (a typo there is an alarm that never fires).
#[test]
fn alarms_watch_every_function_and_only_metrics_the_code_emits() {
    let template = repo_yaml("infra/template.yaml");
    let resources = template["Resources"].as_mapping().cloned().unwrap_or_default();
    let emitted: BTreeSet<&str> =
        Count::ALL.iter().map(|c| c.name()).chain(Timing::ALL.iter().map(|t| t.name())).collect();
    let yaml = |v: &serde_yaml::Value| serde_yaml::to_string(v).unwrap_or_default();
    let mut problems = Vec::new();
    let mut alarms = 0;
    for (id, r) in &resources {
        let id = id.as_str().unwrap_or_default();
        let p = &r["Properties"];
        match r["Type"].as_str() {
            Some("AWS::Serverless::Function") => {
                for metric in ["Errors", "Throttles"] {
                    let alarm = &resources.get(serde_yaml::Value::from(format!("{id}{metric}Alarm"))).cloned();
                    let ok = alarm.as_ref().is_some_and(|a| {
                        a["Properties"]["Namespace"] == "AWS/Lambda"
                            && a["Properties"]["MetricName"] == metric
                            && yaml(&a["Properties"]["Dimensions"]).contains(&format!("!Ref {id}"))
                    });
                    if !ok {
                        problems.push(format!("{id}: no {id}{metric}Alarm on AWS/Lambda {metric} of it"));
                    }
                }
            }
            Some("AWS::CloudWatch::Alarm") => {
                alarms += 1;
                if !yaml(&p["AlarmActions"]).contains("!Ref AlarmTopic") {
                    problems.push(format!("{id}: does not notify AlarmTopic"));
                }
                if p["Namespace"] == "Roster" {
                    let name = p["MetricName"].as_str().unwrap_or_default();
                    if !emitted.contains(name) {
                        problems.push(format!("{id}: Roster metric {name:?} is never emitted"));
                    }
                    if !yaml(&p["Dimensions"]).contains("Stack") || !yaml(&p["Dimensions"]).contains("AWS::StackName") {
                        problems.push(format!("{id}: not on the Stack dimension"));
                    }
                }
            }
            _ => {}
        }
    }
    assert!(alarms > 0, "no alarms at all");
    assert!(problems.is_empty(), "{problems:#?}");
}
