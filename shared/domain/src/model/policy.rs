//! A practice's security policy (R48, R50): stored on the practice item,
//! which every request in the practice reads already with its session, so
//! a change holds from the next request at no extra read.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::ops::RangeInclusive;

/// R48: how long a session may go unused in a practice, in minutes.
pub const SESSION_IDLE_MINUTES: RangeInclusive<u32> = 5..=1440;
pub const SESSION_IDLE_DEFAULT: u32 = 60;
/// R50: how long one emergency access may last, in minutes.
pub const EMERGENCY_MINUTES: RangeInclusive<u32> = 1..=480;
pub const EMERGENCY_MINUTES_DEFAULT: u32 = 240;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityPolicy {
    /// Every member without a second factor may only enroll, in this
    /// practice, until they have one (R28).
    pub require_mfa: bool,
    pub session_idle_minutes: u32,
    pub emergency_access: EmergencyPolicy,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        Self {
            require_mfa: false,
            session_idle_minutes: SESSION_IDLE_DEFAULT,
            emergency_access: EmergencyPolicy::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmergencyPolicy {
    pub enabled: bool,
    /// Catalogue keys an open emergency access adds, across all locations.
    pub permissions: BTreeSet<String>,
    pub max_minutes: u32,
}

impl Default for EmergencyPolicy {
    fn default() -> Self {
        Self { enabled: false, permissions: BTreeSet::new(), max_minutes: EMERGENCY_MINUTES_DEFAULT }
    }
}
