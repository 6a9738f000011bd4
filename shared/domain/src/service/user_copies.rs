//! The copies of a user that live on their memberships: the search text of
//! the members list (R22) and the lock (R25). Whatever changes the user
//! writes the copies with it: in its transaction when they fit, else by a
//! task right after it (R37).

use crate::ids::{EventId, PracticeId};
use crate::model::*;
use crate::ports::{FanOut, Record, Write};

/// The copy of `user` onto membership `m`, its search text included unless
/// `lock_only`. `only_if_newer` for a copy made after the change, which
/// must not overwrite a later change's own.
pub fn mirror(m: &Membership, user: &User, lock_only: bool, only_if_newer: bool) -> Write {
    Write::MirrorUser {
        practice_id: m.practice_id,
        user_id: m.user_id,
        search: (!lock_only).then(|| Membership::search_text(user)),
        locked: user.locked,
        user_version: user.version,
        only_if_newer,
    }
}

/// `audit` as recorded in each practice of `memberships` that is active,
/// each event with the id `id_for` gives it in that practice.
pub fn practice_audits<'a>(
    memberships: &'a [Membership],
    audit: &'a PracticeAudit,
    id_for: impl Fn(PracticeId) -> EventId + 'a,
) -> impl Iterator<Item = Write> + 'a {
    memberships.iter().filter(|m| m.is_active()).map(move |m| {
        Write::Put(Record::Audit(audit.event(AuditScope::Practice(m.practice_id), id_for(m.practice_id))))
    })
}

/// What `user` (as it will be stored once the change commits) fans out to:
/// its copy on each of `memberships` and, with `audit`, the event in each
/// practice the user is active in.
pub fn copy_user(memberships: &[Membership], user: &User, audit: Option<PracticeAudit>) -> FanOut {
    fan_out(memberships, user, audit, false)
}

/// As `copy_user` for a lock, which is written without reading the user
/// under its version: the copies carry the lock alone, so names read
/// before a concurrent rename never overwrite the rename's.
pub fn copy_lock(memberships: &[Membership], locked: &User, audit: PracticeAudit) -> FanOut {
    fan_out(memberships, locked, Some(audit), true)
}

fn fan_out(memberships: &[Membership], user: &User, audit: Option<PracticeAudit>, lock_only: bool) -> FanOut {
    let mut writes: Vec<Write> = memberships.iter().map(|m| mirror(m, user, lock_only, false)).collect();
    if let Some(a) = &audit {
        writes.extend(practice_audits(memberships, a, |_| EventId::new()));
    }
    // The task reads the user when it runs, names and all.
    FanOut { writes, task: Task::CopyUser { user_id: user.id, audit } }
}
