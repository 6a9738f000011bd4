use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($name:ident) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// v7: ids sort by creation time, which keeps listings stable.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(UserId);
id_type!(PracticeId);
id_type!(LocationId);
id_type!(InvitationId);
id_type!(EventId);
id_type!(SessionId);
id_type!(EmergencyAccessId);

impl EventId {
    /// An id made from this one and `salt`, the same every time: what a
    /// task that may run twice writes under, so a second run overwrites
    /// rather than adds (R37). It keeps this id's time prefix, so it sorts
    /// where this one does.
    pub fn derived(self, salt: Uuid) -> EventId {
        use sha2::{Digest, Sha256};
        let digest = Sha256::new().chain_update(self.0.as_bytes()).chain_update(salt.as_bytes()).finalize();
        let mut bytes = [0u8; 16];
        bytes[..6].copy_from_slice(&self.0.as_bytes()[..6]);
        bytes[6..].copy_from_slice(&digest[..10]);
        EventId(uuid::Builder::from_custom_bytes(bytes).into_uuid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_derived_id_is_stable_distinct_per_salt_and_sorts_with_its_parent() {
        let parent = EventId::new();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(parent.derived(a), parent.derived(a));
        assert_ne!(parent.derived(a), parent.derived(b));
        assert_eq!(parent.derived(a).0.as_bytes()[..6], parent.0.as_bytes()[..6]);
        let later = EventId(Uuid::from_u128(parent.0.as_u128() + (1u128 << 80)));
        assert!(parent.derived(a) < later.derived(a));
    }
}
