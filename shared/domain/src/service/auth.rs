//! Sign-up, sign-in, sessions and the user's own profile (R3, R4, R24, R29).

use super::views::{MeView, MemberView, MyMembershipView, SessionView, UserView};
use super::{audit_event, commit, outbox_event, outbox_mail, Caller};
use crate::error::DomainError;
use crate::mail;
use crate::model::*;
use crate::ports::{App, Key, Record, Tx, Write};
use crate::secrets;
use crate::validate::Errors;
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

/// R29
pub const SESSION_HOURS: i64 = 12;
/// Not fixed by the spec; two days leaves room for a weekend.
pub const VERIFY_EMAIL_HOURS: i64 = 48;

pub(crate) const NAME_MAX: usize = 100;
pub(crate) const TITLE_MAX: usize = 50;

/// Fields are optional here so that a missing one is a named 422, not a 400.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignupInput {
    pub email: Option<String>,
    pub password: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub email: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    pub token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchMeInput {
    /// `null` clears the title; absent leaves it.
    #[serde(default, deserialize_with = "crate::service::auth::double_option")]
    pub title: Option<Option<String>>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordInput {
    pub current_password: Option<String>,
    pub new_password: Option<String>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

pub struct SignedUp {
    pub user: UserView,
    pub session: SessionView,
}

pub(crate) fn new_session(user: &User, now: Time) -> (Session, SessionView) {
    let token = secrets::new_session_token(user.id);
    let expires_at = now + Duration::hours(SESSION_HOURS);
    let session = Session {
        user_id: user.id,
        token_hash: secrets::sha256_hex(&token),
        epoch: user.session_epoch,
        created_at: now,
        expires_at,
        enroll_only: false,
    };
    (session, SessionView { token, expires_at })
}

fn verification(app: &App, user: &User, now: Time) -> Result<(EmailToken, Mail), DomainError> {
    let token = secrets::random_secret();
    let record = EmailToken {
        token_hash: secrets::sha256_hex(&token),
        purpose: TokenPurpose::VerifyEmail,
        user_id: user.id,
        created_at: now,
        expires_at: now + Duration::hours(VERIFY_EMAIL_HOURS),
        epoch: None,
    };
    let mail = mail::render(
        "verify_email",
        &user.email,
        json!({
            "first_name": user.first_name,
            "email": user.email,
            "link": format!("{}/verify-email/{}", app.config.app_base_url, token),
            "valid_hours": VERIFY_EMAIL_HOURS,
        }),
    )?;
    Ok((record, mail))
}

/// `POST /auth/signup`: one user per email (R3, R4), enforced by creating the
/// email claim under a condition in the same transaction as the user.
pub async fn signup(app: &App, input: SignupInput) -> Result<SignedUp, DomainError> {
    let mut e = Errors::new();
    let (email, email_norm) = e.email("email", input.email.as_deref());
    let password = e.password("password", input.password.as_deref());
    let first_name = e.required_text("first_name", input.first_name.as_deref(), NAME_MAX);
    let last_name = e.required_text("last_name", input.last_name.as_deref(), NAME_MAX);
    let title = e.optional_text("title", input.title.as_deref(), TITLE_MAX);
    e.finish()?;

    let now = app.now();
    let user = User {
        title,
        ..User::new(email, email_norm.clone(), first_name, last_name, secrets::hash_password(&password)?, now)
    };
    let (session, session_view) = new_session(&user, now);
    let (token, mail) = verification(app, &user, now)?;

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
        .push(Write::Create(outbox_event(now, "UserSignedUp", json!({"user_id": user.id}))));
    commit(app, tx).await?;
    Ok(SignedUp { user: UserView::from(&user), session: session_view })
}

async fn user_by_email(app: &App, email_norm: &str) -> Result<Option<User>, DomainError> {
    match app.store.email_claim(email_norm).await? {
        Some(claim) => Ok(app.store.user(claim.user_id).await?),
        None => Ok(None),
    }
}

/// `POST /auth/login`. An unknown email and a wrong password answer alike and
/// take alike (R24): both pay for one Argon2 verification. A locked user is
/// told so whatever the password (R25), once it has been checked, so the
/// answer takes as long.
pub async fn login(app: &App, input: LoginInput) -> Result<super::security::SignIn, DomainError> {
    let mut e = Errors::new();
    if input.email.as_deref().map(str::trim).unwrap_or("").is_empty() {
        e.add("email", "is required");
    }
    if input.password.as_deref().unwrap_or("").is_empty() {
        e.add("password", "is required");
    }
    e.finish()?;
    let password = input.password.unwrap_or_default();
    let user = match crate::validate::parse_email(input.email.as_deref().unwrap_or("")) {
        Some((_, norm)) => user_by_email(app, &norm).await?,
        None => None,
    };
    let Some(user) = user else {
        secrets::burn_password_check(&password);
        return Err(DomainError::InvalidCredentials);
    };
    let right = secrets::verify_password(&password, &user.password_hash);
    if user.locked {
        return Err(DomainError::AccountLocked);
    }
    super::security::password_checked(app, &user, right).await
}

/// A signed-in caller, and what the request's practice holds for them: the
/// practice, their membership if active, and its support grant (R30).
pub struct Authenticated {
    pub caller: Caller,
    pub practice: Option<Practice>,
    pub membership: Option<Membership>,
    pub support_grant: Option<SupportGrant>,
}

/// Resolve a bearer token to a live session (R29): the session must exist,
/// be unexpired on read (TTL may lag, R35) and carry the user's current
/// session epoch. Any failure is the same `401`.
pub async fn authenticate(
    app: &App,
    token: &str,
    practice: Option<crate::ids::PracticeId>,
) -> Result<Authenticated, DomainError> {
    let (user_id, hash) = secrets::parse_session_token(token).ok_or(DomainError::Unauthenticated)?;
    let bundle = app.store.auth_bundle(user_id, &hash, practice).await?;
    let (Some(session), Some(user)) = (bundle.session, bundle.user) else {
        return Err(DomainError::Unauthenticated);
    };
    if session.expires_at <= app.now() || session.epoch != user.session_epoch || session.user_id != user.id {
        return Err(DomainError::Unauthenticated);
    }
    Ok(Authenticated {
        caller: Caller { user, session },
        practice: bundle.practice,
        // R19: a deactivated membership gives nothing, from the next request on.
        membership: bundle.membership.filter(|m| m.status == MemberStatus::Active),
        support_grant: bundle.support_grant,
    })
}

/// `POST /auth/logout`: the session item goes at once.
pub async fn logout(app: &App, caller: &Caller) -> Result<(), DomainError> {
    let mut tx = Tx::new();
    tx.push(Write::Delete(Key::Session { user_id: caller.user.id, token_hash: caller.session.token_hash.clone() }));
    commit(app, tx).await
}

/// `POST /auth/verify-email`: single use, expiry checked on read (R35).
pub async fn verify_email(app: &App, input: TokenInput) -> Result<(), DomainError> {
    let token = input.token.unwrap_or_default();
    if token.trim().is_empty() {
        return Err(DomainError::field("token", "is required"));
    }
    let hash = secrets::sha256_hex(token.trim());
    let now = app.now();
    let record = app.store.token(&hash).await?;
    let Some(record) = record.filter(|t| t.purpose == TokenPurpose::VerifyEmail && t.expires_at > now) else {
        return Err(DomainError::TokenGone);
    };
    let user = app.store.user(record.user_id).await?.ok_or(DomainError::TokenGone)?;
    let mut updated = user.clone();
    updated.email_verified = true;
    updated.updated_at = now;
    updated.version += 1;
    let mut tx = Tx::new();
    tx.guarded(Write::DeleteExisting(Key::Token(hash)), DomainError::TokenGone)
        .push(Write::Replace { record: Record::User(updated), expected_version: user.version })
        .push(Write::Create(audit_event(
            AuditScope::User(user.id),
            now,
            Actor::user(&user),
            "user.email_verified",
            Target::new("user", user.id),
            json!({"email_verified": user.email_verified}),
            json!({"email_verified": true}),
        )));
    commit(app, tx).await
}

/// `GET /me`: the user and every practice they are an active member of (R3).
pub async fn me(app: &App, caller: &Caller) -> Result<MeView, DomainError> {
    let memberships: Vec<Membership> = app
        .store
        .memberships_of_user(caller.user.id)
        .await?
        .into_iter()
        .filter(|m| m.status == MemberStatus::Active)
        .collect();
    let ids: Vec<_> = memberships.iter().map(|m| m.practice_id).collect();
    let role_ids: Vec<_> = memberships
        .iter()
        .filter(|m| super::is_custom_role(&m.role_id))
        .map(|m| (m.practice_id, m.role_id.clone()))
        .collect();
    let (practices, roles) =
        futures::try_join!(async { app.store.practices(&ids).await.map_err(DomainError::from) }, async {
            app.store.roles_by_id(&role_ids).await.map_err(DomainError::from)
        },)?;
    let names: HashMap<_, _> = practices.into_iter().map(|p| (p.id, p.name)).collect();
    let mut views: Vec<MyMembershipView> = memberships
        .iter()
        .filter_map(|m| {
            names.get(&m.practice_id).map(|name| {
                let custom: Vec<Role> = roles.iter().filter(|r| r.practice_id == m.practice_id).cloned().collect();
                MyMembershipView { member: MemberView::new(m, &caller.user, &custom), practice_name: name.clone() }
            })
        })
        .collect();
    views.sort_by_key(|v| v.practice_name.to_lowercase());
    let pending = super::invitations::open_to(app, caller).await?.len();
    Ok(MeView { user: UserView::from(&caller.user), memberships: views, pending_invitations: pending })
}

/// `PATCH /me`: the user's own title and names.
pub async fn patch_me(app: &App, caller: &Caller, input: PatchMeInput) -> Result<UserView, DomainError> {
    let mut e = Errors::new();
    let mut updated = caller.user.clone();
    if let Some(title) = &input.title {
        updated.title = e.optional_text("title", title.as_deref(), TITLE_MAX);
    }
    if input.first_name.is_some() {
        updated.first_name = e.required_text("first_name", input.first_name.as_deref(), NAME_MAX);
    }
    if input.last_name.is_some() {
        updated.last_name = e.required_text("last_name", input.last_name.as_deref(), NAME_MAX);
    }
    e.finish()?;
    let before = &caller.user;
    if (&updated.title, &updated.first_name, &updated.last_name)
        == (&before.title, &before.first_name, &before.last_name)
    {
        return Ok(UserView::from(before));
    }
    let now = app.now();
    updated.updated_at = now;
    updated.version += 1;
    // The members search (R22) reads the names from each membership.
    let memberships = app.store.memberships_of_user(before.id).await?;
    let mut tx = Tx::new();
    super::members::mirror_writes(&mut tx, &memberships, &updated);
    tx.push(Write::Replace { record: Record::User(updated.clone()), expected_version: before.version }).push(
        Write::Create(audit_event(
            AuditScope::User(before.id),
            now,
            Actor::user(before),
            "user.profile_updated",
            Target::new("user", before.id),
            json!({"title": before.title, "first_name": before.first_name, "last_name": before.last_name}),
            json!({"title": updated.title, "first_name": updated.first_name, "last_name": updated.last_name}),
        )),
    );
    commit(app, tx).await?;
    Ok(UserView::from(&updated))
}

/// `POST /me/password`: ends every other session (R29) by moving the user to a
/// new session epoch and re-stamping only the caller's session, in one write.
pub async fn change_password(app: &App, caller: &Caller, input: ChangePasswordInput) -> Result<(), DomainError> {
    let mut e = Errors::new();
    let current = input.current_password.unwrap_or_default();
    if current.is_empty() {
        e.add("current_password", "is required");
    }
    let new_password = e.password("new_password", input.new_password.as_deref());
    e.finish()?;
    if !secrets::verify_password(&current, &caller.user.password_hash) {
        return Err(DomainError::field("current_password", "is not correct"));
    }
    if new_password == current {
        return Err(DomainError::field("new_password", "must differ from the current password"));
    }
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
