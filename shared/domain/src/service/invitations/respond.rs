//! The invited person's side (R10..R12): preview a link, accept it as the
//! signed-in user or register a new account from it, and accept or decline
//! from one's own list.

use super::{by_token, close, ensure_open, open_to, token_hash};
use crate::error::DomainError;
use crate::ids::InvitationId;
use crate::model::*;
use crate::permissions::is_custom_role;
use crate::permissions::stored_role_id;
use crate::ports::{App, LinkPreview, Record, Tx, Write};
use crate::secrets;
use crate::service::context::Caller;
use crate::service::onboarding;
use crate::service::seats::{module_events, seat_added, with_consent};
use crate::service::session::new_session;
use crate::service::views::{
    InvitationView, ListView, MemberView, MyInvitationView, PreviewView, SessionView, UserView,
};
use crate::service::writes::{audit_event, commit, outbox_event};
use crate::validate::{Errors, NAME_MAX, TITLE_MAX};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub password: Option<String>,
    pub accept_terms: Option<bool>,
    /// The client's `User-Agent`, kept with the session it opens (R49);
    /// the handler's to fill, never the body's.
    #[serde(skip)]
    pub user_agent: Option<String>,
}

/// A new account made from an invitation, its membership and its session.
pub struct Registered {
    pub user: UserView,
    pub member: MemberView,
    pub session: SessionView,
}

/// `GET /invitations/{token}`: what the invitee sees before deciding.
pub async fn preview(app: &App, token: &str) -> Result<PreviewView, DomainError> {
    let LinkPreview { invitation: inv, practice, account_exists } =
        app.store.link_preview(&token_hash(token)?).await?.ok_or(DomainError::NotFound)?;
    ensure_open(&inv, app.now())?;
    let practice = practice.ok_or(DomainError::NotFound)?;
    Ok(PreviewView {
        practice_name: practice.name,
        invited_by: inv.invited_by,
        email: inv.email,
        first_name: inv.first_name,
        last_name: inv.last_name,
        title: inv.title,
        role_id: inv.access.role_id,
        kind: inv.access.kind,
        expires_at: inv.expires_at,
        account_exists,
    })
}

/// The writes that turn a pending invitation into an active membership,
/// exactly once (R12): the invitation's version and the slot's holder are
/// conditions, so of two racing accepts (or an accept and a revoke) one wins.
/// The onboarding series (R44) is scheduled with it, so no join goes
/// without it and no lost race leaves one behind. The seats are added now,
/// not at the invitation (a pending invitation counts none), so the
/// inviter's license consent (R45) is recorded again with them.
fn accept_writes(tx: &mut Tx, inv: &Invitation, user: &User, now: Time) -> Membership {
    let membership = Membership::from_invitation(inv, user, now);
    let mut accepted = inv.clone();
    accepted.status = InvitationStatus::Accepted;
    accepted.accepted_at = Some(now);
    accepted.version += 1;
    let actor = Actor::user(user);
    tx.guarded(
        Write::Replace { record: Record::Invitation(accepted.clone()), expected_version: inv.version },
        DomainError::InvitationNotPending,
    )
    .guarded(
        Write::PutSlot {
            slot: EmailSlot::member(inv.practice_id, &inv.email_norm, user.id),
            holder: Some(inv.id),
            now,
        },
        DomainError::InvitationNotPending,
    )
    .guarded(Write::Create(Record::Membership(membership.clone())), DomainError::AlreadyMember)
    .guarded(
        Write::AdjustCounters { practice_id: inv.practice_id, delta: membership.access.joining() },
        DomainError::NotFound,
    )
    .push(Write::Create(super::practice_audit(
        &accepted,
        now,
        actor.clone(),
        "invitation.accepted",
        json!({"status": "pending"}),
        json!({"status": "accepted"}),
    )))
    .push(Write::Create(audit_event(
        AuditScope::Practice(inv.practice_id),
        now,
        actor,
        "member.joined",
        Target::new("user", user.id),
        json!(null),
        with_consent(
            json!({"role_id": membership.access.role_id, "kind": membership.access.kind,
                "modules": membership.access.modules, "invitation_id": inv.id}),
            inv.license_consent.as_ref(),
        ),
    )))
    .push(Write::Create(outbox_event(
        now,
        EventType::InvitationAccepted,
        json!({"practice_id": inv.practice_id, "invitation_id": inv.id, "user_id": user.id}),
    )))
    .push(Write::Create(seat_added(now, inv.practice_id, user.id, inv.access.kind, inv.license_consent.as_ref())));
    module_events(tx, now, inv.practice_id, user.id, None, Some(&membership.access), inv.license_consent.as_ref());
    onboarding::schedule(tx, &membership);
    membership
}

