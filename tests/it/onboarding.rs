//! Onboarding mails (R44): a join schedules day 1, 3 and 7 in its own
//! transaction; the sweep (R34) sends each when due, exactly once, in pages,
//! and none once the membership is inactive or the practice turned them off.

use crate::common::{s, Harness, DIRECTOR};
use chrono::{DateTime, Duration, Utc};
use roster_domain::model::{Kind, MemberStatus, OnboardingMail};
use roster_domain::ports::{Record, Tx, Write};
use serde_json::{json, Value};

const TEMPLATES: [&str; 3] = ["onboarding_profile", "onboarding_two_factor", "onboarding_getting_started"];

/// The onboarding mails sent so far, oldest first, as (to, template).
fn onboarding_mails(h: &Harness) -> Vec<(String, String)> {
    h.mails()
        .into_iter()
        .filter(|m| TEMPLATES.contains(&m["template"].as_str().unwrap_or_default()))
        .map(|m| (s(&m["to"]), s(&m["template"])))
        .collect()
}

/// The scheduled onboarding items of a practice, straight from the table.
async fn scheduled(h: &Harness, pid: &str) -> Vec<String> {
    let mut sks: Vec<String> = h
        .partition(&format!("PRACTICE#{pid}"))
        .await
        .iter()
        .filter_map(|i| i.get("SK").and_then(|v| v.as_s().ok()).cloned())
        .filter(|sk| sk.starts_with("ONBOARDING#"))
        .collect();
    sks.sort();
    sks
}

/// Invite `email` and register them from the link; returns their user id.
async fn join_by_registering(h: &Harness, d: &str, pid: &str, email: &str) -> String {
    assert_eq!(h.invite(d, pid, email).await.status, 201);
    let r = h.register(&h.invite_token_for(email), "Nia", "Okafor", "a long enough secret").await;
    assert_eq!(r.status, 201, "{}", r.body);
    s(&r.body["user"]["id"])
}

async fn sweep(h: &Harness, at: DateTime<Utc>) -> usize {
    h.sweep_at(at).await.onboarding_sent
}

// R44, R34: register, then sweeps on day 1, 3 and 8 send the three mails in
// order, each exactly once; a second sweep at the same time sends nothing.
#[tokio::test]
async fn a_registered_member_gets_day_one_three_and_seven_once_each() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let t0 = h.app.now();
    let uid = join_by_registering(&h, &d, &pid, "nia@mail.example").await;
    assert_eq!(
        scheduled(&h, &pid).await,
        ["getting_started", "profile", "two_factor"].map(|step| format!("ONBOARDING#{uid}#{step}"))
    );
    assert_eq!(sweep(&h, t0 + Duration::hours(23)).await, 0, "nothing before day 1");

    let mut sent = Vec::new();
    for (day, template) in [(1, TEMPLATES[0]), (3, TEMPLATES[1]), (8, TEMPLATES[2])] {
        let at = t0 + Duration::days(day);
        let summary = h.sweep_at(at).await;
        assert_eq!(summary.onboarding_sent, 1, "day {day}: {summary:?}");
        assert_eq!(sweep(&h, at).await, 0, "day {day}, again: nothing more");
        sent.push(("nia@mail.example".to_string(), template.to_string()));
        assert_eq!(onboarding_mails(&h), sent, "day {day}");
    }
    assert!(scheduled(&h, &pid).await.is_empty(), "every item is gone once sent");
    assert_eq!(sweep(&h, t0 + Duration::days(9)).await, 0);

    // Each leads to its page, in the app, and names the practice.
    let mail = |template: &str| h.mails_to("nia@mail.example", template).pop().expect("mail");
    let links = [
        (TEMPLATES[0], "https://app.roster.test/account".to_string()),
        (TEMPLATES[1], "https://app.roster.test/account/security".to_string()),
        (TEMPLATES[2], format!("https://app.roster.test/practices/{pid}")),
    ];
    for (template, link) in links {
        let m = mail(template);
        assert!(s(&m["text"]).contains(&link), "{template}: {}", m["text"]);
        assert!(s(&m["html"]).contains(&format!("href=\"{link}\"")), "{template}: {}", m["html"]);
        assert!(s(&m["text"]).contains("Hello Nia,") && s(&m["text"]).contains("Harbour Clinic"), "{}", m["text"]);
    }
    assert_eq!(s(&mail(TEMPLATES[1])["subject"]), "Secure your Roster account with two-factor sign-in");
}

