//! Each kind of write becomes the same DynamoDB action, key, expressions and
//! condition as when this file was written (the translation, pinned), and a
//! `Replace` sets every field but the keys and what it must leave alone. No
//! database needed.

use super::fixtures as fx;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use roster_domain::error::PortError;
use roster_domain::model::{InvitationStatus, MemberStatus, ModuleSeats};
use roster_domain::permissions::DIRECTOR;
use roster_domain::ports::{CounterDelta, Key, Record, Write};
use std::collections::{BTreeMap, BTreeSet, HashMap};

fn translate(w: &Write) -> Result<TransactWriteItem, PortError> {
    super::write::action("roster", w)
}

fn item_of(record: &Record) -> HashMap<String, AttributeValue> {
    super::codec::record_item(record).expect("every record encodes")
}

fn sorted<V: std::fmt::Debug>(m: Option<&HashMap<String, V>>) -> String {
    let m: BTreeMap<_, _> = m.into_iter().flatten().map(|(k, v)| (k.clone(), format!("{v:?}"))).collect();
    format!("{m:?}")
}

/// An attribute value as `{:?}` shows it, but a map's entries in key
/// order: a record's nested map (a practice's policy) comes out of a
/// `HashMap`, in no order of its own.
fn canon(v: &AttributeValue) -> String {
    match v {
        AttributeValue::M(m) => {
            let entries: BTreeMap<_, _> = m.iter().map(|(k, v)| (k, canon(v))).collect();
            let inner: Vec<String> = entries.iter().map(|(k, v)| format!("{k:?}: {v}")).collect();
            format!("M({{{}}})", inner.join(", "))
        }
        AttributeValue::L(l) => format!("L([{}])", l.iter().map(canon).collect::<Vec<_>>().join(", ")),
        other => format!("{other:?}"),
    }
}

/// `sorted` for expression attribute values, nested maps in key order.
fn sorted_values(m: Option<&HashMap<String, AttributeValue>>) -> String {
    let m: BTreeMap<_, _> = m.into_iter().flatten().map(|(k, v)| (k.clone(), canon(v))).collect();
    format!("{m:?}")
}

fn describe(t: &TransactWriteItem) -> String {
    if let Some(p) = t.put() {
        let mut key: BTreeMap<_, _> = BTreeMap::new();
        for k in ["PK", "SK"] {
            key.insert(k, format!("{:?}", p.item().get(k)));
        }
        return format!(
            "Put key={key:?} cond={:?} names={} values={}",
            p.condition_expression(),
            sorted(p.expression_attribute_names()),
            sorted_values(p.expression_attribute_values())
        );
    }
    if let Some(u) = t.update() {
        return format!(
            "Update key={} expr={:?} cond={:?} names={} values={}",
            sorted(Some(u.key())),
            u.update_expression(),
            u.condition_expression(),
            sorted(u.expression_attribute_names()),
            sorted_values(u.expression_attribute_values())
        );
    }
    if let Some(d) = t.delete() {
        return format!(
            "Delete key={} cond={:?} names={} values={}",
            sorted(Some(d.key())),
            d.condition_expression(),
            sorted(d.expression_attribute_names()),
            sorted_values(d.expression_attribute_values())
        );
    }
    if let Some(c) = t.condition_check() {
        return format!(
            "Check key={} cond={:?} names={} values={}",
            sorted(Some(c.key())),
            c.condition_expression(),
            sorted(c.expression_attribute_names()),
            sorted_values(c.expression_attribute_values())
        );
    }
    "nothing".into()
}