/// How the invitee proved they own the invited address.
enum Proof {
    /// They followed the mailed link: that proves the mailbox, so an
    /// unverified address becomes verified in the same transaction.
    Link,
    /// From their own list: only a verified address may act (see `verified`).
    VerifiedAccount,
}

/// An invitation to accept, with the roles in force for the member it
/// makes (its custom role and the built-ins its practice adjusted, R23),
/// for the member view's permissions.
struct Accepting {
    invitation: Invitation,
    roles: Vec<Role>,
}

impl Accepting {
    /// `practice` and `role` as read beside the invitation; a custom role
    /// not among them (a link's token item names no role) is one read more.
    async fn new(
        app: &App,
        invitation: Invitation,
        practice: Option<Practice>,
        role: Option<Role>,
    ) -> Result<Self, DomainError> {
        let id = &invitation.access.role_id;
        let custom = match is_custom_role(id) {
            false => None,
            true if role.as_ref().is_some_and(|r| &r.id == id) => role,
            true => app.store.role(invitation.practice_id, id).await?,
        };
        let roles = practice.map(|p| p.roles_in_force(custom.into_iter().collect())).unwrap_or_default();
        Ok(Self { invitation, roles })
    }

    /// The invitation a link names, its practice read in the same batch.
    async fn by_link(app: &App, token: &str) -> Result<Self, DomainError> {
        let LinkPreview { invitation, practice, .. } =
            app.store.link_preview(&token_hash(token)?).await?.ok_or(DomainError::NotFound)?;
        Self::new(app, invitation, practice, None).await
    }
}

async fn accept(app: &App, caller: &Caller, accepting: Accepting, proof: Proof) -> Result<MemberView, DomainError> {
    let Accepting { invitation: inv, roles } = accepting;
    let now = app.now();
    ensure_open(&inv, now)?;
    // R10: bound to the invited email; a mismatch leaves it pending.
    if caller.user.email_norm != inv.email_norm {
        return Err(DomainError::InvitationEmailMismatch);
    }
    let mut tx = Tx::new();
    let mut user = caller.user.clone();
    if matches!(proof, Proof::Link) && !user.email_verified {
        user.email_verified = true;
        user.updated_at = now;
        user.version += 1;
        // Concurrent accepts of the same link race here too; the losers lost
        // the invitation, which is what they are told.
        tx.guarded(
            Write::Replace { record: Record::User(user.clone()), expected_version: caller.user.version },
            DomainError::InvitationNotPending,
        );
    }
    let membership = accept_writes(&mut tx, &inv, &user, now);
    commit(app, tx).await?;
    Ok(MemberView::new(&membership, &user, &roles))
}

/// `POST /invitations/{token}/accept`
pub async fn accept_by_token(app: &App, caller: &Caller, token: &str) -> Result<MemberView, DomainError> {
    accept(app, caller, Accepting::by_link(app, token).await?, Proof::Link).await
}

/// One of the caller's own invitations as the index (eventually
/// consistent) lists it, which says which practice it is in.
async fn listed(app: &App, caller: &Caller, id: InvitationId) -> Result<Invitation, DomainError> {
    open_to(app, caller).await?.into_iter().find(|i| i.id == id).ok_or(DomainError::NotFound)
}

/// The caller's own invitation as stored: the decision is made on a
/// consistent read.
fn own(caller: &Caller, read: Option<Invitation>) -> Result<Invitation, DomainError> {
    read.filter(|i| i.email_norm == caller.user.email_norm).ok_or(DomainError::NotFound)
}

/// `POST /me/invitations/{id}/accept` (R11): the consistent read of the
/// invitation, its practice and the custom role the listing names, in one
/// batch.
pub async fn accept_mine(app: &App, caller: &Caller, id: InvitationId) -> Result<MemberView, DomainError> {
    let listed = listed(app, caller, id).await?;
    let custom = stored_role_id(&listed.access.role_id);
    let read = app.store.invitation_to_accept(listed.practice_id, id, custom).await?;
    let accepting = Accepting::new(app, own(caller, read.invitation)?, read.practice, read.role).await?;
    accept(app, caller, accepting, Proof::VerifiedAccount).await
}

/// `POST /me/invitations/{id}/decline` (R11): stays visible to the practice
/// as declined.
pub async fn decline_mine(app: &App, caller: &Caller, id: InvitationId) -> Result<(), DomainError> {
    let listed = listed(app, caller, id).await?;
    let before = own(caller, app.store.invitation(listed.practice_id, id).await?)?;
    let now = app.now();
    ensure_open(&before, now)?;
    let tx = close(
        &before,
        now,
        InvitationStatus::Declined,
        Actor::user(&caller.user),
        "invitation.declined",
        EventType::InvitationDeclined,
    );
    commit(app, tx).await
}