// R44: a sweep that comes late sends what is due in one run, in order; past
// the keep (30 days after its day) a mail is dropped unsent.
#[tokio::test]
async fn a_late_sweep_sends_in_order_and_a_stale_mail_is_dropped() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let t0 = h.app.now();
    join_by_registering(&h, &d, &pid, "nia@mail.example").await;
    join_by_registering(&h, &d, &pid, "leo@mail.example").await;

    let summary = h.sweep_at(t0 + Duration::days(8)).await;
    assert_eq!(summary.onboarding_sent, 6, "{summary:?}");
    let nia: Vec<String> =
        onboarding_mails(&h).into_iter().filter(|(to, _)| to == "nia@mail.example").map(|(_, t)| t).collect();
    assert_eq!(nia, TEMPLATES);

    let (_, d2, other) = h.director("other@clinic.example", "Other Clinic").await;
    let t1 = h.app.now();
    join_by_registering(&h, &d2, &other, "late@mail.example").await;
    // Day 1 plus 30 days is past the first mail's keep; the other two are
    // still within theirs.
    assert_eq!(sweep(&h, t1 + Duration::days(31)).await, 2);
    let late: Vec<String> =
        onboarding_mails(&h).into_iter().filter(|(to, _)| to == "late@mail.example").map(|(_, t)| t).collect();
    assert_eq!(late, &TEMPLATES[1..]);
    assert!(scheduled(&h, &other).await.is_empty());
}

// R44, R19: a member deactivated before day 3 gets the day-1 mail only; the
// rest are deleted unsent and not counted.
#[tokio::test]
async fn a_member_deactivated_before_day_three_gets_only_day_one() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let t0 = h.app.now();
    let uid = join_by_registering(&h, &d, &pid, "nia@mail.example").await;
    assert_eq!(sweep(&h, t0 + Duration::days(1)).await, 1);

    let off = h.call("POST", &format!("/practices/{pid}/members/{uid}/deactivate"), Some(&d), None).await;
    assert_eq!(off.status, 200, "{}", off.body);
    assert_eq!(sweep(&h, t0 + Duration::days(3)).await, 0);
    assert_eq!(scheduled(&h, &pid).await, [format!("ONBOARDING#{uid}#getting_started")]);
    assert_eq!(sweep(&h, t0 + Duration::days(8)).await, 0);
    assert_eq!(onboarding_mails(&h), [("nia@mail.example".to_string(), TEMPLATES[0].to_string())]);
    assert!(scheduled(&h, &pid).await.is_empty(), "dropped items are deleted");
}

// R43, R44: a practice with onboarding mails off sends none; turned on
// again, what is still due goes out.
#[tokio::test]
async fn a_practice_with_onboarding_off_sends_none() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let path = format!("/practices/{pid}/settings");
    let settings = |on: bool| {
        let body =
            json!({"default_roles": {"practitioner": "clinician", "staff": "front_desk"}, "onboarding_mails": on});
        h.call("PUT", &path, Some(&d), Some(body))
    };
    assert_eq!(settings(false).await.status, 200);
    let t0 = h.app.now();
    join_by_registering(&h, &d, &pid, "nia@mail.example").await;
    assert_eq!(scheduled(&h, &pid).await.len(), 3, "scheduled all the same: the switch decides when each is due");
    assert_eq!(sweep(&h, t0 + Duration::days(1)).await, 0);
    assert_eq!(sweep(&h, t0 + Duration::days(3)).await, 0);
    assert_eq!(scheduled(&h, &pid).await.len(), 1);

    assert_eq!(settings(true).await.status, 200);
    assert_eq!(sweep(&h, t0 + Duration::days(8)).await, 1);
    assert_eq!(onboarding_mails(&h), [("nia@mail.example".to_string(), TEMPLATES[2].to_string())]);
}

// R44, R13, R11, R10: a temporary password, an acceptance from the own list
// and one from the link each schedule the series.
#[tokio::test]
async fn every_way_of_joining_schedules_the_series() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let t0 = h.app.now();
    let loc = h.first_location(&d, &pid).await;
    let temp = h
        .call(
            "POST",
            &format!("/practices/{pid}/invitations"),
            Some(&d),
            Some(json!({"email": "temp@mail.example", "kind": "staff", "role_id": "front_desk",
                "primary_location_id": loc, "first_name": "Tia", "last_name": "Mo",
                "temporary_password": "Temporary-Pass-1"})),
        )
        .await;
    assert_eq!(temp.status, 201, "{}", temp.body);

    let (_, listed) = h.signup("listed@mail.example").await;
    h.verify("listed@mail.example").await;
    assert_eq!(h.invite(&d, &pid, "listed@mail.example").await.status, 201);
    let mine = h.call("GET", "/me/invitations", Some(&listed), None).await;
    let iid = s(&mine.body["items"][0]["id"]);
    let accepted = h.call("POST", &format!("/me/invitations/{iid}/accept"), Some(&listed), None).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);

    let (_, linked) = h.signup("linked@mail.example").await;
    assert_eq!(h.invite(&d, &pid, "linked@mail.example").await.status, 201);
    let token = h.invite_token_for("linked@mail.example");
    let accepted = h.call("POST", &format!("/invitations/{token}/accept"), Some(&linked), None).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);

    assert_eq!(sweep(&h, t0 + Duration::days(1)).await, 3);
    let mut to: Vec<String> = onboarding_mails(&h).into_iter().map(|(to, _)| to).collect();
    to.sort();
    assert_eq!(to, ["linked@mail.example", "listed@mail.example", "temp@mail.example"]);
    let greeting = h.mails_to("temp@mail.example", TEMPLATES[0]).pop().expect("mail");
    assert!(s(&greeting["text"]).starts_with("Hello Tia,"), "{}", greeting["text"]);
    assert_eq!(sweep(&h, t0 + Duration::days(8)).await, 6);
    assert!(scheduled(&h, &pid).await.is_empty());
}

