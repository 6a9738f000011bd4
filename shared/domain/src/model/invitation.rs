//! Invitations (R5..R13): the offer of an [`Access`] to an email, the
//! slot that keeps one per practice and email, and the link's token.

use super::license::LicenseConsent;
use super::member::{Membership, PracticeName};
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
    /// R45: the inviter's acceptance of the license terms, for an
    /// invitation that will add a paid seat. Kept until the invitation is
    /// accepted, when the seat is added and the consent recorded with it.
    /// `None` for staff, and for invitations sent before R45.
    #[serde(default)]
    pub license_consent: Option<LicenseConsent>,
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
    /// The invited address, so that the preview reads the invitation and
    /// whether the address has an account in one round trip. `None` on
    /// items written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_norm: Option<String>,
    /// When the item may be cleaned up: the invitation's expiry plus 30 days.
    pub keep_until: Time,
}

impl Membership {
    /// The only way an accepted invitation becomes a member (R10..R12): the
    /// membership holds exactly the access the invitation offered. (Written
    /// here, beside the invitation, so that memberships need not know of
    /// invitations.)
    ///
    /// The practice's name for the member is the one it typed on the
    /// invitation ("full name as it should appear on clinical notes and
    /// signatures"), field by field, whatever the person calls themselves;
    /// what it left out is the person's own.
    pub fn from_invitation(inv: &Invitation, user: &User, now: Time) -> Self {
        let first = inv.first_name.as_deref().unwrap_or(&user.first_name);
        let last = inv.last_name.as_deref().unwrap_or(&user.last_name);
        let name = PracticeName {
            display_name: format!("{first} {last}").trim().to_string(),
            title: inv.title.clone().or_else(|| user.title.clone()),
        };
        Self { name: Some(name), ..Self::new(inv.practice_id, user, inv.access.clone(), now) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Kind;
    use crate::ids::LocationId;

    fn invitation(first: Option<&str>, last: Option<&str>, title: Option<&str>) -> Invitation {
        let now = chrono::Utc::now();
        Invitation {
            id: InvitationId::new(),
            practice_id: PracticeId::new(),
            email: "jo@clinic.example".into(),
            email_norm: "jo@clinic.example".into(),
            title: title.map(str::to_string),
            first_name: first.map(str::to_string),
            last_name: last.map(str::to_string),
            access: Access::new(Kind::Practitioner, "clinician", LocationId::new()),
            status: InvitationStatus::Pending,
            token_hash: "hash".into(),
            invited_by: InvitedBy { user_id: UserId::new(), name: "Director".into() },
            created_at: now,
            expires_at: now,
            resend_count: 0,
            resent_at: Vec::new(),
            accepted_at: None,
            revoked_at: None,
            declined_at: None,
            license_consent: None,
            version: 1,
        }
    }

    fn jo() -> User {
        let now = chrono::Utc::now();
        User {
            title: Some("Mx".into()),
            ..User::new(
                "jo@clinic.example".into(),
                "jo@clinic.example".into(),
                "Jo".into(),
                "Bloggs".into(),
                "!".into(),
                now,
            )
        }
    }

    // R14: the practice's name for the member is what it typed on the
    // invitation, field by field; what it left out is the person's own.
    #[test]
    fn the_member_is_named_as_the_practice_invited_them() {
        let now = chrono::Utc::now();
        let typed = invitation(Some("Joanna"), Some("Bloggs-Smith"), Some("Dr"));
        let m = Membership::from_invitation(&typed, &jo(), now);
        assert_eq!(m.name, Some(PracticeName { display_name: "Joanna Bloggs-Smith".into(), title: Some("Dr".into()) }));

        let first_only = invitation(Some("Joanna"), None, None);
        let m = Membership::from_invitation(&first_only, &jo(), now);
        assert_eq!(m.name, Some(PracticeName { display_name: "Joanna Bloggs".into(), title: Some("Mx".into()) }));

        let nothing = invitation(None, None, None);
        let m = Membership::from_invitation(&nothing, &jo(), now);
        assert_eq!(m.name, Some(PracticeName { display_name: "Jo Bloggs".into(), title: Some("Mx".into()) }));
    }
}

/// R52: one part of a bulk invitation's answer, kept under the caller's
/// `Idempotency-Key` so that a retry answers it again. Part 0 is written
/// first, empty (`parts == 0`), as the claim on the key: its create is
/// what stops two concurrent retries from both inviting. The answer is
/// split over parts so that no item nears DynamoDB's 400 KB.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkAnswer {
    pub practice_id: PracticeId,
    pub user_id: UserId,
    /// SHA-256 of the key as sent: whatever a client puts in it, the
    /// table's keys only see hex.
    pub key_hash: String,
    pub part: u32,
    /// SHA-256 of what was asked, so the same key with another body is
    /// told apart from a retry.
    pub body_hash: String,
    /// How many parts the whole answer has (on part 0); 0 while the first
    /// request is still inviting.
    pub parts: u32,
    pub results: Vec<serde_json::Value>,
    /// The TTL; a read past it treats the key as unused.
    pub expires_at: Time,
    /// On an unanswered claim (part 0, `parts` 0): until when its request
    /// may still be running. A claim whose request died (a crash, a
    /// timeout) may be taken over after it, so a retry is never stuck.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<Time>,
    pub version: u64,
}
