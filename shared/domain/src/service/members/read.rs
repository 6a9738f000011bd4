//! Reading members (R2, R22): the list, paged, filtered and searched in the
//! store, and one member.

use crate::error::DomainError;
use crate::ids::UserId;
use crate::model::*;
use crate::permissions::USERS_VIEW;
use crate::ports::{App, MemberFilter};
use crate::service::context::{custom_role_of, MemberCtx};
use crate::service::views::{ListView, MemberView};
use std::collections::HashMap;

/// `?status=` of the members list (R22).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberListStatus {
    Active,
    Deactivated,
    Locked,
    All,
}

impl MemberListStatus {
    pub fn parse(s: Option<&str>) -> Result<Self, DomainError> {
        match s.unwrap_or("active") {
            "active" => Ok(Self::Active),
            "deactivated" => Ok(Self::Deactivated),
            "locked" => Ok(Self::Locked),
            "all" => Ok(Self::All),
            _ => Err(DomainError::field("status", "must be one of active, deactivated, locked, all")),
        }
    }
}

pub struct MemberQuery {
    pub status: MemberListStatus,
    pub q: Option<String>,
    pub limit: usize,
    pub cursor: Option<String>,
}

/// `GET /practices/{pid}/members` (users.view, R22), in user-id order. The
/// store filters on the status, the search text and the lock (both kept on
/// each membership), and its cursor is the last member returned: no member
/// is skipped or repeated.
pub async fn list_members(app: &App, ctx: &MemberCtx, query: MemberQuery) -> Result<ListView<MemberView>, DomainError> {
    ctx.require(USERS_VIEW)?;
    let contains = crate::validate::search_text(query.q.as_deref())?;
    let status = match query.status {
        MemberListStatus::Active => Some(MemberStatus::Active),
        MemberListStatus::Deactivated => Some(MemberStatus::Deactivated),
        MemberListStatus::Locked | MemberListStatus::All => None,
    };
    let store_filter = MemberFilter { status, contains, locked_only: query.status == MemberListStatus::Locked };
    let (roles, page) = futures::try_join!(ctx.roles(app), async {
        app.store
            .members(ctx.practice.id, &store_filter, query.limit, query.cursor.as_deref())
            .await
            .map_err(DomainError::from)
    },)?;
    let ids: Vec<UserId> = page.items.iter().map(|m| m.user_id).collect();
    let users: HashMap<UserId, User> = app.store.users(&ids).await?.into_iter().map(|u| (u.id, u)).collect();
    let items =
        page.items.iter().filter_map(|m| users.get(&m.user_id).map(|u| MemberView::new(m, u, &roles))).collect();
    Ok(ListView { items, next_cursor: page.next })
}

/// `GET /practices/{pid}/members/{uid}`: oneself, or anyone with users.view.
pub async fn get_member(app: &App, ctx: &MemberCtx, uid: UserId) -> Result<MemberView, DomainError> {
    if let Some(own) = ctx.membership.as_ref().filter(|m| m.user_id == uid) {
        // The permissions this request runs with are the membership's, from
        // its role as read for the request: no need to read the role again.
        return Ok(MemberView::with_permissions(own, &ctx.caller.user, ctx.permissions.clone()));
    }
    ctx.require(USERS_VIEW)?;
    let (Some(m), Some(u)) = app.store.member_and_user(ctx.practice.id, uid).await? else {
        return Err(DomainError::NotFound);
    };
    let custom = custom_role_of(app, &ctx.practice, &m.access.role_id).await?;
    Ok(MemberView::new(&m, &u, &custom))
}

#[cfg(test)]
mod tests {
    use super::*;

    // R22
    #[test]
    fn the_list_takes_the_four_statuses() {
        assert_eq!(MemberListStatus::parse(None).ok(), Some(MemberListStatus::Active));
        assert_eq!(MemberListStatus::parse(Some("all")).ok(), Some(MemberListStatus::All));
        assert!(MemberListStatus::parse(Some("pending")).is_err());
    }
}