fn writes() -> Vec<Write> {
    vec![
        Write::Create(Record::User(fx::user())),
        Write::Put(Record::Outbox(fx::outbox())),
        Write::Delete(Key::Session { user_id: fx::USER, token_hash: "sessionhash".into() }),
        Write::DeleteExisting(Key::Token("tokenhash".into())),
        Write::AdjustCounters {
            practice_id: fx::PRACTICE,
            delta: CounterDelta {
                practitioner_seats: -1,
                staff_seats: 0,
                directors: -1,
                active_locations: 1,
                module_seats: ModuleSeats::default(),
            },
        },
        Write::AdjustCounters {
            practice_id: fx::PRACTICE,
            delta: CounterDelta {
                practitioner_seats: 0,
                staff_seats: 2,
                directors: 0,
                active_locations: -1,
                module_seats: ModuleSeats::default(),
            },
        },
        // R46: a module seat counter starts from 0 where a practice stored
        // before R46 lacks it; one taken away keeps its floor of 0.
        Write::AdjustCounters {
            practice_id: fx::PRACTICE,
            delta: CounterDelta {
                practitioner_seats: 1,
                module_seats: ModuleSeats { billing: -1, patient_portal: 2, ..ModuleSeats::default() },
                ..CounterDelta::default()
            },
        },
        Write::PutSlot { slot: fx::invitation_slot(), holder: None, now: fx::now() },
        Write::PutSlot { slot: fx::member_slot(), holder: Some(fx::INVITATION), now: fx::now() },
        Write::ReleaseSlot { practice_id: fx::PRACTICE, email_norm: fx::EMAIL_NORM.into(), invitation: fx::INVITATION },
        Write::AdjustRoleHolders { practice_id: fx::PRACTICE, role_id: fx::ROLE_ID.into(), delta: 1 },
        Write::AdjustRoleHolders { practice_id: fx::PRACTICE, role_id: fx::ROLE_ID.into(), delta: -2 },
        Write::DeleteRole { practice_id: fx::PRACTICE, role_id: fx::ROLE_ID.into(), expected_version: 4 },
        Write::MirrorUser {
            practice_id: fx::PRACTICE,
            user_id: fx::USER,
            search: None,
            locked: true,
            user_version: 3,
            only_if_newer: false,
        },
        Write::MirrorUser {
            practice_id: fx::PRACTICE,
            user_id: fx::USER,
            search: Some("ada lovelace".into()),
            locked: false,
            user_version: 4,
            only_if_newer: true,
        },
        Write::LockUser { user_id: fx::USER },
        Write::CheckFailures { key: Key::LoginFailures(fx::USER), at_least: 4 },
        Write::ConfirmSignIn { user_id: fx::USER, totp_step: None },
        Write::ConfirmSignIn { user_id: fx::USER, totp_step: Some(59_870_520) },
        Write::DeleteVersioned { key: Key::SupportGrant(fx::PRACTICE), expected_version: 2 },
        Write::CheckMember { practice_id: fx::PRACTICE, user_id: fx::USER, version: 7 },
        Write::CheckLocation { practice_id: fx::PRACTICE, location_id: fx::LOCATION },
        Write::SetBuiltInRoles { practice_id: fx::PRACTICE, sets: Default::default(), expected_version: 0 },
        Write::SetBuiltInRoles { practice_id: fx::PRACTICE, sets: Default::default(), expected_version: 4 },
        Write::SetSecurityPolicy { practice_id: fx::PRACTICE, policy: Default::default(), expected_version: 0 },
        Write::SetSecurityPolicy { practice_id: fx::PRACTICE, policy: Default::default(), expected_version: 3 },
        Write::CheckOnboardingMails { practice_id: fx::PRACTICE },
        Write::RecordOutcome { item: fx::outbox(), attempts: 2 },
    ]
}

