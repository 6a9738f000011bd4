//! Records to items and back: serde_dynamo for the record's own fields, its
//! entity for the keys, index keys, TTL and `type` around them.

use super::entity::{self, Entity};
use super::keys::{DISPLAY_SEARCH, GSI1PK, GSI1SK, GSI2PK, GSI2SK, PK, SK, TTL, TYPE};
use aws_sdk_dynamodb::types::AttributeValue;
use roster_domain::error::PortError;
use roster_domain::ports::Record;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub fn encode<T: Serialize>(value: &T) -> Result<Item, PortError> {
    serde_dynamo::to_item(value).map_err(|e| PortError::Backend(format!("encoding item: {e}")))
}

pub fn decode<T: DeserializeOwned>(item: Item) -> Result<T, PortError> {
    serde_dynamo::from_item(item).map_err(|e| PortError::Backend(format!("decoding item: {e}")))
}

pub fn decode_all<T: DeserializeOwned>(items: Vec<Item>) -> Result<Vec<T>, PortError> {
    items.into_iter().map(decode).collect()
}

/// The record's own fields plus its placement attributes and `type`.
pub fn to_item<T: Entity>(record: &T) -> Result<Item, PortError> {
    let mut item = encode(record)?;
    let p = record.placement();
    item.insert(PK.into(), s(p.primary.pk));
    item.insert(SK.into(), s(p.primary.sk));
    item.insert(TYPE.into(), s(T::TYPE));
    if let Some(k) = p.gsi1 {
        item.insert(GSI1PK.into(), s(k.pk));
        item.insert(GSI1SK.into(), s(k.sk));
    }
    if let Some(k) = p.gsi2 {
        item.insert(GSI2PK.into(), s(k.pk));
        item.insert(GSI2SK.into(), s(k.sk));
    }
    if let Some(ttl) = p.ttl {
        item.insert(TTL.into(), n(ttl));
    }
    if let Some(text) = p.display_search {
        item.insert(DISPLAY_SEARCH.into(), s(text));
    }
    Ok(item)
}

/// `to_item` of a record of any kind.
pub fn record_item(record: &Record) -> Result<Item, PortError> {
    entity::stored(record).item()
}

/// The item's `type`, if it has one.
pub fn item_type(item: &Item) -> Option<&str> {
    item.get(TYPE).and_then(|v| v.as_s().ok()).map(String::as_str)
}
