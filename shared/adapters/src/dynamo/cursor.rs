//! Opaque cursors: the sort key of the last item returned, base64url'd so
//! clients treat them as opaque. A decoded cursor must name an item of the
//! list it is used on.

use super::codec::Item;
use super::keys::SK;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use roster_domain::error::{DomainError, PortError};

pub fn encode(sk: &str) -> String {
    URL_SAFE_NO_PAD.encode(sk.as_bytes())
}

/// The cursor that resumes right after `item`.
pub fn after(item: &Item) -> Option<String> {
    item.get(SK).and_then(|v| v.as_s().ok()).map(|sk| encode(sk))
}

/// The sort key a cursor names, if it is one of a list whose sort keys are
/// `prefix` and a uuid; anything else is the client's mistake.
pub fn decode(cursor: &str, prefix: &str) -> Result<String, PortError> {
    let bad = || PortError::Conflict(DomainError::field("cursor", "is not a cursor this list gave out"));
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let sk = String::from_utf8(bytes).map_err(|_| bad())?;
    let rest = sk.strip_prefix(prefix).ok_or_else(bad)?;
    rest.parse::<uuid::Uuid>().map_err(|_| bad())?;
    Ok(sk)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::entity::{EVENT_PREFIX, MEMBER_PREFIX};

    #[test]
    fn cursors_round_trip_and_reject_forgeries() {
        let sk = "MEMBER#0190c3c8-6b1d-7c4e-9a0f-123456789abc";
        let c = encode(sk);
        assert_eq!(decode(&c, MEMBER_PREFIX).ok().as_deref(), Some(sk));
        assert!(decode(&c, EVENT_PREFIX).is_err());
        assert!(decode("!!!", MEMBER_PREFIX).is_err());
        assert!(decode(&encode("MEMBER#not-a-uuid"), MEMBER_PREFIX).is_err());
    }

    #[test]
    fn the_cursor_after_an_item_is_its_sort_key() {
        let item = Item::from([(SK.to_string(), crate::dynamo::codec::s("EVENT#x"))]);
        assert_eq!(after(&item), Some(encode("EVENT#x")));
        assert_eq!(after(&Item::new()), None);
    }
}
