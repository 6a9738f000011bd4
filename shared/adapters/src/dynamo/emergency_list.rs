//! A practice's emergency accesses as a list reads them (R50): one Query of
//! one key range, newest first. The whole history is the practice
//! partition's `EMERGENCY#` range; the review queue is its GSI1 partition,
//! whose `OPEN#` part is the uses not yet ended. One member's are those of
//! the range with their `user_id`, so each page costs one Query whatever
//! it finds.

use super::codec::{decode, s, Item};
use super::cursor;
use super::entity::{unreviewed_pk, Primary, EMERGENCY_PREFIX, QUEUE_ENDED, QUEUE_OPEN};
use super::keys::{practice_pk, GSI1PK, GSI1SK};
use super::read::{Filter, QuerySpec};
use super::DynamoStore;
use roster_domain::error::PortError;
use roster_domain::ids::{PracticeId, UserId};
use roster_domain::model::{EmergencyAccess, EmergencyList};
use roster_domain::ports::Page;

/// The sort-key parts a list's items (and so its cursors) have.
fn parts(list: EmergencyList) -> &'static [&'static str] {
    match list {
        EmergencyList::All => &[EMERGENCY_PREFIX],
        EmergencyList::Unreviewed => &[QUEUE_OPEN, QUEUE_ENDED],
        EmergencyList::Open => &[QUEUE_OPEN],
    }
}

impl DynamoStore {
    pub(super) async fn emergency_page(
        &self,
        practice: PracticeId,
        list: EmergencyList,
        user: Option<UserId>,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<EmergencyAccess>, PortError> {
        let mut q = match list {
            EmergencyList::All => QuerySpec::table(practice_pk(practice), EMERGENCY_PREFIX, false),
            EmergencyList::Unreviewed => QuerySpec::gsi1(unreviewed_pk(practice), ""),
            EmergencyList::Open => QuerySpec::gsi1(unreviewed_pk(practice), QUEUE_OPEN),
        };
        q.forward = false;
        if let Some(user) = user {
            q.filters = vec![Filter {
                expression: "#user_id = :user_id",
                names: &[("#user_id", "user_id")],
                value: (":user_id", s(user.to_string())),
            }];
        }
        let start = cursor.map(|c| start_key(practice, list, c)).transpose()?;
        let (items, last, _) = self.query_page(&q, Some(limit), start).await?;
        let next =
            last.as_ref().and_then(|k| k.get(q.sk_attr)).and_then(|v| v.as_s().ok()).map(|sk| cursor::encode(sk));
        let items = items.into_iter().map(decode).collect::<Result<Vec<_>, _>>()?;
        Ok(Page { items, next })
    }
}

/// The key a cursor of `list` resumes after: a sort key of one of the
/// list's parts and a uuid, or the client's mistake. On GSI1 the start key
/// is the index's key and the item's own.
fn start_key(practice: PracticeId, list: EmergencyList, c: &str) -> Result<Item, PortError> {
    let mut found = Err(PortError::Backend("a list without parts".into()));
    for part in parts(list) {
        found = cursor::decode(c, part).map(|sk| (*part, sk));
        if found.is_ok() {
            break;
        }
    }
    let (part, sk) = found?;
    if list == EmergencyList::All {
        return Ok(Primary::new(practice_pk(practice), sk).item());
    }
    let id = &sk[part.len()..];
    let mut key = Primary::new(practice_pk(practice), format!("{EMERGENCY_PREFIX}{id}")).item();
    key.insert(GSI1PK.to_string(), s(unreviewed_pk(practice)));
    key.insert(GSI1SK.to_string(), s(sk));
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::keys::SK;

    #[test]
    fn a_cursor_holds_to_its_list() {
        let pid = PracticeId::new();
        let id = uuid::Uuid::now_v7();
        let ended = cursor::encode(&format!("{QUEUE_ENDED}{id}"));
        let key = start_key(pid, EmergencyList::Unreviewed, &ended).expect("the queue's");
        assert_eq!(key.get(SK), Some(&s(format!("{EMERGENCY_PREFIX}{id}"))));
        assert_eq!(key.get(GSI1SK), Some(&s(format!("{QUEUE_ENDED}{id}"))));
        assert!(start_key(pid, EmergencyList::Open, &ended).is_err(), "not an open one's");
        assert!(start_key(pid, EmergencyList::All, &ended).is_err(), "not the history's");
        let history = cursor::encode(&format!("{EMERGENCY_PREFIX}{id}"));
        assert_eq!(start_key(pid, EmergencyList::All, &history).expect("the history's").len(), 2);
    }
}
