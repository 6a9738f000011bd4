//! Onboarding mails (R44): three mails to whoever joins a practice, each
//! kept in the table until its day, when the sweep sends or drops it.

use super::member::Membership;
use crate::clock::Time;
use crate::ids::{PracticeId, UserId};
use chrono::Duration;
use serde::{Deserialize, Serialize};

/// One mail of the series, in the order they are due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnboardingStep {
    /// Day 1: complete your profile.
    Profile,
    /// Day 3: secure your account with two-factor sign-in.
    TwoFactor,
    /// Day 7: getting started with the practice.
    GettingStarted,
}

impl OnboardingStep {
    pub const ALL: [OnboardingStep; 3] = [Self::Profile, Self::TwoFactor, Self::GettingStarted];

    /// Days after joining that the mail is due (R44).
    pub fn day(self) -> i64 {
        match self {
            Self::Profile => 1,
            Self::TwoFactor => 3,
            Self::GettingStarted => 7,
        }
    }

    /// Its name in keys and logs.
    pub fn slug(self) -> &'static str {
        match self {
            Self::Profile => "profile",
            Self::TwoFactor => "two_factor",
            Self::GettingStarted => "getting_started",
        }
    }
}

/// How long past its day a mail may still go out. Later (the sweep stopped
/// for weeks) a "day 1" mail would only confuse; it is dropped unsent, and
/// the item's TTL is the same day, so the table tidies what no sweep read.
pub const ONBOARDING_KEEP_DAYS: i64 = 30;

/// One onboarding mail waiting for its day (R44). Nothing of the mail is
/// kept but whom and when: the practice's name, the person's name and
/// whether to send at all are read when it is due.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnboardingMail {
    pub practice_id: PracticeId,
    pub user_id: UserId,
    pub step: OnboardingStep,
    pub due_at: Time,
    /// The join it belongs to (its time in epoch milliseconds): the sweep
    /// deletes the item under this version, so of two sweeps sending it
    /// one does, and a series made anew is never taken for the old one.
    pub version: u64,
}

impl OnboardingMail {
    /// The series for a membership that begins now, one mail per step.
    pub fn series(m: &Membership) -> Vec<Self> {
        let version = u64::try_from(m.joined_at.timestamp_millis()).unwrap_or(1);
        OnboardingStep::ALL
            .into_iter()
            .map(|step| Self {
                practice_id: m.practice_id,
                user_id: m.user_id,
                step,
                due_at: m.joined_at + Duration::days(step.day()),
                version,
            })
            .collect()
    }

    /// The last moment it may still be sent; also when TTL removes it.
    pub fn keep_until(&self) -> Time {
        self.due_at + Duration::days(ONBOARDING_KEEP_DAYS)
    }

    /// Too late to send, whatever TTL has done yet (R35's read-time check).
    pub fn stale_at(&self, now: Time) -> bool {
        now >= self.keep_until()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Access, Kind};
    use crate::ids::LocationId;
    use crate::model::user::User;

    // R44: day 1, 3 and 7 after joining, in that order; stale a month on.
    #[test]
    fn a_join_schedules_day_one_three_and_seven() {
        let now = chrono::Utc::now();
        let user = User::new("a@b.example".into(), "a@b.example".into(), "A".into(), "B".into(), "!".into(), now);
        let m =
            Membership::new(PracticeId::new(), &user, Access::new(Kind::Staff, "front_desk", LocationId::new()), now);
        let series = OnboardingMail::series(&m);
        let days: Vec<_> = series.iter().map(|s| (s.step, s.due_at - now)).collect();
        assert_eq!(
            days,
            vec![
                (OnboardingStep::Profile, Duration::days(1)),
                (OnboardingStep::TwoFactor, Duration::days(3)),
                (OnboardingStep::GettingStarted, Duration::days(7)),
            ]
        );
        assert!(series.iter().all(|s| s.user_id == user.id && s.version == now.timestamp_millis() as u64));
        let first = &series[0];
        assert!(!first.stale_at(first.due_at + Duration::days(29)));
        assert!(first.stale_at(first.due_at + Duration::days(30)));
    }
}
