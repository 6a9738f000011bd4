//! Onboarding mails (R44): scheduled in the transaction that makes someone a
//! member (accept, register, temporary password), and sent by the sweep
//! when each is due, unless by then the membership is no longer active or
//! the practice turned onboarding mails off (R43).
//!
//! Each mail waits as an item on a sparse due list, read by key range. The
//! sweep deletes the item, under its version, in the transaction that puts
//! the mail in the outbox: of two sweeps only one commits, so no mail goes
//! twice. An item it will not send is deleted all the same, so the due list
//! holds only what is still to be decided.

use super::writes::{commit, outbox_mail};
use crate::error::DomainError;
use crate::ids::{PracticeId, UserId};
use crate::mail;
use crate::model::*;
use crate::ports::{App, Key, Record, Tx, Write};
use serde_json::json;
use std::collections::HashMap;

/// Mails per page of the due list.
const PAGE: usize = 100;

/// Puts the series for `m`, a membership that begins in `tx` (R44). A `Put`:
/// a series left from an earlier membership of the same person is replaced,
/// never added to.
pub fn schedule(tx: &mut Tx, m: &Membership) {
    for mail in OnboardingMail::series(m) {
        tx.push(Write::Put(Record::OnboardingMail(mail)));
    }
}

fn template(step: OnboardingStep) -> &'static str {
    match step {
        OnboardingStep::Profile => "onboarding_profile",
        OnboardingStep::TwoFactor => "onboarding_two_factor",
        OnboardingStep::GettingStarted => "onboarding_getting_started",
    }
}

/// Where each mail leads, in the app: the account page, its security page
/// (the second factor), the practice's own page.
fn link(app: &App, step: OnboardingStep, practice: PracticeId) -> String {
    let base = &app.config.app_base_url;
    match step {
        OnboardingStep::Profile => format!("{base}/account"),
        OnboardingStep::TwoFactor => format!("{base}/account/security"),
        OnboardingStep::GettingStarted => format!("{base}/practices/{practice}"),
    }
}

/// What a page of due mails needs to be decided, read in one round of
/// batch reads.
struct Facts {
    practices: HashMap<PracticeId, Practice>,
    settings: HashMap<PracticeId, PracticeSettings>,
    members: HashMap<(PracticeId, UserId), Membership>,
    users: HashMap<UserId, User>,
}

impl Facts {
    async fn read(app: &App, due: &[OnboardingMail]) -> Result<Self, DomainError> {
        let mut pids: Vec<PracticeId> = due.iter().map(|m| m.practice_id).collect();
        pids.sort();
        pids.dedup();
        let mut uids: Vec<UserId> = due.iter().map(|m| m.user_id).collect();
        uids.sort();
        uids.dedup();
        let pairs: Vec<(PracticeId, UserId)> = due.iter().map(|m| (m.practice_id, m.user_id)).collect();
        let (practices, settings, members, users) = futures::try_join!(
            async { app.store.practices(&pids).await.map_err(DomainError::from) },
            async { app.store.settings_of_practices(&pids).await.map_err(DomainError::from) },
            async { app.store.memberships_by_id(&pairs).await.map_err(DomainError::from) },
            async { app.store.users(&uids).await.map_err(DomainError::from) },
        )?;
        Ok(Self {
            practices: practices.into_iter().map(|p| (p.id, p)).collect(),
            settings: settings.into_iter().map(|s| (s.practice_id, s)).collect(),
            members: members.into_iter().map(|m| ((m.practice_id, m.user_id), m)).collect(),
            users: users.into_iter().map(|u| (u.id, u)).collect(),
        })
    }
}

