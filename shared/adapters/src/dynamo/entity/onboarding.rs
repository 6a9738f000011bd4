//! Onboarding mails waiting for their day (R44), in the practice's
//! partition beside the membership they follow.

use super::{Entity, Keyed, Placement, Primary};
use crate::dynamo::keys::{practice_pk, time_key};
use crate::dynamo::shard::{Sharded, SparseIndex};
use roster_domain::ids::{PracticeId, UserId};
use roster_domain::model::{OnboardingMail, OnboardingStep};

/// The GSI2 list of onboarding mails by due time, for the sweep (R44).
pub const DUE_ONBOARDING: Sharded = Sharded::new(SparseIndex::Gsi2, "DUE#ONBOARDING");

impl Keyed for OnboardingMail {
    type KeyInput<'a> = (PracticeId, UserId, OnboardingStep);
    fn primary_key((practice_id, user_id, step): (PracticeId, UserId, OnboardingStep)) -> Primary {
        Primary::new(practice_pk(practice_id), format!("ONBOARDING#{user_id}#{}", step.slug()))
    }
}

impl Entity for OnboardingMail {
    const TYPE: &'static str = "onboarding_mail";
    const KEPT_BY_REPLACE: &'static [&'static str] = &[];
    fn placement(&self) -> Placement {
        let primary = Self::primary_key((self.practice_id, self.user_id, self.step));
        Placement {
            // GSI2: the sweep's due list, read by key range up to now; the
            // sort key is unique per mail, so pages resume exactly after one.
            gsi2: Some(DUE_ONBOARDING.key(
                &primary,
                format!("{}#{}#{}#{}", time_key(self.due_at), self.practice_id, self.user_id, self.step.slug()),
            )),
            // A backstop: the sweep deletes each when it sends or drops it,
            // and past this day it would drop it unsent anyway.
            ttl: Some(self.keep_until().timestamp()),
            ..Placement::new(primary)
        }
    }
    fn version(&self) -> Option<u64> {
        Some(self.version)
    }
}
