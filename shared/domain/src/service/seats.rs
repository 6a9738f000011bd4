//! What billing counts (R20, R45, R46): the events of a membership's seat
//! (`SeatAdded`, `SeatRemoved`) and of each of its module seats
//! (`ModuleAdded`, `ModuleRemoved`), written in the transaction whose
//! `AdjustCounters` moves the counts; and the license consent (R45) that an
//! added paid seat carries into those events and its audit event.

use super::context::MemberCtx;
use super::writes::{outbox_event, to_value};
use crate::error::DomainError;
use crate::ids::{PracticeId, UserId};
use crate::model::*;
use crate::ports::{App, Record, Tx, Write};
use serde_json::{json, Value};

/// R45: the license terms accepted for a change that makes `before` (`None`:
/// holding nothing, as an invitation or a reactivation starts) into
/// `after`. `None` when the change adds no paid seat; `422
/// license_terms_required` when it adds one and `accepted` is not true.
/// The consent is the acting administrator's, as of `now`, to the terms
/// `LICENSE_TERMS_VERSION` names.
pub fn license_consent(
    app: &App,
    ctx: &MemberCtx,
    before: Option<&Access>,
    after: &Access,
    accepted: bool,
    now: Time,
) -> Result<Option<LicenseConsent>, DomainError> {
    if !after.adds_paid_seat(before) {
        return Ok(None);
    }
    if !accepted {
        return Err(DomainError::LicenseTermsRequired);
    }
    Ok(Some(LicenseConsent::by(&ctx.caller.user, now, &app.config.license_terms_version)))
}

/// `value` (an audited object) with the consent that paid for the change
/// beside its fields, when there is one (R45).
pub fn with_consent(mut value: Value, consent: Option<&LicenseConsent>) -> Value {
    if let (Some(c), Some(obj)) = (consent, value.as_object_mut()) {
        obj.insert("license_consent".into(), to_value(c));
    }
    value
}

/// `SeatAdded`, with the consent that paid for a practitioner's seat
/// (`null` for staff, and for an invitation sent before R45).
pub fn seat_added(now: Time, pid: PracticeId, uid: UserId, kind: Kind, consent: Option<&LicenseConsent>) -> Record {
    outbox_event(
        now,
        EventType::SeatAdded,
        json!({"practice_id": pid, "user_id": uid, "kind": kind, "license_consent": consent}),
    )
}

pub fn seat_removed(now: Time, pid: PracticeId, uid: UserId, kind: Kind) -> Record {
    outbox_event(now, EventType::SeatRemoved, json!({"practice_id": pid, "user_id": uid, "kind": kind}))
}

/// One event per module seat a change moves (R46): `ModuleAdded` (with the
/// consent) for each module `after` holds and `before` did not,
/// `ModuleRemoved` for each `before` held and `after` does not. `None` is
/// an access that counts nothing: no membership yet, or one deactivated. At
/// most one event per module of the catalogue, so a change's transaction
/// stays far inside its 100 writes.
pub fn module_events(
    tx: &mut Tx,
    now: Time,
    pid: PracticeId,
    uid: UserId,
    before: Option<&Access>,
    after: Option<&Access>,
    consent: Option<&LicenseConsent>,
) {
    let held = |a: Option<&Access>, m: &Module| a.is_some_and(|a| a.modules.contains(m));
    for m in Module::ALL {
        match (held(before, &m), held(after, &m)) {
            (false, true) => tx.push(Write::Create(outbox_event(
                now,
                EventType::ModuleAdded,
                json!({"practice_id": pid, "user_id": uid, "module": m, "license_consent": consent}),
            ))),
            (true, false) => tx.push(Write::Create(outbox_event(
                now,
                EventType::ModuleRemoved,
                json!({"practice_id": pid, "user_id": uid, "module": m}),
            ))),
            _ => tx,
        };
    }
}
