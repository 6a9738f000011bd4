//! The table's attribute names and what several records share: the
//! partitions `USER#` and `PRACTICE#`, and the fixed-width time in sort keys.
//! Each record's own keys are spelled beside it, in `entity/`.

use roster_domain::ids::{PracticeId, UserId};

pub const PK: &str = "PK";
pub const SK: &str = "SK";
pub const GSI1: &str = "GSI1";
pub const GSI1PK: &str = "GSI1PK";
pub const GSI1SK: &str = "GSI1SK";
pub const GSI2: &str = "GSI2";
pub const GSI2PK: &str = "GSI2PK";
pub const GSI2SK: &str = "GSI2SK";
pub const TTL: &str = "ttl";
/// Which record an item holds, for people reading the table.
pub const TYPE: &str = "type";
/// The attribute `Store::count_attempt` counts in.
pub const FAILURES: &str = "failures";

/// A named member's display name, lower-cased, for the members search.
pub const DISPLAY_SEARCH: &str = "display_search";

/// Attributes derived from a record's state (index keys, TTL, search text),
/// present on an item only while its state calls for them; a `Replace`
/// removes those its new placement lacks.
pub const PLACEMENT_ATTRIBUTES: [&str; 6] = [GSI1PK, GSI1SK, GSI2PK, GSI2SK, TTL, DISPLAY_SEARCH];

/// Sort keys that order by time must sort as strings: fixed-width epoch
/// milliseconds (RFC 3339 from chrono varies in its fraction digits).
pub fn time_key(t: chrono::DateTime<chrono::Utc>) -> String {
    format!("{:015}", t.timestamp_millis())
}

/// The partition of a user's profile, sessions and failure streak, and the
/// GSI1 partition of their memberships.
pub fn user_pk(id: UserId) -> String {
    format!("USER#{id}")
}

/// The partition of a practice and everything it holds.
pub fn practice_pk(id: PracticeId) -> String {
    format!("PRACTICE#{id}")
}
