//! Emergency access (R50, HIPAA 164.312(a)(2)(ii) "break-the-glass"): one
//! member's time-boxed use of the practice policy's emergency permission
//! set, across all locations, reviewed afterwards by a director.

use crate::clock::Time;
use crate::error::DomainError;
use crate::ids::{EmergencyAccessId, PracticeId, UserId};
use crate::validate::Errors;
use chrono::Duration;
use serde::{Deserialize, Serialize};

/// R50: the reason must say something; the upper bound keeps one record
/// (and the directors' mail) small.
pub const REASON_MIN_CHARS: usize = 10;
pub const REASON_MAX_CHARS: usize = 1000;
pub const NOTE_MAX_CHARS: usize = 2000;

/// 409 `emergency_access_open`: the member already has one open (one at a
/// time, R50), or a director reviews one still open (a review sees the
/// whole use, so it waits for the end).
pub const ALREADY_OPEN: DomainError = DomainError::Conflict("emergency_access_open");
/// 409 on a second review: a review is a signed statement, never rewritten.
pub const ALREADY_REVIEWED: DomainError = DomainError::Conflict("already_reviewed");
/// 409 for a director: they hold every key already, so an emergency
/// access would add nothing but noise in the directors' review queue.
pub const DIRECTOR_HOLDS_ALL: DomainError = DomainError::Conflict("director_holds_all");

/// Why the glass was broken: trimmed, `REASON_MIN_CHARS..=REASON_MAX_CHARS`
/// characters, plain text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Reason(String);

impl Reason {
    pub fn parse(raw: Option<&str>) -> Result<Self, DomainError> {
        let mut e = Errors::new();
        let text = e.required_text("reason", raw, REASON_MAX_CHARS);
        if !text.is_empty() && text.chars().count() < REASON_MIN_CHARS {
            e.add("reason", &format!("must be at least {REASON_MIN_CHARS} characters"));
        }
        e.finish()?;
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub by: UserId,
    pub at: Time,
    pub note: String,
}

impl Review {
    /// A director's review: the note trimmed, 1..=`NOTE_MAX_CHARS`
    /// characters, plain text.
    pub fn new(by: UserId, at: Time, note: Option<&str>) -> Result<Self, DomainError> {
        let mut e = Errors::new();
        let note = e.required_text("note", note, NOTE_MAX_CHARS);
        e.finish()?;
        Ok(Self { by, at, note })
    }
}

/// Which uses a list names (`?status=`, R50). `Unreviewed` (the default)
/// is the directors' review queue, the open ones among it; `Open` those
/// not yet ended, as of the read (a run-out one the sweep has not stamped
/// is left out); `All` the practice's whole history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EmergencyList {
    Open,
    #[default]
    Unreviewed,
    All,
}

