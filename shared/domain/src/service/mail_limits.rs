//! Mail a user can make Roster send, counted per hour (R39, R41): the count
//! is a write in the transaction that sends, under the version read, so of
//! racing requests no two count as the same one.

use crate::ids::UserId;
use crate::model::{SentMails, Time, TokenPurpose};
use crate::ports::{Record, Write};

/// The write that counts one more mail of `purpose` at `now`, its link of
/// `epoch`, after `previous`; `None` when `per_hour` were sent within the
/// hour before (see `SentMails::with_one_more`).
pub fn count_one_more(
    previous: Option<&SentMails>,
    user: UserId,
    purpose: TokenPurpose,
    now: Time,
    per_hour: usize,
    epoch: Option<u64>,
) -> Option<Write> {
    let counted = SentMails::with_one_more(previous, user, purpose, now, per_hour, epoch)?;
    Some(match previous {
        None => Write::Create(Record::SentMails(counted)),
        Some(before) => Write::Replace { record: Record::SentMails(counted), expected_version: before.version },
    })
}