/// What each write in `writes()` became when this file was written, in order.
const PINNED: [&str; 28] = [
    r##"Put key={"PK": "Some(S(\"USER#0190c3c8-6b1d-7c4e-9a0f-000000000001\"))", "SK": "Some(S(\"PROFILE\"))"} cond=Some("attribute_not_exists(PK)") names={} values={}"##,
    r##"Put key={"PK": "Some(S(\"OUTBOX#0190c3c8-6b1d-7c4e-9a0f-000000000006\"))", "SK": "Some(S(\"OUTBOX\"))"} cond=None names={} values={}"##,
    r##"Delete key={"PK": "S(\"USER#0190c3c8-6b1d-7c4e-9a0f-000000000001\")", "SK": "S(\"SESSION#sessionhash\")"} cond=None names={} values={}"##,
    r##"Delete key={"PK": "S(\"TOKEN#tokenhash\")", "SK": "S(\"TOKEN\")"} cond=Some("attribute_exists(PK)") names={} values={}"##,
    r##"Update key={"PK": "S(\"PRACTICE#0190c3c8-6b1d-7c4e-9a0f-000000000002\")", "SK": "S(\"PRACTICE\")"} expr="SET #seats.#practitioner = #seats.#practitioner + :d0, #directors = #directors + :d2, #active_locations = #active_locations + :d3" cond=Some("attribute_exists(PK) AND #seats.#practitioner >= :min0 AND #directors >= :min2") names={"#active_locations": "\"active_locations\"", "#directors": "\"directors\"", "#practitioner": "\"practitioner\"", "#seats": "\"seats\""} values={":d0": "N(\"-1\")", ":d2": "N(\"-1\")", ":d3": "N(\"1\")", ":min0": "N(\"1\")", ":min2": "N(\"2\")"}"##,
    r##"Update key={"PK": "S(\"PRACTICE#0190c3c8-6b1d-7c4e-9a0f-000000000002\")", "SK": "S(\"PRACTICE\")"} expr="SET #seats.#staff = #seats.#staff + :d1, #active_locations = #active_locations + :d3" cond=Some("attribute_exists(PK) AND #active_locations >= :min3") names={"#active_locations": "\"active_locations\"", "#seats": "\"seats\"", "#staff": "\"staff\""} values={":d1": "N(\"2\")", ":d3": "N(\"-1\")", ":min3": "N(\"2\")"}"##,
    r##"Update key={"PK": "S(\"PRACTICE#0190c3c8-6b1d-7c4e-9a0f-000000000002\")", "SK": "S(\"PRACTICE\")"} expr="SET #seats.#practitioner = #seats.#practitioner + :d0, #m0 = if_not_exists(#m0, :zero) + :md0, #m3 = if_not_exists(#m3, :zero) + :md3" cond=Some("attribute_exists(PK) AND #m0 >= :mmin0") names={"#m0": "\"module_seats_billing\"", "#m3": "\"module_seats_patient_portal\"", "#practitioner": "\"practitioner\"", "#seats": "\"seats\""} values={":d0": "N(\"1\")", ":md0": "N(\"-1\")", ":md3": "N(\"2\")", ":mmin0": "N(\"1\")", ":zero": "N(\"0\")"}"##,
    r##"Put key={"PK": "Some(S(\"PRACTICE#0190c3c8-6b1d-7c4e-9a0f-000000000002\"))", "SK": "Some(S(\"SLOT#ada@example.com\"))"} cond=Some("attribute_not_exists(PK) OR #expires_ms <= :now") names={"#expires_ms": "\"expires_ms\""} values={":now": "N(\"1796115600000\")"}"##,
    r##"Put key={"PK": "Some(S(\"PRACTICE#0190c3c8-6b1d-7c4e-9a0f-000000000002\"))", "SK": "Some(S(\"SLOT#ada@example.com\"))"} cond=Some("attribute_not_exists(PK) OR #expires_ms <= :now OR #invitation_id = :holder") names={"#expires_ms": "\"expires_ms\"", "#invitation_id": "\"invitation_id\""} values={":holder": "S(\"0190c3c8-6b1d-7c4e-9a0f-000000000004\")", ":now": "N(\"1796115600000\")"}"##,
    r##"Delete key={"PK": "S(\"PRACTICE#0190c3c8-6b1d-7c4e-9a0f-000000000002\")", "SK": "S(\"SLOT#ada@example.com\")"} cond=Some("#invitation_id = :holder") names={"#invitation_id": "\"invitation_id\""} values={":holder": "S(\"0190c3c8-6b1d-7c4e-9a0f-000000000004\")"}"##,
    r##"Update key={"PK": "S(\"PRACTICE#0190c3c8-6b1d-7c4e-9a0f-000000000002\")", "SK": "S(\"ROLE#0190c3c8-6b1d-7c4e-9a0f-000000000007\")"} expr="SET #holders = if_not_exists(#holders, :zero) + :d" cond=Some("attribute_exists(PK)") names={"#holders": "\"holders\""} values={":d": "N(\"1\")", ":zero": "N(\"0\")"}"##,
    r##"Update key={"PK": "S(\"PRACTICE#0190c3c8-6b1d-7c4e-9a0f-000000000002\")", "SK": "S(\"ROLE#0190c3c8-6b1d-7c4e-9a0f-000000000007\")"} expr="SET #holders = if_not_exists(#holders, :zero) + :d" cond=Some("attribute_exists(PK) AND #holders >= :min") names={"#holders": "\"holders\""} values={":d": "N(\"-2\")", ":min": "N(\"2\")", ":zero": "N(\"0\")"}"##,
    r##"Delete key={"PK": "S(\"PRACTICE#0190c3c8-6b1d-7c4e-9a0f-000000000002\")", "SK": "S(\"ROLE#0190c3c8-6b1d-7c4e-9a0f-000000000007\")"} cond=Some("attribute_exists(PK) AND #version = :v AND (attribute_not_exists(#holders) OR #holders <= :zero)") names={"#holders": "\"holders\"", "#version": "\"version\""} values={":v": "N(\"4\")", ":zero": "N(\"0\")"}"##,
    r##"Update key={"PK": "S(\"PRACTICE#0190c3c8-6b1d-7c4e-9a0f-000000000002\")", "SK": "S(\"MEMBER#0190c3c8-6b1d-7c4e-9a0f-000000000001\")"} expr="SET #locked = :locked, #user_version = :user_version" cond=Some("attribute_exists(PK)") names={"#locked": "\"locked\"", "#user_version": "\"user_version\""} values={":locked": "Bool(true)", ":user_version": "N(\"3\")"}"##,
    r##"Update key={"PK": "S(\"PRACTICE#0190c3c8-6b1d-7c4e-9a0f-000000000002\")", "SK": "S(\"MEMBER#0190c3c8-6b1d-7c4e-9a0f-000000000001\")"} expr="SET #locked = :locked, #user_version = :user_version, #search = :search" cond=Some("attribute_exists(PK) AND (attribute_not_exists(#user_version) OR #user_version < :user_version)") names={"#locked": "\"locked\"", "#search": "\"search\"", "#user_version": "\"user_version\""} values={":locked": "Bool(false)", ":search": "S(\"ada lovelace\")", ":user_version": "N(\"4\")"}"##,
    r##"Update key={"PK": "S(\"USER#0190c3c8-6b1d-7c4e-9a0f-000000000001\")", "SK": "S(\"PROFILE\")"} expr="SET #locked = :true, #version = #version + :one, #epoch = if_not_exists(#epoch, :zero) + :one" cond=Some("attribute_exists(PK) AND #locked <> :true") names={"#epoch": "\"session_epoch\"", "#locked": "\"locked\"", "#version": "\"version\""} values={":one": "N(\"1\")", ":true": "Bool(true)", ":zero": "N(\"0\")"}"##,
    r##"Check key={"PK": "S(\"USER#0190c3c8-6b1d-7c4e-9a0f-000000000001\")", "SK": "S(\"LOGINFAIL\")"} cond="#failures >= :n" names={"#failures": "\"failures\""} values={":n": "N(\"4\")"}"##,
    r##"Check key={"PK": "S(\"USER#0190c3c8-6b1d-7c4e-9a0f-000000000001\")", "SK": "S(\"PROFILE\")"} cond="#locked <> :true" names={"#locked": "\"locked\""} values={":true": "Bool(true)"}"##,
    r##"Update key={"PK": "S(\"USER#0190c3c8-6b1d-7c4e-9a0f-000000000001\")", "SK": "S(\"PROFILE\")"} expr="SET #step = :step" cond=Some("#locked <> :true AND (attribute_not_exists(#step) OR #step < :step)") names={"#locked": "\"locked\"", "#step": "\"totp_last_step\""} values={":step": "N(\"59870520\")", ":true": "Bool(true)"}"##,
    r##"Delete key={"PK": "S(\"PRACTICE#0190c3c8-6b1d-7c4e-9a0f-000000000002\")", "SK": "S(\"SUPPORT\")"} cond=Some("attribute_exists(PK) AND #version = :v") names={"#version": "\"version\""} values={":v": "N(\"2\")"}"##,
    r##"Check key={"PK": "S(\"PRACTICE#0190c3c8-6b1d-7c4e-9a0f-000000000002\")", "SK": "S(\"MEMBER#0190c3c8-6b1d-7c4e-9a0f-000000000001\")"} cond="#version = :v AND #status = :active" names={"#status": "\"status\"", "#version": "\"version\""} values={":active": "S(\"active\")", ":v": "N(\"7\")"}"##,
    r##"Check key={"PK": "S(\"PRACTICE#0190c3c8-6b1d-7c4e-9a0f-000000000002\")", "SK": "S(\"LOCATION#0190c3c8-6b1d-7c4e-9a0f-000000000003\")"} cond="#active = :true" names={"#active": "\"active\""} values={":true": "Bool(true)"}"##,
    r##"Update key={"PK": "S(\"PRACTICE#0190c3c8-6b1d-7c4e-9a0f-000000000002\")", "SK": "S(\"PRACTICE\")"} expr="SET #roles = :sets, #roles_version = :next" cond=Some("attribute_exists(PK) AND (attribute_not_exists(#roles_version) OR #roles_version = :expected)") names={"#roles": "\"built_in_roles\"", "#roles_version": "\"built_in_roles_version\""} values={":expected": "N(\"0\")", ":next": "N(\"1\")", ":sets": "M({})"}"##,
    r##"Update key={"PK": "S(\"PRACTICE#0190c3c8-6b1d-7c4e-9a0f-000000000002\")", "SK": "S(\"PRACTICE\")"} expr="SET #roles = :sets, #roles_version = :next" cond=Some("attribute_exists(PK) AND #roles_version = :expected") names={"#roles": "\"built_in_roles\"", "#roles_version": "\"built_in_roles_version\""} values={":expected": "N(\"4\")", ":next": "N(\"5\")", ":sets": "M({})"}"##,
    r##"Update key={"PK": "S(\"PRACTICE#0190c3c8-6b1d-7c4e-9a0f-000000000002\")", "SK": "S(\"PRACTICE\")"} expr="SET #policy = :policy, #policy_version = :next" cond=Some("attribute_exists(PK) AND (attribute_not_exists(#policy_version) OR #policy_version = :expected)") names={"#policy": "\"security_policy\"", "#policy_version": "\"security_policy_version\""} values={":expected": "N(\"0\")", ":next": "N(\"1\")", ":policy": "M({\"emergency_access\": M({\"enabled\": Bool(false), \"max_minutes\": N(\"240\"), \"permissions\": L([])}), \"require_mfa\": Bool(false), \"session_idle_minutes\": N(\"60\")})"}"##,
    r##"Update key={"PK": "S(\"PRACTICE#0190c3c8-6b1d-7c4e-9a0f-000000000002\")", "SK": "S(\"PRACTICE\")"} expr="SET #policy = :policy, #policy_version = :next" cond=Some("attribute_exists(PK) AND #policy_version = :expected") names={"#policy": "\"security_policy\"", "#policy_version": "\"security_policy_version\""} values={":expected": "N(\"3\")", ":next": "N(\"4\")", ":policy": "M({\"emergency_access\": M({\"enabled\": Bool(false), \"max_minutes\": N(\"240\"), \"permissions\": L([])}), \"require_mfa\": Bool(false), \"session_idle_minutes\": N(\"60\")})"}"##,
    r##"Check key={"PK": "S(\"PRACTICE#0190c3c8-6b1d-7c4e-9a0f-000000000002\")", "SK": "S(\"SETTINGS\")"} cond="attribute_not_exists(PK) OR #onboarding_mails = :true" names={"#onboarding_mails": "\"onboarding_mails\""} values={":true": "Bool(true)"}"##,
    r##"Put key={"PK": "Some(S(\"OUTBOX#0190c3c8-6b1d-7c4e-9a0f-000000000006\"))", "SK": "Some(S(\"OUTBOX\"))"} cond=Some("attribute_exists(PK) AND #attempts = :attempts AND (attribute_not_exists(#delivered) OR attribute_type(#delivered, :null)) AND (attribute_not_exists(#dead) OR attribute_type(#dead, :null))") names={"#attempts": "\"attempts\"", "#dead": "\"dead_at\"", "#delivered": "\"delivered_at\""} values={":attempts": "N(\"2\")", ":null": "S(\"NULL\")"}"##,
];