// R44: someone who already signs in with a second factor is not urged to
// turn it on; the other two mails still go.
#[tokio::test]
async fn the_two_factor_mail_skips_who_has_a_second_factor() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let t0 = h.app.now();
    let uid = join_by_registering(&h, &d, &pid, "nia@mail.example").await;
    let user = h.app.store.user(uid.parse().expect("uid")).await.expect("read").expect("user");
    let mut enrolled = user.clone();
    enrolled.totp_secret = Some("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".into());
    enrolled.mfa_enabled = true;
    enrolled.version += 1;
    let mut tx = Tx::new();
    tx.push(Write::Replace { record: Record::User(enrolled), expected_version: user.version });
    h.app.store.transact(tx).await.expect("enroll behind the API");

    assert_eq!(sweep(&h, t0 + Duration::days(8)).await, 2);
    let templates: Vec<String> = onboarding_mails(&h).into_iter().map(|(_, t)| t).collect();
    assert_eq!(templates, [TEMPLATES[0], TEMPLATES[2]]);
    assert!(scheduled(&h, &pid).await.is_empty());
}

// R34, R44: more due than one page: every page is read, each mail sent
// once, and a second run finds nothing.
#[tokio::test]
async fn the_sweep_pages_through_every_due_mail() {
    let h = Harness::new().await;
    let (_, _, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let t0 = h.app.now();
    let practice: roster_domain::ids::PracticeId = pid.parse().expect("pid");
    for i in 0..35 {
        let user = h.put_user(&format!("m{i}@mail.example")).await;
        h.put_member(&pid, &user, Kind::Staff, "front_desk", MemberStatus::Active).await;
        let m = h.app.store.membership(practice, user.id).await.expect("read").expect("member");
        let mut tx = Tx::new();
        for mail in OnboardingMail::series(&m) {
            tx.push(Write::Put(Record::OnboardingMail(mail)));
        }
        h.app.store.transact(tx).await.expect("schedule");
    }
    let summary = h.sweep_at(t0 + Duration::days(8)).await;
    assert_eq!(summary.onboarding_sent, 105, "{summary:?}");
    let mails: Vec<Value> = h.mails().into_iter().filter(|m| s(&m["template"]).starts_with("onboarding_")).collect();
    assert_eq!(mails.len(), 105);
    assert_eq!(h.mails_to("m7@mail.example", TEMPLATES[1]).len(), 1);
    assert_eq!(sweep(&h, t0 + Duration::days(8)).await, 0);
    assert!(scheduled(&h, &pid).await.is_empty());
}

// R34, R44: two sweeps at once send each mail once: the item's delete under
// its version is in the transaction that writes the mail.
#[tokio::test]
async fn two_sweeps_at_once_send_each_mail_once() {
    let h = Harness::new().await;
    let (_, d, pid) = h.director(DIRECTOR, "Harbour Clinic").await;
    let t0 = h.app.now();
    for who in ["nia", "leo", "ada", "tom"] {
        join_by_registering(&h, &d, &pid, &format!("{who}@mail.example")).await;
    }
    let at = t0 + Duration::days(8);
    // On time: the mails' outbox items, stamped by the clock, are the
    // stream's, not yet due for either sweep.
    h.clock.advance(at - h.app.now());
    let (a, b) = tokio::join!(h.sweep_at(at), h.sweep_at(at));
    assert_eq!(a.onboarding_sent + b.onboarding_sent, 12, "{a:?} {b:?}");
    let mails = onboarding_mails(&h);
    assert_eq!(mails.len(), 12, "{mails:?}");
    for who in ["nia", "leo", "ada", "tom"] {
        for template in TEMPLATES {
            assert_eq!(h.mails_to(&format!("{who}@mail.example"), template).len(), 1, "{who} {template}");
        }
    }
}
