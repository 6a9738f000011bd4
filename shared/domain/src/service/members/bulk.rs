//! Several members' changes committed together (R21's bulk reactivation):
//! as few transactions as DynamoDB's 100 writes allow, instead of one each.
//! A transaction may write an item only once, so the writes every change
//! makes to the same item (the practice's counters, a role's holders, the
//! acting member's check) become one write of their sum.

use crate::ports::{Tx, Write, MAX_WRITES};

/// Whether `a` and `b` address the same item as writes the merge adds up.
fn same_shared_item(a: &Write, b: &Write) -> bool {
    match (a, b) {
        (Write::AdjustCounters { practice_id: p, .. }, Write::AdjustCounters { practice_id: q, .. }) => p == q,
        (
            Write::AdjustRoleHolders { practice_id: p, role_id: r, .. },
            Write::AdjustRoleHolders { practice_id: q, role_id: s, .. },
        ) => p == q && r == s,
        (Write::CheckMember { .. }, Write::CheckMember { .. }) => a == b,
        _ => false,
    }
}

/// The writes of `changes` as one transaction: shared items once, with the
/// error of the first change that wrote them.
pub(super) fn merge(changes: impl IntoIterator<Item = Tx>) -> Tx {
    let mut out = Tx::new();
    for (write, on_conflict) in changes.into_iter().flat_map(|tx| tx.writes) {
        match (out.writes.iter_mut().find(|(w, _)| same_shared_item(w, &write)), write) {
            (Some((Write::AdjustCounters { delta: sum, .. }, _)), Write::AdjustCounters { delta, .. }) => {
                *sum = *sum + delta
            }
            (Some((Write::AdjustRoleHolders { delta: sum, .. }, _)), Write::AdjustRoleHolders { delta, .. }) => {
                *sum += delta
            }
            (Some(_), _) => {}
            (None, write) => out.writes.push((write, on_conflict)),
        }
    }
    out
}

/// How many writes `changes` merge into.
fn merged_len<'a>(changes: impl IntoIterator<Item = &'a Tx>) -> usize {
    let mut shared: Vec<&Write> = Vec::new();
    let mut len = 0;
    for (write, _) in changes.into_iter().flat_map(|tx| &tx.writes) {
        if !shared.iter().any(|s| same_shared_item(s, write)) {
            len += 1;
            if matches!(
                write,
                Write::AdjustCounters { .. } | Write::AdjustRoleHolders { .. } | Write::CheckMember { .. }
            ) {
                shared.push(write);
            }
        }
    }
    len
}

/// `changes` in order, cut into runs that each merge into at most
/// `MAX_WRITES` writes (a change too big for a run of its own runs alone).
pub(super) fn chunked<T>(changes: Vec<(T, Tx)>) -> Vec<Vec<(T, Tx)>> {
    let mut runs: Vec<Vec<(T, Tx)>> = Vec::new();
    for change in changes {
        let fits = runs.last().is_some_and(|run| {
            merged_len(run.iter().map(|(_, tx)| tx).chain(std::iter::once(&change.1))) <= MAX_WRITES
        });
        match (fits, runs.last_mut()) {
            (true, Some(run)) => run.push(change),
            _ => runs.push(vec![change]),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{PracticeId, UserId};
    use crate::model::CounterDelta;
    use crate::ports::Key;

    fn change(p: PracticeId, actor: UserId, role: &str) -> Tx {
        let mut tx = Tx::new();
        tx.push(Write::Delete(Key::User(UserId::new())))
            .push(Write::AdjustCounters {
                practice_id: p,
                delta: CounterDelta { staff_seats: 1, ..Default::default() },
            })
            .push(Write::AdjustRoleHolders { practice_id: p, role_id: role.into(), delta: 1 })
            .push(Write::CheckMember { practice_id: p, user_id: actor, version: 3 });
        tx
    }

    // Shared items are written once, with the sum of the changes' deltas.
    #[test]
    fn shared_items_add_up() {
        let (p, actor) = (PracticeId::new(), UserId::new());
        let tx = merge([change(p, actor, "a"), change(p, actor, "a"), change(p, actor, "b")]);
        let writes: Vec<&Write> = tx.writes.iter().map(|(w, _)| w).collect();
        assert_eq!(writes.len(), 3 + 1 + 2 + 1, "{writes:?}");
        assert!(writes.contains(&&Write::AdjustCounters {
            practice_id: p,
            delta: CounterDelta { staff_seats: 3, ..Default::default() }
        }));
        assert!(writes.contains(&&Write::AdjustRoleHolders { practice_id: p, role_id: "a".into(), delta: 2 }));
        assert!(writes.contains(&&Write::AdjustRoleHolders { practice_id: p, role_id: "b".into(), delta: 1 }));
        assert_eq!(merged_len([&change(p, actor, "a"), &change(p, actor, "a")]), tx.len() - 2);
    }

    // Runs stay within DynamoDB's 100 writes: 4 + 1 per further change
    // that shares everything but its own write.
    #[test]
    fn runs_fit_one_transaction() {
        let (p, actor) = (PracticeId::new(), UserId::new());
        let runs = chunked((0..150).map(|i| (i, change(p, actor, "a"))).collect());
        let sizes: Vec<usize> = runs.iter().map(|r| r.len()).collect();
        assert_eq!(sizes, [97, 53]);
        assert_eq!(runs.iter().flatten().map(|(i, _)| *i).collect::<Vec<_>>(), (0..150).collect::<Vec<_>>());
        for run in runs {
            assert!(merge(run.into_iter().map(|(_, tx)| tx)).len() <= MAX_WRITES);
        }
    }
}
