//! R52's `Idempotency-Key`: a bulk invitation's answer kept for a day under
//! (practice, caller, key), so that a client which lost the answer (a
//! timeout, a dropped connection) can ask again and invite no one twice.

use crate::error::DomainError;
use crate::model::BulkAnswer;
use crate::ports::{App, Key, Record, Tx, Write};
use crate::secrets;
use crate::service::context::MemberCtx;
use crate::service::writes::commit;
use chrono::Duration;
use serde_json::Value;

/// How long a retry answers the first answer: a client retries within
/// minutes; a day covers a batch job rerun the next morning's stand-up
/// would not, and the TTL cleans up after it.
pub const KEPT_HOURS: i64 = 24;
/// The longest key taken (Stripe's, and what a UUID or a file's hash needs).
pub const KEY_MAX: usize = 255;
/// An answer part's room, well inside DynamoDB's 400 KB an item.
const PART_BYTES: usize = 300_000;

/// How long a claim's request may still be running: the invite function's
/// 29 s `Timeout` and a minute's margin for clocks and retries in flight.
/// Past it, the request that claimed the key is dead (crashed, timed out)
/// and a retry takes the claim over.
pub const LEASE_SECONDS: i64 = 89;

/// This request holds the key: its answer is to be kept with [`finish`], or
/// the key let go with [`release`].
pub struct Claim(BulkAnswer);

pub enum Begun {
    /// First use of the key (or one whose answer expired, or whose request
    /// died before answering): go ahead.
    Fresh(Claim),
    /// The key's first request finished: its answer, again.
    Replay(Vec<Value>),
}

/// Claim `key` for this request, or find what it answered. The claim is a
/// create conditioned on the item's absence, so of two requests racing
/// with one key one invites and the other is told to retry (`409
/// idempotency_in_progress`, while the claim's lease runs); the same key
/// with another body is `422 idempotency_key_reused`.
pub async fn begin(app: &App, ctx: &MemberCtx, key: &str, body_hash: String) -> Result<Begun, DomainError> {
    if key.is_empty() || key.len() > KEY_MAX || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(DomainError::field("Idempotency-Key", &format!("must be 1 to {KEY_MAX} visible ASCII characters")));
    }
    let (pid, uid) = (ctx.practice.id, ctx.caller.user.id);
    let key_hash = secrets::sha256_hex(key);
    let now = app.now();
    let found = app.store.bulk_answer(pid, uid, &key_hash, 1).await?.into_iter().next();
    if let Some(first) = found.as_ref().filter(|a| a.expires_at > now) {
        if first.body_hash != body_hash {
            return Err(DomainError::IdempotencyKeyReused);
        }
        match first.parts {
            // A claim from before leases has none: its request is long over.
            0 if first.lease_until.is_some_and(|lease| lease > now) => return Err(in_progress()),
            0 => {}
            1 => return Ok(Begun::Replay(first.results.clone())),
            n => {
                let parts = app.store.bulk_answer(pid, uid, &key_hash, n).await?;
                if parts.len() != n as usize {
                    return Err(in_progress());
                }
                return Ok(Begun::Replay(parts.into_iter().flat_map(|p| p.results).collect()));
            }
        }
    }
    let claim = BulkAnswer {
        practice_id: pid,
        user_id: uid,
        key_hash,
        part: 0,
        body_hash,
        parts: 0,
        results: Vec::new(),
        expires_at: now + Duration::hours(KEPT_HOURS),
        lease_until: Some(now + Duration::seconds(LEASE_SECONDS)),
        version: 1,
    };
    // An expired answer the TTL has not yet removed, or a claim whose lease
    // ran out, is taken over on its version, as an absent one is created:
    // either way one request wins. The dead request's rows that committed
    // are met again by the rerun, each as its own 409 (R6).
    let (write, claim) = match found {
        Some(old) => {
            let claim = BulkAnswer { version: old.version + 1, ..claim };
            (Write::Replace { record: Record::BulkAnswer(claim.clone()), expected_version: old.version }, claim)
        }
        None => (Write::Create(Record::BulkAnswer(claim.clone())), claim),
    };
    let mut tx = Tx::new();
    tx.guarded(write, in_progress());
    commit(app, tx).await?;
    Ok(Begun::Fresh(Claim(claim)))
}

fn in_progress() -> DomainError {
    DomainError::Conflict("idempotency_in_progress")
}

/// Keep `results` under the claimed key: part 0 (the claim, on its
/// version, its lease done) and as many more parts as the answer fills, in
/// one transaction.
pub async fn finish(app: &App, claim: Claim, results: &[Value]) -> Result<(), DomainError> {
    let Claim(first) = claim;
    let chunks = split(results);
    let parts = u32::try_from(chunks.len()).map_err(|_| DomainError::Internal("answer too large".into()))?;
    let mut tx = Tx::new();
    for (part, chunk) in (0..parts).zip(chunks) {
        let answer = BulkAnswer { part, parts, results: chunk, lease_until: None, ..first.clone() };
        match part {
            0 => tx.guarded(
                Write::Replace {
                    record: Record::BulkAnswer(BulkAnswer { version: first.version + 1, ..answer }),
                    expected_version: first.version,
                },
                in_progress(),
            ),
            _ => tx.push(Write::Put(Record::BulkAnswer(answer))),
        };
    }
    commit(app, tx).await
}

/// Let the key go unanswered, so that a retry runs the request again at
/// once: for an answer that is not the request's to keep (a row failed on
/// our side, or the request did). On the claim's version: a claim taken
/// over meanwhile is the other request's.
pub async fn release(app: &App, claim: Claim) -> Result<(), DomainError> {
    let Claim(c) = claim;
    let key = Key::BulkAnswer(c.practice_id, c.user_id, c.key_hash, 0);
    let mut tx = Tx::new();
    tx.guarded(Write::DeleteVersioned { key, expected_version: c.version }, in_progress());
    commit(app, tx).await
}

/// `results` in runs of at most `PART_BYTES` of JSON (a single larger
/// result alone in its part).
fn split(results: &[Value]) -> Vec<Vec<Value>> {
    let mut parts: Vec<Vec<Value>> = vec![Vec::new()];
    let mut bytes = 0;
    for r in results {
        let size = serde_json::to_string(r).map_or(0, |s| s.len());
        if bytes + size > PART_BYTES && parts.last().is_some_and(|p| !p.is_empty()) {
            parts.push(Vec::new());
            bytes = 0;
        }
        bytes += size;
        if let Some(last) = parts.last_mut() {
            last.push(r.clone());
        }
    }
    parts
}
