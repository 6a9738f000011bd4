//! A membership (R1, R14..R22): a user's place in one practice, holding
//! an [`Access`].

use super::practice::Role;
use super::user::User;
use crate::access::Access;
use crate::clock::Time;
use crate::ids::{PracticeId, UserId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    Active,
    Deactivated,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    pub practice_id: PracticeId,
    pub user_id: UserId,
    #[serde(flatten)]
    pub access: Access,
    pub status: MemberStatus,
    pub joined_at: Time,
    #[serde(default)]
    pub deactivated_at: Option<Time>,
    pub version: u64,
    /// Lower-cased names and email of the member's user, for the members
    /// search (R22) to filter in the store. Only [`Write::MirrorUser`](crate::ports::Write::MirrorUser)
    /// changes it after creation, so an access change never overwrites it.
    #[serde(default)]
    pub search: String,
    /// The user's lock (R25), mirrored like `search` so that the members
    /// list filters on it in the store (R22). Only the list reads it: every
    /// access decision reads the user, so a copy not yet made (R37) never
    /// lets anyone in.
    #[serde(default)]
    pub locked: bool,
    /// The user version `search` and `locked` were copied from, so a late
    /// copy never overwrites a newer one (R37).
    #[serde(default)]
    pub user_version: u64,
    /// The user's email (it never changes), so that mail to a practice's
    /// directors needs no read of their users.
    #[serde(default)]
    pub email: String,
}

impl Membership {
    /// A new active membership of `user` holding `access`.
    pub fn new(practice_id: PracticeId, user: &User, access: Access, now: Time) -> Self {
        Self {
            practice_id,
            user_id: user.id,
            access,
            status: MemberStatus::Active,
            joined_at: now,
            deactivated_at: None,
            version: 1,
            search: Self::search_text(user),
            locked: user.locked,
            user_version: user.version,
            email: user.email.clone(),
        }
    }

    pub fn is_active(&self) -> bool {
        self.status == MemberStatus::Active
    }

    /// R1 for this membership, the one place every check and every view
    /// gets a member's permissions from.
    pub fn permissions(&self, custom: &[Role]) -> Vec<String> {
        self.access.permissions(self.is_active(), custom)
    }

    pub fn search_text(u: &User) -> String {
        format!("{} {}\n{}", u.first_name, u.last_name, u.email_norm).to_lowercase()
    }
}
