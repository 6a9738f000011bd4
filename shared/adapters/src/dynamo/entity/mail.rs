//! Addresses mail is no longer sent to (issue 14), beside the email's claim
//! in its `EMAIL#` partition. Written only by single UpdateItems and
//! DeleteItems (`dynamo/undeliverable.rs`), never by a transaction, so a
//! report, a skipped mail and a lifted mark never fail each other.

use super::{Entity, Keyed, Placement, Primary};
use roster_domain::model::Undeliverable;

impl Keyed for Undeliverable {
    type KeyInput<'a> = &'a str;
    fn primary_key(email_norm: &str) -> Primary {
        Primary::new(format!("EMAIL#{email_norm}"), "UNDELIVERABLE")
    }
}

impl Entity for Undeliverable {
    const TYPE: &'static str = "undeliverable";
    const KEPT_BY_REPLACE: &'static [&'static str] = &[];
    fn placement(&self) -> Placement {
        Placement::new(Self::primary_key(&self.email_norm))
    }
    fn version(&self) -> Option<u64> {
        None
    }
}
