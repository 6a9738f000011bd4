//! p50/p99 under concurrent callers, each next to the same DynamoDB calls
//! made straight with the SDK. For one operation: the table is saved, the
//! callers drive the real handler (`roster_api::handle`) once untimed and,
//! with the table put back, once timed while `Recorder` keeps every call's
//! input per request; the table is put back again and the callers send
//! each request's recorded calls again, in order, at the same concurrency
//! (each transaction with a fresh client token, as the handler sends). The
//! ratio is what Roster adds to its own calls.

use crate::env::{Env, Error};
use crate::record::{replay, Captured, Recorder};
use futures::future::join_all;
use roster_domain::ids::PracticeId;
use roster_domain::model::{Access, EmailClaim, EmailSlot, Kind, Membership, User};
use roster_domain::ports::{Record, Tx, Write};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// One request a caller makes: method, path, session, body.
#[derive(Clone)]
pub struct Req {
    pub method: &'static str,
    pub path: String,
    pub token: String,
    pub body: Option<Value>,
}

/// The figures of one operation.
pub struct Figures {
    pub name: String,
    pub roster: (Duration, Duration),
    pub direct: (Duration, Duration),
    /// Answers by status, e.g. "200 x320".
    pub statuses: String,
    /// Replayed calls DynamoDB refused (conditions that raced differently).
    pub refused: usize,
    pub calls_per_request: f64,
}

fn percentile(xs: &mut [Duration], q: f64) -> Duration {
    xs.sort();
    let rank = ((q * xs.len() as f64).ceil() as usize).clamp(1, xs.len().max(1));
    xs.get(rank - 1).copied().unwrap_or_default()
}

/// One pass of `lanes` through the handler, each lane's requests one after
/// another, the lanes at once: per request its time, status and calls.
async fn through_roster(env: &Env, lanes: &[Vec<&Req>]) -> Vec<Vec<(Duration, u16, Vec<Captured>)>> {
    join_all(lanes.iter().map(|lane| async move {
        let mut out = Vec::new();
        for r in lane {
            let started = Instant::now();
            let ((status, _), calls) =
                Recorder::scope(env.call(r.method, &r.path, Some(&r.token), r.body.clone())).await;
            out.push((started.elapsed(), status, calls));
        }
        out
    }))
    .await
}

/// Run `reqs` split over `callers` concurrent callers (caller `c` takes
/// requests c, c + callers, ...): through the handler untimed, then timed,
/// then as the timed pass's recorded calls, the table put back before each.
pub async fn measure(env: &Env, name: &str, reqs: &[Req], callers: usize) -> Result<Figures, Error> {
    let before = env.all_items().await?;
    let lanes: Vec<Vec<&Req>> = (0..callers).map(|c| reqs.iter().skip(c).step_by(callers).collect()).collect();
    // An untimed pass first, then the table put back: DynamoDB Local is a
    // JVM, and whichever side first sends a kind of call (a transaction of
    // a new shape, say) runs it before the JIT has compiled that path. The
    // handler went first, so without this the replay ran warm and the
    // writes' ratios read up to 2x (bench/history.md, "zxcvbn patched").
    through_roster(env, &lanes).await;
    env.restore(env.all_items().await?, before.clone()).await?;
    let through_roster = through_roster(env, &lanes).await;
    let after = env.all_items().await?;
    env.restore(after.clone(), before).await?;
    let recorded: Vec<Vec<Vec<Captured>>> =
        through_roster.iter().map(|lane| lane.iter().map(|(_, _, c)| c.clone()).collect()).collect();
    let direct = join_all(recorded.iter().map(|lane| async move {
        let mut out = Vec::new();
        for calls in lane {
            let started = Instant::now();
            let refused = replay(&env.client, calls).await?;
            out.push((started.elapsed(), refused));
        }
        Ok::<_, Error>(out)
    }))
    .await
    .into_iter()
    .collect::<Result<Vec<_>, _>>()?;
    // Whatever the replay's races did, the next operation starts from what
    // the handlers left.
    env.restore(env.all_items().await?, after).await?;

    let mut roster: Vec<Duration> = through_roster.iter().flatten().map(|(d, _, _)| *d).collect();
    let mut raw: Vec<Duration> = direct.iter().flatten().map(|(d, _)| *d).collect();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    through_roster.iter().flatten().for_each(|(_, st, _)| *statuses.entry(*st).or_default() += 1);
    let calls: usize = recorded.iter().flatten().map(Vec::len).sum();
    Ok(Figures {
        name: name.to_string(),
        roster: (percentile(&mut roster, 0.5), percentile(&mut roster, 0.99)),
        direct: (percentile(&mut raw, 0.5), percentile(&mut raw, 0.99)),
        statuses: statuses.iter().map(|(s, n)| format!("{s} x{n}")).collect::<Vec<_>>().join(", "),
        refused: direct.iter().flatten().map(|(_, r)| r).sum(),
        calls_per_request: calls as f64 / reqs.len().max(1) as f64,
    })
}