#[test]
fn every_kind_of_write_translates_as_pinned() {
    let writes = writes();
    assert_eq!(writes.len(), PINNED.len());
    for (w, pinned) in writes.iter().zip(PINNED) {
        let t = translate(w).unwrap_or_else(|e| panic!("{w:?}: {e}"));
        assert_eq!(describe(&t), pinned, "{w:?}");
    }
}

#[test]
fn a_counter_change_of_nothing_is_refused() {
    let w = Write::AdjustCounters { practice_id: fx::PRACTICE, delta: CounterDelta::default() };
    assert!(matches!(translate(&w), Err(PortError::Backend(_))));
}

#[test]
fn only_versioned_records_are_replaced() {
    let w = Write::Replace { record: Record::EmailClaim(fx::email_claim()), expected_version: 1 };
    assert!(matches!(translate(&w), Err(PortError::Backend(_))));
}

/// A translated `Replace`: the attributes it sets, those it removes, its
/// condition and the version it expects.
struct Replaced {
    set: BTreeMap<String, AttributeValue>,
    removed: BTreeSet<String>,
    condition: String,
    expected: Option<AttributeValue>,
}

fn replaced(record: Record, expected_version: u64) -> Replaced {
    replaced_by(&Write::Replace { record, expected_version })
}

fn replaced_by(write: &Write) -> Replaced {
    let t = translate(write).expect("a versioned record");
    let u = t.update().expect("an update");
    let names = u.expression_attribute_names().expect("names");
    let values = u.expression_attribute_values().expect("values");
    let expression = u.update_expression();
    let (sets, removes) = expression.split_once(" REMOVE ").unwrap_or((expression, ""));
    let set = sets
        .trim_start_matches("SET ")
        .split(", ")
        .map(|a| {
            let (name, value) = a.split_once(" = ").expect("#name = :value");
            (names[name].clone(), values[value].clone())
        })
        .collect();
    let removed = removes.split(", ").filter(|r| !r.is_empty()).map(|r| names[r].clone()).collect();
    Replaced {
        set,
        removed,
        condition: u.condition_expression().unwrap_or_default().to_string(),
        expected: values.get(":expected").cloned(),
    }
}

