//! The table's change stream as the delivery function reads it: which
//! records hold outbox items, and the item each holds. The event source
//! mapping's filter (infra/template.yaml) passes only inserts of outbox
//! keys; the same test is made here, since a local poller, a replay or a
//! changed filter may hand over anything, and anything else is ignored.

use super::entity::Entity;
pub use super::entity::OUTBOX_KEY_PREFIX;
use super::keys::{PK, TYPE};
use roster_domain::error::PortError;
use roster_domain::model::OutboxItem;
use serde_dynamo::AttributeValue;

/// The stream's name for a new item; anything else (MODIFY, REMOVE, a TTL
/// deletion, a name added later) is no new outbox item.
pub const INSERT: &str = "INSERT";

fn text<'a>(image: &'a serde_dynamo::Item, name: &str) -> Option<&'a str> {
    match image.get(name) {
        Some(AttributeValue::S(s)) => Some(s),
        _ => None,
    }
}

/// The outbox item a stream record's new image holds: `None` if it holds
/// none (another kind of item, or a change that is not an insert), an error
/// if it claims to be one and cannot be read as one.
pub fn outbox_item(event_name: &str, image: &serde_dynamo::Item) -> Option<Result<OutboxItem, PortError>> {
    let is_outbox = event_name == INSERT
        && text(image, TYPE) == Some(OutboxItem::TYPE)
        && text(image, PK).is_some_and(|pk| pk.starts_with(OUTBOX_KEY_PREFIX));
    is_outbox.then(|| {
        serde_dynamo::from_item(image.clone()).map_err(|e| PortError::Backend(format!("decoding outbox item: {e}")))
    })
}

/// The new image the stream carries for `item` when it is inserted: for
/// what feeds the delivery function without a stream (the tests on DynamoDB
/// Local, whose writes slow down with every stream record it keeps).
pub fn image_of(item: &OutboxItem) -> Result<serde_dynamo::Item, PortError> {
    super::codec::to_item(item).map(serde_dynamo::Item::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::codec::to_item;
    use crate::dynamo::fixtures as fx;

    fn image(item: &OutboxItem) -> serde_dynamo::Item {
        image_of(item).expect("item")
    }

    #[test]
    fn an_inserted_outbox_item_reads_back_as_written() {
        let item = fx::outbox();
        let read = outbox_item(INSERT, &image(&item)).map(|r| r.ok());
        assert_eq!(read, Some(Some(item)));
    }

    #[test]
    fn other_changes_and_other_items_are_none_and_a_bad_image_an_error() {
        let image = image(&fx::outbox());
        for name in ["MODIFY", "REMOVE", "", "TTL"] {
            assert!(outbox_item(name, &image).is_none(), "{name}");
        }
        let user = serde_dynamo::Item::from(to_item(&fx::user()).expect("item"));
        assert!(outbox_item(INSERT, &user).is_none());
        let mut broken = image.clone();
        broken.insert("payload".into(), AttributeValue::S("not a payload".into()));
        assert!(matches!(outbox_item(INSERT, &broken), Some(Err(_))));
        assert!(outbox_item(INSERT, &serde_dynamo::Item::from(crate::dynamo::codec::Item::new())).is_none());
    }
}
