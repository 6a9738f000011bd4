//! Invitations (R5..R13): the offer of an [`Access`] to an email, the
//! slot that keeps one per practice and email, and the link's token.

use super::member::Membership;
use super::record::InvitedBy;
use super::user::User;
use crate::access::Access;
use crate::clock::Time;
use crate::ids::{InvitationId, PracticeId, UserId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Declined,
    Revoked,
    Expired,
}

impl InvitationStatus {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "accepted" => Self::Accepted,
            "declined" => Self::Declined,
            "revoked" => Self::Revoked,
            "expired" => Self::Expired,
            _ => return None,
        })
    }
}

/// An offer of membership to an email address, carrying everything the
/// membership will hold (R5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: InvitationId,
    pub practice_id: PracticeId,
    pub email: String,
    pub email_norm: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(flatten)]
    pub access: Access,
    pub status: InvitationStatus,
    /// SHA-256 of the link's token (R7); the token itself is never stored.
    pub token_hash: String,
    pub invited_by: InvitedBy,
    pub created_at: Time,
    pub expires_at: Time,
    #[serde(default)]
    pub resend_count: u32,
    /// When each resend happened, for the hourly limit (R8).
    #[serde(default)]
    pub resent_at: Vec<Time>,
    #[serde(default)]
    pub accepted_at: Option<Time>,
    #[serde(default)]
    pub revoked_at: Option<Time>,
    #[serde(default)]
    pub declined_at: Option<Time>,
    pub version: u64,
}

impl Invitation {
    /// The status as of `now`: a pending invitation past its expiry is
    /// expired whatever the state of the sweep (R7, R35).
    pub fn status_at(&self, now: Time) -> InvitationStatus {
        if self.status == InvitationStatus::Pending && self.expires_at <= now {
            InvitationStatus::Expired
        } else {
            self.status
        }
    }
}

/// The one place a (practice, email) pair is held: by a pending invitation
/// until it expires, or by a member (R6). Claiming it is the condition that
/// makes "no member, at most one pending invitation" race-free.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailSlot {
    pub practice_id: PracticeId,
    pub email_norm: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation_id: Option<InvitationId>,
    /// Epoch milliseconds, compared numerically in the claim's condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
}

impl EmailSlot {
    pub fn invitation(i: &Invitation) -> Self {
        Self {
            practice_id: i.practice_id,
            email_norm: i.email_norm.clone(),
            invitation_id: Some(i.id),
            expires_ms: Some(i.expires_at.timestamp_millis()),
            user_id: None,
        }
    }
    pub fn member(practice_id: PracticeId, email_norm: &str, user_id: UserId) -> Self {
        Self {
            practice_id,
            email_norm: email_norm.to_string(),
            invitation_id: None,
            expires_ms: None,
            user_id: Some(user_id),
        }
    }
}

/// Finds an invitation from its link's token hash, with a strongly
/// consistent read (an index could lag behind a resend).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationToken {
    pub token_hash: String,
    pub practice_id: PracticeId,
    pub invitation_id: InvitationId,
    /// When the item may be cleaned up: the invitation's expiry plus 30 days.
    pub keep_until: Time,
}

impl Membership {
    /// The only way an accepted invitation becomes a member (R10..R12): the
    /// membership holds exactly the access the invitation offered. (Written
    /// here, beside the invitation, so that memberships need not know of
    /// invitations.)
    pub fn from_invitation(inv: &Invitation, user: &User, now: Time) -> Self {
        Self::new(inv.practice_id, user, inv.access.clone(), now)
    }
}
