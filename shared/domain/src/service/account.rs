//! A user's own account (R3, R4, R29): sign-up, email verification, `/me`,
//! the profile and the password.

use super::context::Caller;
use super::invitations::open_to;
use super::session::new_session;
use super::sign_in::judge_attempt;
use super::user_copies::copy_user;
use super::verification::verification_mail;
use super::views::{MeView, MemberView, MyMembershipView, SessionView, UserView};
use super::writes::{audit_event, commit, commit_with, outbox_event, outbox_mail};
use crate::error::DomainError;
use crate::model::*;
use crate::permissions::is_custom_role;
use crate::ports::{App, Record, Tx, Write};
use crate::secrets;
use crate::validate::{double_option, ensure_strong, Errors, NAME_MAX, TITLE_MAX};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

/// Fields are optional here so that a missing one is a named 422, not a 400.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignupInput {
    pub email: Option<String>,
    pub password: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    /// The client's `User-Agent`, kept with the session it opens (R49);
    /// the handler's to fill, never the body's.
    #[serde(skip)]
    pub user_agent: Option<String>,
}

/// A change of a user's own title and names (`PATCH /me`). Fields left out
/// keep their value.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamesPatch {
    /// `null` clears the title; absent leaves it.
    #[serde(default, deserialize_with = "double_option")]
    pub title: Option<Option<String>>,
    /// A name cannot be cleared: `null` is 422, absent leaves it.
    #[serde(default, deserialize_with = "double_option")]
    pub first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub last_name: Option<Option<String>>,
}

impl NamesPatch {
    /// `user` with the change made, or `422` naming every broken field.
    pub fn apply(&self, user: &User) -> Result<User, DomainError> {
        let mut e = Errors::new();
        let mut updated = user.clone();
        if let Some(title) = &self.title {
            updated.title = e.optional_name("title", title.as_deref(), TITLE_MAX);
        }
        if let Some(first) = &self.first_name {
            updated.first_name = e.required_name("first_name", first.as_deref(), NAME_MAX);
        }
        if let Some(last) = &self.last_name {
            updated.last_name = e.required_name("last_name", last.as_deref(), NAME_MAX);
        }
        e.finish()?;
        Ok(updated)
    }
}

