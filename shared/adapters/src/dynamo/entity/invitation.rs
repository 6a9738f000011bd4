//! Invitations, the (practice, email) slots that keep them unique, and the
//! link tokens that find them.

use super::{Entity, IndexKey, Keyed, Placement, Primary};
use crate::dynamo::keys::{practice_pk, time_key};
use crate::dynamo::shard::{Sharded, SparseIndex};
use roster_domain::ids::{InvitationId, PracticeId, UserId};
use roster_domain::model::{BulkAnswer, EmailSlot, Invitation, InvitationStatus, InvitationToken};

pub const INVITE_PREFIX: &str = "INVITE#";
/// The GSI2 list of pending invitations by expiry, for the sweep (R34).
pub const DUE_INVITATIONS: Sharded = Sharded::new(SparseIndex::Gsi2, "DUE#INVITATION");

/// GSI1 partition of the pending invitations to an email (R11).
pub fn invitee_pk(email_norm: &str) -> String {
    format!("INVITEE#{email_norm}")
}

fn invitation_sk(id: InvitationId) -> String {
    format!("{INVITE_PREFIX}{id}")
}

impl Keyed for Invitation {
    type KeyInput<'a> = (PracticeId, InvitationId);
    fn primary_key((practice_id, id): (PracticeId, InvitationId)) -> Primary {
        Primary::new(practice_pk(practice_id), invitation_sk(id))
    }
}

impl Entity for Invitation {
    const TYPE: &'static str = "invitation";
    const KEPT_BY_REPLACE: &'static [&'static str] = &[];
    fn placement(&self) -> Placement {
        // What the practice searches an invitation by (R47): the names it
        // typed and the address, lower-cased.
        let names = [&self.first_name, &self.last_name].into_iter().flatten().cloned().collect::<Vec<_>>().join(" ");
        let primary = Self::primary_key((self.practice_id, self.id));
        let due = DUE_INVITATIONS.key(&primary, format!("{}#{}", time_key(self.expires_at), self.id));
        let base = Placement {
            display_search: Some(format!("{names}\n{}", self.email_norm).to_lowercase()),
            ..Placement::new(primary)
        };
        if self.status != InvitationStatus::Pending {
            return base;
        }
        // Pending only: the invitee's list (GSI1, R11), the sweep's due list
        // (GSI2, R34), and listable for 30 days past expiry (R35).
        Placement {
            gsi1: Some(IndexKey::new(invitee_pk(&self.email_norm), invitation_sk(self.id))),
            gsi2: Some(due),
            ttl: Some((self.expires_at + chrono::Duration::days(30)).timestamp()),
            ..base
        }
    }
    fn version(&self) -> Option<u64> {
        Some(self.version)
    }
}

/// Held by a pending invitation or a member (R6); taken and freed only by
/// `PutSlot` and `ReleaseSlot`, whose conditions read its fields.
impl Keyed for EmailSlot {
    type KeyInput<'a> = (PracticeId, &'a str);
    fn primary_key((practice_id, email_norm): (PracticeId, &str)) -> Primary {
        Primary::new(practice_pk(practice_id), format!("SLOT#{email_norm}"))
    }
}

impl Entity for EmailSlot {
    const TYPE: &'static str = "slot";
    const KEPT_BY_REPLACE: &'static [&'static str] = &[];
    fn placement(&self) -> Placement {
        Placement::new(Self::primary_key((self.practice_id, &self.email_norm)))
    }
    fn version(&self) -> Option<u64> {
        None
    }
}

impl Keyed for InvitationToken {
    type KeyInput<'a> = &'a str;
    fn primary_key(token_hash: &str) -> Primary {
        Primary::new(format!("INVTOKEN#{token_hash}"), "INVTOKEN")
    }
}

impl Entity for InvitationToken {
    const TYPE: &'static str = "invitation_token";
    const KEPT_BY_REPLACE: &'static [&'static str] = &[];
    fn placement(&self) -> Placement {
        Placement { ttl: Some(self.keep_until.timestamp()), ..Placement::new(Self::primary_key(&self.token_hash)) }
    }
    fn version(&self) -> Option<u64> {
        None
    }
}

/// A bulk invitation's answer (R52), in the practice's partition beside
/// its invitations, by caller and key: the same key from another member or
/// practice is another request.
impl Keyed for BulkAnswer {
    type KeyInput<'a> = (PracticeId, UserId, &'a str, u32);
    fn primary_key((practice_id, user_id, key_hash, part): (PracticeId, UserId, &str, u32)) -> Primary {
        Primary::new(practice_pk(practice_id), format!("BULK#{user_id}#{key_hash}#{part}"))
    }
}

impl Entity for BulkAnswer {
    const TYPE: &'static str = "bulk_answer";
    const KEPT_BY_REPLACE: &'static [&'static str] = &[];
    fn placement(&self) -> Placement {
        let primary = Self::primary_key((self.practice_id, self.user_id, &self.key_hash, self.part));
        Placement { ttl: Some(self.expires_at.timestamp()), ..Placement::new(primary) }
    }
    fn version(&self) -> Option<u64> {
        Some(self.version)
    }
}
