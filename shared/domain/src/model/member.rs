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

/// A member's name as one practice writes it on clinical notes and
/// signatures (R14): the practice's own, so that one practice renaming a
/// locum changes nothing another practice shows, and the person's own
/// names stay theirs (`PATCH /me`). Stored as the membership's
/// `display_name` and `title`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PracticeName {
    pub display_name: String,
    #[serde(default)]
    pub title: Option<String>,
}

impl PracticeName {
    /// The user's own name and title, as they are when they join.
    pub fn of(user: &User) -> Self {
        Self { display_name: user.display_name(), title: user.title.clone() }
    }
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
    /// The name this practice knows the member by (R14). `None` only on a
    /// membership stored before practices named their members: it is then
    /// known by the user's own name and title (see [`Membership::name`]),
    /// so nothing stored needs migrating. (Flattened, an `Option` reads as
    /// `None` when its fields are absent.)
    #[serde(flatten)]
    pub name: Option<PracticeName>,
    /// Lower-cased names and email of the member's user, for the members
    /// search (R22) to filter in the store. Only the copies of the user
    /// ([`Write::MirrorUser`](crate::ports::Write::MirrorUser), and
    /// [`Write::ReplaceMirrored`](crate::ports::Write::ReplaceMirrored) when
    /// the user changes with the membership) change it after creation, so
    /// an access change never overwrites it. The practice's own name is
    /// searched beside it, never in it.
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
            name: Some(PracticeName::of(user)),
            search: Self::search_text(user),
            locked: user.locked,
            user_version: user.version,
            email: user.email.clone(),
        }
    }

    /// The name the practice shows for this member: its own, or for a
    /// membership stored before there was one, the user's.
    pub fn name(&self, user: &User) -> PracticeName {
        self.name.clone().unwrap_or_else(|| PracticeName::of(user))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Kind;
    use crate::ids::LocationId;

    fn ada() -> User {
        let now = chrono::Utc::now();
        User {
            title: Some("Dr".into()),
            ..User::new("ada@b.example".into(), "ada@b.example".into(), "Ada".into(), "Byron".into(), "!".into(), now)
        }
    }

    // R14: a membership stored before practices named their members reads
    // back unnamed and shows the user's name and title; one stored since
    // reads back with the practice's, title cleared or not.
    #[test]
    fn a_membership_without_a_stored_name_shows_the_users() {
        let user = ada();
        let mut m = Membership::new(
            PracticeId::new(),
            &user,
            Access::new(Kind::Staff, "front_desk", LocationId::new()),
            user.created_at,
        );
        m.name = Some(PracticeName { display_name: "Ada Lovelace".into(), title: None });
        let stored = serde_json::to_value(&m).unwrap();
        assert_eq!(
            (stored["display_name"].clone(), stored["title"].clone()),
            (serde_json::json!("Ada Lovelace"), serde_json::Value::Null)
        );
        let back: Membership = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.name(&user), PracticeName { display_name: "Ada Lovelace".into(), title: None });

        let mut old = stored;
        if let Some(o) = old.as_object_mut() {
            o.remove("display_name");
            o.remove("title");
        }
        let back: Membership = serde_json::from_value(old).unwrap();
        assert_eq!(back.name, None);
        assert_eq!(back.access, m.access);
        assert_eq!(back.name(&user), PracticeName { display_name: "Ada Byron".into(), title: Some("Dr".into()) });
    }
}