/// A user's title and names, as audited and published.
pub fn names_of(u: &User) -> serde_json::Value {
    json!({"title": u.title, "first_name": u.first_name, "last_name": u.last_name})
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordInput {
    pub current_password: Option<String>,
    pub new_password: Option<String>,
}

pub struct SignedUp {
    pub user: UserView,
    pub session: SessionView,
}

/// `POST /auth/signup`: one user per email (R3, R4), enforced by creating the
/// email claim under a condition in the same transaction as the user.
pub async fn signup(app: &App, input: SignupInput) -> Result<SignedUp, DomainError> {
    let mut e = Errors::new();
    let (email, email_norm) = e.email("email", input.email.as_deref());
    let words = [input.first_name.as_deref().unwrap_or(""), input.last_name.as_deref().unwrap_or("")];
    let password = e.password("password", input.password.as_deref(), &[&email, words[0], words[1]]);
    let first_name = e.required_name("first_name", input.first_name.as_deref(), NAME_MAX);
    let last_name = e.required_name("last_name", input.last_name.as_deref(), NAME_MAX);
    let title = e.optional_name("title", input.title.as_deref(), TITLE_MAX);
    e.finish()?;

    let now = app.now();
    let user = User {
        title,
        ..User::new(email, email_norm.clone(), first_name, last_name, secrets::hash_password(&password)?, now)
    };
    let (session, session_view) = new_session(&user, now, input.user_agent.as_deref());
    let (token, mail) = verification_mail(app, &user, now)?;

    let mut tx = Tx::new();
    tx.guarded(Write::Create(Record::EmailClaim(EmailClaim { email_norm, user_id: user.id })), DomainError::EmailTaken)
        .guarded(Write::Create(Record::User(user.clone())), DomainError::EmailTaken)
        .push(Write::Put(Record::Session(session)))
        .push(Write::Put(Record::Token(token)))
        .push(Write::Create(audit_event(
            AuditScope::User(user.id),
            now,
            Actor::user(&user),
            "user.signed_up",
            Target::new("user", user.id),
            json!(null),
            json!({"email": user.email, "first_name": user.first_name, "last_name": user.last_name, "title": user.title}),
        )))
        .push(Write::Create(outbox_mail(now, mail)))
        .push(Write::Create(outbox_event(now, EventType::UserSignedUp, json!({"user_id": user.id}))));
    commit(app, tx).await?;
    Ok(SignedUp { user: UserView::from(&user), session: session_view })
}

/// `GET /me`: the user and every practice they are an active member of (R3).
/// Two round trips: the memberships and the pending invitations (two index
/// partitions, one by user and one by address), then the practices and
/// custom roles they name, in one batch.
pub async fn me(app: &App, caller: &Caller) -> Result<MeView, DomainError> {
    let (memberships, pending) = futures::try_join!(
        async { app.store.memberships_of_user(caller.user.id).await.map_err(DomainError::from) },
        open_to(app, caller),
    )?;
    let memberships: Vec<Membership> = memberships.into_iter().filter(Membership::is_active).collect();
    let ids: Vec<_> = memberships.iter().map(|m| m.practice_id).collect();
    let role_ids: Vec<_> = memberships
        .iter()
        .filter(|m| is_custom_role(&m.access.role_id))
        .map(|m| (m.practice_id, m.access.role_id.clone()))
        .collect();
    let (practices, roles) = app.store.practices_and_roles(&ids, &role_ids).await?;
    let practices: HashMap<_, _> = practices.into_iter().map(|p| (p.id, p)).collect();
    let mut views: Vec<MyMembershipView> = memberships
        .iter()
        .filter_map(|m| {
            practices.get(&m.practice_id).map(|practice| {
                let custom: Vec<Role> = roles.iter().filter(|r| r.practice_id == m.practice_id).cloned().collect();
                let in_force = practice.roles_in_force(custom);
                MyMembershipView {
                    member: MemberView::new(m, &caller.user, &in_force),
                    practice_name: practice.name.clone(),
                }
            })
        })
        .collect();
    views.sort_by_key(|v| v.practice_name.to_lowercase());
    Ok(MeView { user: UserView::from(&caller.user), memberships: views, pending_invitations: pending.len() })
}

/// `PATCH /me`: the user's own title and names.
pub async fn patch_me(app: &App, caller: &Caller, input: NamesPatch) -> Result<UserView, DomainError> {
    let before = &caller.user;
    let mut updated = input.apply(before)?;
    if names_of(&updated) == names_of(before) {
        return Ok(UserView::from(before));
    }
    let now = app.now();
    updated.updated_at = now;
    updated.version += 1;
    // The members search (R22) reads the names from each membership.
    let memberships = app.store.memberships_of_user(before.id).await?;
    let mut tx = Tx::new();
    tx.push(Write::Replace { record: Record::User(updated.clone()), expected_version: before.version }).push(
        Write::Create(audit_event(
            AuditScope::User(before.id),
            now,
            Actor::user(before),
            "user.profile_updated",
            Target::new("user", before.id),
            names_of(before),
            names_of(&updated),
        )),
    );
    commit_with(app, tx, [copy_user(&memberships, &updated, None)]).await?;
    Ok(UserView::from(&updated))
}

/// `POST /me/password`: ends every other session (R29) by moving the user to a
/// new session epoch and re-stamping only the caller's session, in one write.
/// The current password is an attempt in the sign-in streak (R40).
pub async fn change_password(app: &App, caller: &Caller, input: ChangePasswordInput) -> Result<(), DomainError> {
    let mut e = Errors::new();
    let current = input.current_password.unwrap_or_default();
    if current.is_empty() {
        e.add("current_password", "is required");
    }
    let new_password = e.password_length("new_password", input.new_password.as_deref()).unwrap_or_default();
    e.finish()?;
    // R40: a wrong current password counts in the sign-in streak, so a
    // stolen session cannot guess it without limit; still a 422 naming the
    // field until the fifth in a row, which locks.
    let right = secrets::verify_password(&current, &caller.user.password_hash);
    judge_attempt(app, &caller.user, right, DomainError::field("current_password", "is not correct")).await?;
    if new_password == current {
        return Err(DomainError::field("new_password", "must differ from the current password"));
    }
    // Judged once the current password proved who asks.
    let u = &caller.user;
    ensure_strong("new_password", &new_password, &[&u.email, &u.first_name, &u.last_name])?;
    let now = app.now();
    let before = &caller.user;
    let mut updated = before.clone();
    updated.password_hash = secrets::hash_password(&new_password)?;
    updated.must_change_password = false;
    updated.session_epoch += 1;
    updated.updated_at = now;
    updated.version += 1;
    let mut session = caller.session.clone();
    session.epoch = updated.session_epoch;
    let mut tx = Tx::new();
    tx.push(Write::Replace { record: Record::User(updated), expected_version: before.version })
        .push(Write::Put(Record::Session(session)))
        .push(Write::Create(audit_event(
            AuditScope::User(before.id),
            now,
            Actor::user(before),
            "user.password_changed",
            Target::new("user", before.id),
            json!({"must_change_password": before.must_change_password}),
            json!({"must_change_password": false}),
        )));
    commit(app, tx).await?;
    Ok(())
}