/// What becomes of one due mail.
enum Fate<'a> {
    /// Sent, as long as the membership is still as read and onboarding
    /// still on when it commits.
    Send(Mail, &'a Membership),
    /// Deleted unsent, and why (for the log).
    Drop(&'static str),
}

fn fate<'a>(app: &App, item: &OnboardingMail, facts: &'a Facts, due_by: Time) -> Result<Fate<'a>, DomainError> {
    if item.stale_at(due_by) {
        return Ok(Fate::Drop("too late"));
    }
    let Some(m) = facts.members.get(&(item.practice_id, item.user_id)).filter(|m| m.is_active()) else {
        return Ok(Fate::Drop("membership not active"));
    };
    if facts.settings.get(&item.practice_id).is_some_and(|s| !s.onboarding_mails) {
        return Ok(Fate::Drop("onboarding mails off"));
    }
    let (Some(practice), Some(user)) = (facts.practices.get(&item.practice_id), facts.users.get(&item.user_id)) else {
        return Ok(Fate::Drop("practice or user gone"));
    };
    // Nothing to urge on someone who already signs in with a second factor.
    if item.step == OnboardingStep::TwoFactor && user.mfa_enabled {
        return Ok(Fate::Drop("second factor already on"));
    }
    let mail = mail::render(
        template(item.step),
        &user.email,
        json!({"first_name": user.first_name, "practice_name": practice.name,
            "link": link(app, item.step, item.practice_id)}),
    )?;
    Ok(Fate::Send(mail, m))
}

const GONE: DomainError = DomainError::Conflict("onboarding_gone");
const MEMBER_CHANGED: DomainError = DomainError::Conflict("member_changed");

/// Decide one mail due by `due_by` and commit the decision, its outbox mail
/// stamped by the clock; `true` when it was sent.
async fn settle(app: &App, item: &OnboardingMail, facts: &Facts, due_by: Time) -> Result<bool, DomainError> {
    let key = Key::OnboardingMail(item.practice_id, item.user_id, item.step);
    let mut tx = Tx::new();
    // Exactly once: whichever sweep deletes the item is the one that sends.
    tx.guarded(Write::DeleteVersioned { key, expected_version: item.version }, GONE);
    let sent = match fate(app, item, facts, due_by)? {
        Fate::Send(mail, m) => {
            // R44's conditions hold at commit, not only when read: a
            // deactivation or a switch-off that commits first stops the mail.
            tx.guarded(
                Write::CheckMember { practice_id: m.practice_id, user_id: m.user_id, version: m.version },
                MEMBER_CHANGED,
            )
            .push(Write::CheckOnboardingMails { practice_id: item.practice_id })
            .push(Write::Create(outbox_mail(app.now(), mail)));
            true
        }
        Fate::Drop(why) => {
            tracing::info!(practice = %item.practice_id, user = %item.user_id, step = item.step.slug(), why,
                "onboarding mail dropped unsent");
            false
        }
    };
    match commit(app, tx).await {
        Ok(()) => Ok(sent),
        // Another sweep settled it: nothing more to do.
        Err(DomainError::Conflict("onboarding_gone")) => Ok(false),
        // Changed since it was read: still due, and the next run decides
        // again on what is stored then.
        Err(DomainError::Conflict(why @ ("member_changed" | "onboarding_off"))) => {
            tracing::info!(practice = %item.practice_id, user = %item.user_id, step = item.step.slug(), why,
                "onboarding mail left for the next sweep");
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// The sweep's part (R34, R44): every onboarding mail due by `due_by`, oldest
/// first, page after page, each page resuming after the last item of the
/// one before. Returns how many were sent. A mail whose membership changed
/// or whose practice turned onboarding off while it was being decided stays
/// due, and the next run decides it again; so does one that failed.
pub async fn send_due(app: &App, due_by: Time, budget: std::time::Duration) -> Result<usize, DomainError> {
    let started = std::time::Instant::now();
    let mut sent = 0;
    let mut after: Option<OnboardingMail> = None;
    loop {
        let due = app.store.due_onboarding(due_by, after.as_ref(), PAGE).await?;
        let more = due.len() >= PAGE;
        after = due.last().cloned();
        if due.is_empty() {
            return Ok(sent);
        }
        let facts = Facts::read(app, &due).await?;
        for item in due.iter().filter(|i| i.due_at <= due_by) {
            // Each mail is sent as it is decided, so time runs per item.
            if started.elapsed() >= budget {
                tracing::warn!(sent, "onboarding mails still due; left for the next sweep");
                return Ok(sent);
            }
            match settle(app, item, &facts, due_by).await {
                Ok(true) => sent += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(practice = %item.practice_id, user = %item.user_id,
                    step = item.step.slug(), error = %e, "onboarding mail left for the next sweep"),
            }
        }
        if !more {
            return Ok(sent);
        }
        if started.elapsed() >= budget {
            tracing::warn!(sent, "onboarding mails still due; left for the next sweep");
            return Ok(sent);
        }
    }
}