/// The item of `record` without its keys and `leave_alone`.
fn settable(record: &Record, leave_alone: &[&str]) -> BTreeMap<String, AttributeValue> {
    item_of(record).into_iter().filter(|(k, _)| k != "PK" && k != "SK" && !leave_alone.contains(&k.as_str())).collect()
}

fn set_of(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[test]
fn replace_sets_every_field_under_the_version_and_removes_the_placement_it_lost() {
    let record = Record::Invitation(fx::invitation(InvitationStatus::Accepted));
    let r = replaced(record.clone(), 5);
    assert_eq!(r.condition, "attribute_exists(PK) AND #version = :expected");
    assert_eq!(r.expected, Some(AttributeValue::N("5".into())));
    assert_eq!(r.set, settable(&record, &[]));
    // An invitation is searched whatever its status (R47): its search text stays.
    assert_eq!(r.removed, set_of(&["GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "ttl"]));

    let record = Record::Invitation(fx::invitation(InvitationStatus::Pending));
    let r = replaced(record.clone(), 5);
    assert_eq!(r.set, settable(&record, &[]));
    assert_eq!(r.removed, set_of(&[]));
}

#[test]
fn replace_leaves_alone_what_only_its_own_writes_change() {
    let practice = Record::Practice(fx::practice());
    let r = replaced(practice.clone(), 3);
    assert_eq!(
        r.set,
        settable(
            &practice,
            &[
                "seats",
                "directors",
                "active_locations",
                "module_seats_billing",
                "module_seats_telehealth",
                "module_seats_eprescribing",
                "module_seats_patient_portal",
                "module_seats_analytics",
                "built_in_roles",
                "built_in_roles_version",
                "security_policy",
                "security_policy_version"
            ]
        )
    );

    let role = Record::Role(fx::role());
    assert_eq!(replaced(role.clone(), 4).set, settable(&role, &["holders"]));

    let member = Record::Membership(fx::membership(DIRECTOR, MemberStatus::Active));
    let r = replaced(member.clone(), 2);
    assert_eq!(r.set, settable(&member, &["search", "locked", "user_version"]));
    assert_eq!(r.set.get("display_search"), Some(&AttributeValue::S("ada king, countess".into())));
    assert_eq!(r.removed, set_of(&["ttl"]));

    let demoted = Record::Membership(fx::membership("receptionist", MemberStatus::Active));
    assert_eq!(replaced(demoted, 2).removed, set_of(&["GSI2PK", "GSI2SK", "ttl"]));

    for unchanged in [
        Record::User(fx::user()),
        Record::Location(fx::location()),
        Record::SupportGrant(fx::support_grant()),
        Record::PracticeSettings(fx::practice_settings()),
    ] {
        assert_eq!(replaced(unchanged.clone(), 1).set, settable(&unchanged, &[]));
    }
}

// R14, R22: a change of both a user and their membership writes the item
// once, the copy of the user included, under the membership's version.
#[test]
fn replace_mirrored_writes_the_copy_of_the_user_too() {
    let mut m = fx::membership("receptionist", MemberStatus::Active);
    m.search = "ada byron\nada@example.com".into();
    m.user_version = 9;
    let r = replaced_by(&Write::ReplaceMirrored { membership: m.clone(), expected_version: 2 });
    assert_eq!(r.condition, "attribute_exists(PK) AND #version = :expected");
    assert_eq!(r.expected, Some(AttributeValue::N("2".into())));
    let record = Record::Membership(m);
    assert_eq!(r.set, settable(&record, &[]));
    assert_eq!(r.set.get("search"), Some(&AttributeValue::S("ada byron\nada@example.com".into())));
    assert_eq!(r.set.get("user_version"), Some(&AttributeValue::N("9".into())));
    assert_eq!(r.removed, set_of(&["GSI2PK", "GSI2SK", "ttl"]));
}