impl EmergencyList {
    pub fn parse(raw: Option<&str>) -> Result<Self, DomainError> {
        match raw {
            None => Ok(Self::default()),
            Some("open") => Ok(Self::Open),
            Some("unreviewed") => Ok(Self::Unreviewed),
            Some("all") => Ok(Self::All),
            Some(_) => Err(DomainError::field("status", "must be one of open, unreviewed, all")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmergencyAccess {
    pub id: EmergencyAccessId,
    pub practice_id: PracticeId,
    pub user_id: UserId,
    pub reason: Reason,
    pub opened_at: Time,
    pub ends_at: Time,
    /// When it was closed by the member, a director or the sweep; `None`
    /// while open, and also when it simply ran out and the sweep has not
    /// come by yet (see `open_at`).
    pub ended_at: Option<Time>,
    pub review: Option<Review>,
    /// The permission set it adds, copied from the policy when opened: a
    /// later policy change neither widens nor narrows an access in flight.
    pub permissions: Vec<String>,
    /// Closing and reviewing replace it at the version they read, so a
    /// second review or a close racing the sweep fails its condition.
    pub version: u64,
}

/// How many emergency accesses one member may open in one practice within
/// a day (R50). Each open mails every director and lends the policy's set:
/// a member who keeps breaking the glass is asking for a role, not an
/// emergency, and an account taken over must not flood the directors. More
/// is `429 rate_limited` until the oldest of the day is a day old.
pub const EMERGENCY_OPENS_PER_DAY: usize = 5;

/// The member's open emergency access, at a key made of the practice and
/// the member: read with the session in the auth bundle's one BatchGetItem
/// (no extra read per request), and the lock that keeps one open at a time
/// (created, or replaced once expired or ended, at the version read: R50).
/// Reads check `ends_at` themselves; the TTL only tidies. An ended access
/// keeps its pointer (ended at its end) so that `opened` still counts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmergencyPointer {
    pub practice_id: PracticeId,
    pub user_id: UserId,
    pub access_id: EmergencyAccessId,
    pub ends_at: Time,
    pub permissions: Vec<String>,
    /// The access's `opened_at` in milliseconds: whoever ends the access
    /// knows it without reading the pointer, and a later access's pointer
    /// never has the same.
    pub version: u64,
    /// When this member opened the accesses of the last day, this one
    /// included, oldest first: the count `EMERGENCY_OPENS_PER_DAY` bounds.
    /// The TTL, a day after the last end, drops it only when all are older.
    #[serde(default)]
    pub opened: Vec<Time>,
}

impl EmergencyPointer {
    /// The pointer to `a`, just opened, after `before` (the member's
    /// previous pointer, if still stored).
    pub fn of(a: &EmergencyAccess, before: Option<&EmergencyPointer>) -> Self {
        let day_before = a.opened_at - Duration::days(1);
        let mut opened: Vec<Time> =
            before.map(|b| b.opened.iter().copied().filter(|t| *t > day_before).collect()).unwrap_or_default();
        opened.push(a.opened_at);
        Self {
            practice_id: a.practice_id,
            user_id: a.user_id,
            access_id: a.id,
            ends_at: a.ends_at,
            permissions: a.permissions.clone(),
            version: pointer_version(a.opened_at),
            opened,
        }
    }

    pub fn open_at(&self, now: Time) -> bool {
        self.ends_at > now
    }

    /// Whether one more may be opened at `now` (`EMERGENCY_OPENS_PER_DAY`).
    pub fn may_open_another(&self, now: Time) -> bool {
        let day_before = now - Duration::days(1);
        self.opened.iter().filter(|t| **t > day_before).count() < EMERGENCY_OPENS_PER_DAY
    }

    /// The same pointer, its access ended at `at`: it lends nothing from
    /// then on, and still counts the day's opens. Same version: it still
    /// names the same access.
    pub fn ended(&self, at: Time) -> Self {
        Self { ends_at: at.min(self.ends_at), ..self.clone() }
    }
}

pub fn pointer_version(opened_at: Time) -> u64 {
    u64::try_from(opened_at.timestamp_millis()).unwrap_or(0)
}

impl EmergencyAccess {
    pub fn open(
        practice_id: PracticeId,
        user_id: UserId,
        reason: Reason,
        now: Time,
        max_minutes: u32,
        permissions: Vec<String>,
    ) -> Self {
        Self {
            id: EmergencyAccessId::new(),
            practice_id,
            user_id,
            reason,
            opened_at: now,
            ends_at: now + Duration::minutes(i64::from(max_minutes)),
            ended_at: None,
            review: None,
            permissions,
            version: 1,
        }
    }

    /// Open until closed or past `ends_at`, whatever the sweep has done
    /// (every read checks expiry itself, R50, R35).
    pub fn open_at(&self, now: Time) -> bool {
        self.ended_at.is_none() && self.ends_at > now
    }

    /// When it ended or will end: the earlier of the close and `ends_at`.
    pub fn effective_end(&self) -> Time {
        self.ended_at.map_or(self.ends_at, |e| e.min(self.ends_at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(min: i64) -> Time {
        chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(min)
    }

    #[test]
    fn reason_is_trimmed_and_bounded() {
        assert_eq!(Reason::parse(Some("  patient collapsed  ")).unwrap().as_str(), "patient collapsed");
        for bad in [None, Some(""), Some("   short   "), Some(&"x".repeat(REASON_MAX_CHARS + 1)[..])] {
            assert!(matches!(Reason::parse(bad), Err(DomainError::Validation(_))), "{bad:?}");
        }
        assert!(Reason::parse(Some(&"x".repeat(REASON_MIN_CHARS))).is_ok());
    }

    #[test]
    fn open_until_closed_or_past_its_end() {
        let reason = Reason::parse(Some("cardiac arrest in room 2")).unwrap();
        let mut a = EmergencyAccess::open(PracticeId::new(), UserId::new(), reason, t(0), 30, vec![]);
        assert_eq!(a.ends_at, t(30));
        assert!(a.open_at(t(29)) && !a.open_at(t(30)));
        a.ended_at = Some(t(10));
        assert!(!a.open_at(t(11)));
        assert_eq!(a.effective_end(), t(10));
        let p = EmergencyPointer::of(&a, None);
        assert!(p.open_at(t(29)) && !p.open_at(t(30)));
        assert_eq!(p.version, pointer_version(t(0)));
        let ended = p.ended(t(10));
        assert!(!ended.open_at(t(10)));
        assert_eq!((ended.version, ended.access_id, &ended.opened), (p.version, p.access_id, &p.opened));
        assert_eq!(p.ended(t(40)).ends_at, t(30), "never later than it was");
    }

    // R50: a member opens at most EMERGENCY_OPENS_PER_DAY in any day.
    #[test]
    fn opens_are_counted_over_the_last_day() {
        let reason = Reason::parse(Some("cardiac arrest in room 2")).unwrap();
        let (pid, uid) = (PracticeId::new(), UserId::new());
        let at = |min: i64| EmergencyAccess::open(pid, uid, reason.clone(), t(min), 5, vec![]);
        let mut p = EmergencyPointer::of(&at(0), None);
        for i in 1..EMERGENCY_OPENS_PER_DAY as i64 {
            assert!(p.may_open_another(t(i * 10)), "open {i}");
            p = EmergencyPointer::of(&at(i * 10), Some(&p));
        }
        assert_eq!(p.opened.len(), EMERGENCY_OPENS_PER_DAY);
        assert!(!p.may_open_another(t(60)));
        // Once the first is a day old, one more may open, and the pointer
        // then forgets the first.
        assert!(!p.may_open_another(t(24 * 60 - 1)));
        assert!(p.may_open_another(t(24 * 60)));
        let next = EmergencyPointer::of(&at(24 * 60), Some(&p));
        assert_eq!(next.opened.len(), EMERGENCY_OPENS_PER_DAY);
        assert_eq!(next.opened.first(), Some(&t(10)));
    }

    #[test]
    fn a_review_note_is_trimmed_and_bounded() {
        let by = UserId::new();
        assert_eq!(Review::new(by, t(0), Some("  looked right  ")).unwrap().note, "looked right");
        for bad in [None, Some(""), Some("   "), Some(&"x".repeat(NOTE_MAX_CHARS + 1)[..])] {
            assert!(matches!(Review::new(by, t(0), bad), Err(DomainError::Validation(_))), "{bad:?}");
        }
        assert!(Review::new(by, t(0), Some(&"x".repeat(NOTE_MAX_CHARS))).is_ok());
    }

    #[test]
    fn a_list_status_is_one_of_three_and_defaults_to_the_review_queue() {
        assert_eq!(EmergencyList::parse(None).unwrap(), EmergencyList::Unreviewed);
        assert_eq!(EmergencyList::parse(Some("open")).unwrap(), EmergencyList::Open);
        assert_eq!(EmergencyList::parse(Some("all")).unwrap(), EmergencyList::All);
        assert!(matches!(EmergencyList::parse(Some("OPEN")), Err(DomainError::Validation(_))));
    }
}
