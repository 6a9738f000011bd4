use chrono::{DateTime, SubsecRound, Utc};

/// An instant, in UTC: every time Roster stores or compares.
pub type Time = DateTime<Utc>;

/// Time source. The sweep takes "now" from its scheduled event (R34) and tests
/// move time forward, so nothing reads the system clock directly.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        // Millisecond precision keeps stored times and RFC 3339 output stable.
        Utc::now().trunc_subsecs(3)
    }
}

/// A clock pinned to one instant.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}
