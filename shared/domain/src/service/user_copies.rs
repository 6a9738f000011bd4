//! The copies of a user that live on their memberships: the search text of
//! the members list (R22) and the lock (R25). Whatever changes the user
//! writes the copies in the same transaction.

use crate::model::*;
use crate::ports::{Tx, Write};

/// The writes that keep every membership's copy of `user` in step with it.
pub fn copy_user_onto(tx: &mut Tx, memberships: &[Membership], user: &User) {
    let search = Membership::search_text(user);
    for m in memberships {
        tx.push(Write::MirrorUser {
            practice_id: m.practice_id,
            user_id: m.user_id,
            search: search.clone(),
            locked: user.locked,
        });
    }
}

/// The audit scopes of the practices a user is an active member of.
pub fn active_practice_scopes(memberships: &[Membership]) -> impl Iterator<Item = AuditScope> + '_ {
    memberships.iter().filter(|m| m.is_active()).map(|m| AuditScope::Practice(m.practice_id))
}