/// `POST /invitations/{token}/decline` (R11): no session, since the link
/// proves the mailbox, so someone who never signs in can say no. Stays
/// visible to the practice as declined.
pub async fn decline_by_token(app: &App, token: &str) -> Result<(), DomainError> {
    let before = by_token(app, token).await?;
    let now = app.now();
    ensure_open(&before, now)?;
    let invitee = Actor { email: Some(before.email.clone()), ..Actor::system() };
    let tx =
        close(&before, now, InvitationStatus::Declined, invitee, "invitation.declined", EventType::InvitationDeclined);
    commit(app, tx).await
}

/// `GET /me/invitations`: pending and unexpired, with the practice's name,
/// `limit` a page in id order like every other list; the cursor is the last
/// id of the page before.
pub async fn my_invitations(
    app: &App,
    caller: &Caller,
    limit: usize,
    cursor: Option<&str>,
) -> Result<ListView<MyInvitationView>, DomainError> {
    let now = app.now();
    let after = match cursor {
        None => None,
        Some(c) => {
            Some(c.parse::<InvitationId>().map_err(|_| DomainError::field("cursor", "is not a cursor of this list"))?)
        }
    };
    let mut open: Vec<Invitation> =
        open_to(app, caller).await?.into_iter().filter(|i| after.is_none_or(|a| i.id > a)).collect();
    open.sort_by_key(|i| i.id);
    let more = open.len() > limit;
    open.truncate(limit);
    let next_cursor = more.then(|| open.last().map(|i| i.id.to_string())).flatten();
    let ids: Vec<_> = open.iter().map(|i| i.practice_id).collect();
    // Every one is to the caller's own address, so one mark serves them all.
    let (practices, mark) = futures::try_join!(app.store.practices(&ids), async {
        app.store.undeliverable(&caller.user.email_norm).await
    })?;
    let names: HashMap<_, _> = practices.into_iter().map(|p| (p.id, p.name)).collect();
    let items = open
        .iter()
        .filter_map(|i| {
            names.get(&i.practice_id).map(|n| MyInvitationView {
                invitation: InvitationView::new(i, now, mark.as_ref()),
                practice_name: n.clone(),
            })
        })
        .collect();
    Ok(ListView { items, next_cursor })
}

/// `POST /invitations/{token}/register` (R10): a new person creates their
/// account (email verified by the link), joins, and is signed in, in one
/// transaction.
///
/// The names and title default to the ones the practice typed (R11): a
/// field left out takes the invitation's, a field given is the person's.
pub async fn register(app: &App, token: &str, input: RegisterInput) -> Result<Registered, DomainError> {
    let Accepting { invitation: inv, roles } = Accepting::by_link(app, token).await?;
    let now = app.now();
    ensure_open(&inv, now)?;
    let mut e = Errors::new();
    let typed = |given: Option<String>, invited: &Option<String>| given.or_else(|| invited.clone());
    let first_name = e.required_name("first_name", typed(input.first_name, &inv.first_name).as_deref(), NAME_MAX);
    let last_name = e.required_name("last_name", typed(input.last_name, &inv.last_name).as_deref(), NAME_MAX);
    let title = e.optional_name("title", typed(input.title, &inv.title).as_deref(), TITLE_MAX);
    let password = e.password("password", input.password.as_deref(), &[&inv.email, &first_name, &last_name]);
    let user_agent = input.user_agent;
    if input.accept_terms != Some(true) {
        e.add("accept_terms", "must be true");
    }
    e.finish()?;
    // The link proved the mailbox (R10).
    let user = User {
        title,
        email_verified: true,
        ..User::new(
            inv.email.clone(),
            inv.email_norm.clone(),
            first_name,
            last_name,
            secrets::hash_password(&password)?,
            now,
        )
    };
    let (mut session, session_view) = new_session(&user, now, user_agent.as_deref());
    // R28: joining a practice that requires a second factor, the new
    // account may do nothing but enroll one first.
    session.enroll_only = inv.access.mfa_required;
    let mut tx = Tx::new();
    tx.guarded(
        Write::Create(Record::EmailClaim(EmailClaim { email_norm: user.email_norm.clone(), user_id: user.id })),
        DomainError::EmailTaken,
    )
    .guarded(Write::Create(Record::User(user.clone())), DomainError::EmailTaken)
    .push(Write::Put(Record::Session(session)))
    .push(Write::Create(audit_event(
        AuditScope::User(user.id),
        now,
        Actor::user(&user),
        "user.registered_from_invitation",
        Target::new("user", user.id),
        json!(null),
        json!({"email": user.email, "invitation_id": inv.id, "practice_id": inv.practice_id}),
    )));
    let membership = accept_writes(&mut tx, &inv, &user, now);
    commit(app, tx).await?;
    Ok(Registered {
        user: UserView::from(&user),
        member: MemberView::new(&membership, &user, &roles),
        session: session_view,
    })
}