/// A verified user with a session, straight through the store (no Argon2:
/// the password is one no one knows); (user, session token).
async fn stored_user(env: &Env, email: &str) -> Result<(User, String), Error> {
    let now = env.app.now();
    let mut user = User::new(email.into(), email.to_lowercase(), "Dana".into(), "Reyes".into(), "!".into(), now);
    user.email_verified = true;
    let (session, view) = roster_domain::service::session::new_session(&user, now, None);
    let mut tx = Tx::new();
    tx.push(Write::Create(Record::EmailClaim(EmailClaim { email_norm: user.email_norm.clone(), user_id: user.id })))
        .push(Write::Create(Record::User(user.clone())))
        .push(Write::Create(Record::Session(session)));
    env.app.store.transact(tx).await?;
    Ok((user, view.token))
}

/// Put `user` into the practice as active front-desk staff, keeping the
/// counters as the real flows do.
async fn stored_member(env: &Env, pid: PracticeId, user: &User, lid: &str) -> Result<(), Error> {
    let now = env.app.now();
    let m = Membership::new(pid, user, Access::new(Kind::Staff, "front_desk", lid.parse()?), now);
    let mut tx = Tx::new();
    tx.push(Write::AdjustCounters { practice_id: pid, delta: m.access.joining() })
        .push(Write::PutSlot { slot: EmailSlot::member(pid, &user.email_norm, user.id), holder: None, now })
        .push(Write::Create(Record::Membership(m)));
    env.app.store.transact(tx).await?;
    Ok(())
}

/// The five operations of issue 15, `per_caller` requests per caller.
pub async fn run(env: &Env, members: usize, callers: usize, per_caller: usize) -> Result<Vec<Figures>, Error> {
    let n = callers * per_caller;
    let (d, pid, lid) = env.director("load-director@clinic.bench").await?;
    let practice: PracticeId = pid.parse()?;
    let mut member_ids = Vec::new();
    let mut sessions = Vec::new();
    for i in 0..members {
        let (user, token) = stored_user(env, &format!("member-{i}@clinic.bench")).await?;
        // Members join one at a time: the practice's counters are one item.
        stored_member(env, practice, &user, &lid).await?;
        member_ids.push(user.id.to_string());
        sessions.push(token);
    }
    let mut invitees = Vec::new();
    for i in 0..n {
        let email = format!("invitee-{i}@mail.bench");
        invitees.push((email.clone(), stored_user(env, &email).await?.1));
    }
    // Every caller's connection open before anything is timed.
    join_all((0..callers).map(|_| env.call("GET", "/me", Some(&d), None))).await;

    let mut out = Vec::new();
    let me: Vec<Req> = (0..n)
        .map(|i| Req { method: "GET", path: "/me".into(), token: sessions[i % sessions.len()].clone(), body: None })
        .collect();
    out.push(measure(env, "GET /me", &me, callers).await?);
    let list: Vec<Req> = (0..n)
        .map(|_| Req { method: "GET", path: format!("/practices/{pid}/members"), token: d.clone(), body: None })
        .collect();
    out.push(measure(env, &format!("members list ({members} members)"), &list, callers).await?);
    let access: Vec<Req> = (0..n)
        .map(|i| Req {
            method: "PATCH",
            path: format!("/practices/{pid}/members/{}", member_ids[i % member_ids.len()]),
            token: d.clone(),
            body: Some(json!({"access_billing": i % 2 == 0})),
        })
        .collect();
    out.push(measure(env, "update access", &access, callers).await?);
    let invite: Vec<Req> = invitees
        .iter()
        .map(|(email, _)| Req {
            method: "POST",
            path: format!("/practices/{pid}/invitations"),
            token: d.clone(),
            body: Some(json!({"email": email, "kind": "staff", "role_id": "front_desk", "primary_location_id": lid})),
        })
        .collect();
    out.push(measure(env, "invite", &invite, callers).await?);
    let mut accept: Vec<Req> = Vec::with_capacity(invitees.len());
    for (email, token) in &invitees {
        let link = env.link(email, "/invite/").await.unwrap_or_default();
        accept.push(Req {
            method: "POST",
            path: format!("/invitations/{link}/accept"),
            token: token.clone(),
            body: None,
        });
    }
    out.push(measure(env, "accept", &accept, callers).await?);
    Ok(out)
}
