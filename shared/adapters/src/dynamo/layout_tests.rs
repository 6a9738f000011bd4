//! Each record serialises to exactly the item in docs/design.md's table
//! ("One table"): its keys, index keys, TTL and `type` spelled out in full,
//! none of them where the table has none, and besides them only the
//! record's own fields. No database needed.

use super::fixtures::{self as fx, EMAIL_NORM, ROLE_ID};
use super::keys::{DISPLAY_SEARCH, GSI1PK, GSI1SK, GSI2PK, GSI2SK, PK, SK, TTL, TYPE};
use aws_sdk_dynamodb::types::AttributeValue;
use roster_domain::model::{AuditScope, InvitationStatus, MemberStatus, OutboxItem};
use roster_domain::permissions::DIRECTOR;
use roster_domain::ports::{Key, Record};
use std::collections::{BTreeMap, HashMap};

type Item = HashMap<String, AttributeValue>;

// The fixtures' ids as the keys spell them.
const UID: &str = "0190c3c8-6b1d-7c4e-9a0f-000000000001";
const PID: &str = "0190c3c8-6b1d-7c4e-9a0f-000000000002";
const LID: &str = "0190c3c8-6b1d-7c4e-9a0f-000000000003";
const IID: &str = "0190c3c8-6b1d-7c4e-9a0f-000000000004";
const EVENT_ID: &str = "0190c3c8-6b1d-7c4e-9a0f-000000000005";
const OUTBOX_ID: &str = "0190c3c8-6b1d-7c4e-9a0f-000000000006";
const EID: &str = "0190c3c8-6b1d-7c4e-9a0f-000000000009";

/// The attributes the store adds around a record's own fields.
const PLACEMENT: [&str; 9] = [PK, SK, GSI1PK, GSI1SK, GSI2PK, GSI2SK, TTL, DISPLAY_SEARCH, TYPE];

fn item_of(record: &Record) -> Item {
    super::codec::record_item(record).expect("every record encodes")
}

/// (PK, SK) of a key.
fn pk_sk(key: &Key) -> (String, String) {
    let p = super::entity::primary(key);
    (p.pk, p.sk)
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// The record's item has exactly these placement attributes (the others
/// absent), and its other attributes are exactly `fields`.
#[track_caller]
fn assert_item<F: AsRef<str>>(record: Record, placement: &[(&str, AttributeValue)], fields: &[F]) {
    let item = item_of(&record);
    let found: BTreeMap<&str, &AttributeValue> =
        item.iter().filter(|(k, _)| PLACEMENT.contains(&k.as_str())).map(|(k, v)| (k.as_str(), v)).collect();
    let expected: BTreeMap<&str, &AttributeValue> = placement.iter().map(|(k, v)| (*k, v)).collect();
    assert_eq!(found, expected, "placement of {record:?}");
    let mut own: Vec<&str> = item.keys().map(String::as_str).filter(|k| !PLACEMENT.contains(k)).collect();
    own.sort_unstable();
    let fields: Vec<&str> = fields.iter().map(AsRef::as_ref).collect();
    assert_eq!(own, fields, "fields of {record:?}");
}

#[test]
fn user() {
    assert_item(
        Record::User(fx::user()),
        &[(PK, s(format!("USER#{UID}"))), (SK, s("PROFILE")), (TYPE, s("user"))],
        &[
            "created_at",
            "email",
            "email_norm",
            "email_verified",
            "first_name",
            "id",
            "last_name",
            "locked",
            "mfa_enabled",
            "must_change_password",
            "password_hash",
            "session_epoch",
            "title",
            "totp_pending",
            "totp_secret",
            "updated_at",
            "verify_epoch",
            "version",
        ],
    );
}

#[test]
fn email_claim() {
    assert_item(
        Record::EmailClaim(fx::email_claim()),
        &[(PK, s("EMAIL#ada@example.com")), (SK, s("EMAIL")), (TYPE, s("email_claim"))],
        &["email_norm", "user_id"],
    );
}

// Issue 14: written by UpdateItem (`undeliverable.rs`) with these same
// attributes, and read back as the record.
#[test]
fn undeliverable_mark_beside_the_email_claim() {
    use roster_domain::model::{Undeliverable, UndeliverableReason};
    let mark = Undeliverable {
        email_norm: EMAIL_NORM.into(),
        reason: UndeliverableReason::Complained,
        marked_at: fx::now(),
        skipped: 2,
    };
    let item = super::codec::to_item(&mark).expect("encodes");
    let placement: BTreeMap<&str, &AttributeValue> =
        item.iter().filter(|(k, _)| PLACEMENT.contains(&k.as_str())).map(|(k, v)| (k.as_str(), v)).collect();
    let (pk, sk, kind) = (s("EMAIL#ada@example.com"), s("UNDELIVERABLE"), s("undeliverable"));
    assert_eq!(placement, BTreeMap::from([(PK, &pk), (SK, &sk), (TYPE, &kind)]));
    let mut own: Vec<&str> = item.keys().map(String::as_str).filter(|k| !PLACEMENT.contains(k)).collect();
    own.sort_unstable();
    assert_eq!(own, ["email_norm", "marked_at", "reason", "skipped"]);
    assert_eq!(item["reason"], s("complained"));
    assert_eq!(item["skipped"], n(2));
    assert_eq!(super::codec::decode::<Undeliverable>(item).expect("decodes"), mark);
}

#[test]
fn session_expires_with_its_ttl() {
    assert_item(
        Record::Session(fx::session()),
        &[
            (PK, s(format!("USER#{UID}"))),
            (SK, s("SESSION#sessionhash")),
            // expires_at: 12 hours after 1796115600.
            (TTL, n(1_796_158_800)),
            (TYPE, s("session")),
        ],
        // R48, R49: its id (no credential), its last recorded use, the
        // longest it went unused, and the client it was opened from.
        &[
            "created_at",
            "enroll_only",
            "epoch",
            "expires_at",
            "id",
            "longest_idle_secs",
            "token_hash",
            "user_agent",
            "user_id",
        ],
    );
}

#[test]
fn emailed_token() {
    assert_item(
        Record::Token(fx::email_token()),
        &[(PK, s("TOKEN#tokenhash")), (SK, s("TOKEN")), (TTL, n(1_796_202_000)), (TYPE, s("token"))],
        &["created_at", "epoch", "expires_at", "purpose", "token_hash", "user_id"],
    );
}

#[test]
fn practice_with_its_counters() {
    assert_item(
        Record::Practice(fx::practice()),
        &[(PK, s(format!("PRACTICE#{PID}"))), (SK, s("PRACTICE")), (TYPE, s("practice"))],
        &[
            "active_locations",
            "built_in_roles",
            "built_in_roles_version",
            "created_at",
            "directors",
            "id",
            // R46: one counter per module, each an attribute of its own.
            "module_seats_analytics",
            "module_seats_billing",
            "module_seats_eprescribing",
            "module_seats_patient_portal",
            "module_seats_telehealth",
            "name",
            "seats",
            // R48: the policy and its own version, changed only by SetSecurityPolicy.
            "security_policy",
            "security_policy_version",
            "version",
        ],
    );
}

// R46: the module seat counters read back as stored, and a practice stored
// before R46 (none of them on its item) reads back with none taken.
#[test]
fn practice_module_seats_read_back_and_default_to_none() {
    let practice = fx::practice();
    let item = item_of(&Record::Practice(practice.clone()));
    assert_eq!(item.get("module_seats_telehealth"), Some(&n(1)));
    let back: roster_domain::model::Practice = super::codec::decode(item.clone()).expect("decodes");
    assert_eq!(back, practice);
    let mut old = item;
    old.retain(|k, _| !k.starts_with("module_seats_"));
    let back: roster_domain::model::Practice = super::codec::decode(old).expect("decodes");
    assert_eq!(back.module_seats, roster_domain::model::ModuleSeats::default());
    assert_eq!(back.seats, practice.seats);
}

// R43: beside the practice, in no index, with its own version.
#[test]
fn practice_settings_beside_the_practice() {
    assert_item(
        Record::PracticeSettings(fx::practice_settings()),
        &[(PK, s(format!("PRACTICE#{PID}"))), (SK, s("SETTINGS")), (TYPE, s("practice_settings"))],
        &["default_roles", "onboarding_mails", "practice_id", "version"],
    );
}

#[test]
fn location() {
    assert_item(
        Record::Location(fx::location()),
        &[(PK, s(format!("PRACTICE#{PID}"))), (SK, s(format!("LOCATION#{LID}"))), (TYPE, s("location"))],
        &["active", "address", "created_at", "id", "name", "practice_id", "time_zone", "version"],
    );
}

/// A membership's own fields; its `Access` adds its own, flattened.
const MEMBERSHIP_OWN: [&str; 12] = [
    "deactivated_at",
    "display_name",
    "email",
    "joined_at",
    "locked",
    "practice_id",
    "search",
    "status",
    "title",
    "user_id",
    "user_version",
    "version",
];

/// `own` and the fields of an `Access`, flattened into the same item (not
/// nested under `access`): whatever `Access` is stored as, so a new access
/// field needs no edit here, while each owner's own fields stay pinned.
fn with_access(own: &[&str]) -> Vec<String> {
    let access = fx::membership(DIRECTOR, MemberStatus::Active).access;
    let item: HashMap<String, AttributeValue> = serde_dynamo::to_item(access).unwrap_or_default();
    let mut all: Vec<String> = own.iter().map(|f| f.to_string()).chain(item.into_keys()).collect();
    all.sort_unstable();
    all
}

#[test]
fn membership_of_an_active_director_is_in_the_directors_index() {
    assert_item(
        Record::Membership(fx::membership(DIRECTOR, MemberStatus::Active)),
        &[
            (PK, s(format!("PRACTICE#{PID}"))),
            (SK, s(format!("MEMBER#{UID}"))),
            (GSI1PK, s(format!("USER#{UID}"))),
            (GSI1SK, s(format!("MEMBER#{PID}"))),
            (GSI2PK, s(format!("DIRECTORS#{PID}"))),
            (GSI2SK, s(format!("MEMBER#{UID}"))),
            // The practice's name for the member, searched beside `search`.
            (DISPLAY_SEARCH, s("ada king, countess")),
            (TYPE, s("membership")),
        ],
        &with_access(&MEMBERSHIP_OWN),
    );
}

#[test]
fn membership_of_anyone_else_is_not() {
    for m in [fx::membership("receptionist", MemberStatus::Active), fx::membership(DIRECTOR, MemberStatus::Deactivated)]
    {
        assert_item(
            Record::Membership(m),
            &[
                (PK, s(format!("PRACTICE#{PID}"))),
                (SK, s(format!("MEMBER#{UID}"))),
                (GSI1PK, s(format!("USER#{UID}"))),
                (GSI1SK, s(format!("MEMBER#{PID}"))),
                (DISPLAY_SEARCH, s("ada king, countess")),
                (TYPE, s("membership")),
            ],
            &with_access(&MEMBERSHIP_OWN),
        );
    }
}

// R14: a membership stored before practices named their members has no
// name of the practice's, nothing to search by it, and reads back as such;
// the view then shows the user's own name.
#[test]
fn membership_stored_before_practice_names_reads_back_unnamed() {
    let mut m = fx::membership("receptionist", MemberStatus::Active);
    m.name = None;
    let own: Vec<&str> = MEMBERSHIP_OWN.into_iter().filter(|f| !["display_name", "title"].contains(f)).collect();
    assert_item(
        Record::Membership(m.clone()),
        &[
            (PK, s(format!("PRACTICE#{PID}"))),
            (SK, s(format!("MEMBER#{UID}"))),
            (GSI1PK, s(format!("USER#{UID}"))),
            (GSI1SK, s(format!("MEMBER#{PID}"))),
            (TYPE, s("membership")),
        ],
        &with_access(&own),
    );
    let back: roster_domain::model::Membership =
        super::codec::decode(item_of(&Record::Membership(m.clone()))).expect("decodes");
    assert_eq!(back, m);

    let named = fx::membership("receptionist", MemberStatus::Active);
    let back: roster_domain::model::Membership =
        super::codec::decode(item_of(&Record::Membership(named.clone()))).expect("decodes");
    assert_eq!(back.name, named.name);
}

#[test]
fn failed_sign_ins_in_a_row_are_counted_beside_the_user() {
    // No record: `count_attempt` makes the item, with its key and
    // `failures` alone.
    assert_eq!(pk_sk(&Key::LoginFailures(fx::USER)), (format!("USER#{UID}"), "LOGINFAIL".to_string()));
}

#[test]
fn reset_mails_lately_sent_are_kept_beside_the_user_for_an_hour() {
    assert_item(
        Record::SentMails(fx::sent_mails()),
        &[
            (PK, s(format!("USER#{UID}"))),
            (SK, s("SENT#password_reset")),
            // An hour after the newest mail, in seconds.
            (TTL, n(1_796_119_200)),
            (TYPE, s("sent_mails")),
        ],
        &["epoch", "expires_at", "purpose", "sent_at", "user_id", "version"],
    );
}

#[test]
fn second_factor_challenge() {
    assert_item(
        Record::Challenge(fx::challenge()),
        &[(PK, s("MFA#mfahash")), (SK, s("MFA")), (TTL, n(1_796_115_900)), (TYPE, s("mfa_challenge"))],
        &["created_at", "epoch", "expires_at", "token_hash", "user_id"],
    );
}

#[test]
fn support_grant_is_due_at_its_expiry_and_kept_a_month_after() {
    assert_item(
        Record::SupportGrant(fx::support_grant()),
        &[
            (PK, s(format!("PRACTICE#{PID}"))),
            (SK, s("SUPPORT")),
            // Shard 11 of 16, from the hash of its primary key; expiry 72
            // hours after 1796115600, in fixed-width milliseconds.
            (GSI2PK, s("DUE#SUPPORT#11")),
            (GSI2SK, s(format!("001796374800000#{PID}"))),
            // The expiry plus 30 days, in seconds.
            (TTL, n(1_798_966_800)),
            (TYPE, s("support_grant")),
        ],
        &["expires_at", "granted_at", "granted_by", "practice_id", "version"],
    );
}

// R50: in the practice's partition by its v7 id; in the directors' review
// queue (GSI1, its open part until ended) until reviewed and the sweep's
// due list (GSI2) until ended; kept like the audit log, so no TTL.
#[test]
fn emergency_access_is_queued_for_review_and_due_at_its_end() {
    let fields = [
        "ended_at",
        "ends_at",
        "id",
        "opened_at",
        "permissions",
        "practice_id",
        "reason",
        "review",
        "user_id",
        "version",
    ];
    let mut a = fx::emergency_access();
    assert_item(
        Record::EmergencyAccess(a.clone()),
        &[
            (PK, s(format!("PRACTICE#{PID}"))),
            (SK, s(format!("EMERGENCY#{EID}"))),
            (GSI1PK, s(format!("PRACTICE#{PID}#EMERGENCY_UNREVIEWED"))),
            (GSI1SK, s(format!("OPEN#{EID}"))),
            // Shard 0 of 16 from the hash of its primary key; an hour
            // after 1796115600, in fixed-width milliseconds.
            (GSI2PK, s("DUE#EMERGENCY#00")),
            (GSI2SK, s(format!("001796119200000#{PID}#{EID}"))),
            (TYPE, s("emergency_access")),
        ],
        &fields,
    );
    // Ended: in the queue's ended part, off the due list.
    a.ended_at = Some(fx::now());
    assert_item(
        Record::EmergencyAccess(a.clone()),
        &[
            (PK, s(format!("PRACTICE#{PID}"))),
            (SK, s(format!("EMERGENCY#{EID}"))),
            (GSI1PK, s(format!("PRACTICE#{PID}#EMERGENCY_UNREVIEWED"))),
            (GSI1SK, s(format!("ENDED#{EID}"))),
            (TYPE, s("emergency_access")),
        ],
        &fields,
    );
    // Reviewed: out of both lists.
    a.review = Some(roster_domain::model::Review { by: fx::USER, at: fx::now(), note: "Justified".into() });
    assert_item(
        Record::EmergencyAccess(a),
        &[(PK, s(format!("PRACTICE#{PID}"))), (SK, s(format!("EMERGENCY#{EID}"))), (TYPE, s("emergency_access"))],
        &fields,
    );
}

// R50: one per member, read with the session; the TTL a day after its end
// only tidies (reads check `ends_at`).
#[test]
fn emergency_pointer_is_one_per_member_beside_the_membership() {
    let a = fx::emergency_access();
    assert_item(
        Record::EmergencyPointer(roster_domain::model::EmergencyPointer::of(&a, None)),
        &[
            (PK, s(format!("PRACTICE#{PID}"))),
            (SK, s(format!("EMERGENCY_OPEN#{UID}"))),
            // An hour and a day after 1796115600, in seconds.
            (TTL, n(1_796_205_600)),
            (TYPE, s("emergency_pointer")),
        ],
        &["access_id", "ends_at", "opened", "permissions", "practice_id", "user_id", "version"],
    );
}

// R52: beside the practice's invitations, by caller, key and part; the
// TTL is its expiry, which reads check themselves.
#[test]
fn bulk_answer_is_kept_by_caller_key_and_part_for_a_day() {
    assert_item(
        Record::BulkAnswer(fx::bulk_answer()),
        &[
            (PK, s(format!("PRACTICE#{PID}"))),
            (SK, s(format!("BULK#{UID}#keyhash#1"))),
            // 24 hours after 1796115600, in seconds.
            (TTL, n(1_796_202_000)),
            (TYPE, s("bulk_answer")),
        ],
        &["body_hash", "expires_at", "key_hash", "part", "parts", "practice_id", "results", "user_id", "version"],
    );
}

// R52: a claim not yet answered (part 0) carries its lease beside the
// same key and TTL; answered parts have none.
#[test]
fn bulk_claim_carries_its_lease() {
    let lease_until = Some(fx::now() + chrono::Duration::seconds(89));
    let claim =
        roster_domain::model::BulkAnswer { part: 0, parts: 0, results: vec![], lease_until, ..fx::bulk_answer() };
    assert_item(
        Record::BulkAnswer(claim),
        &[
            (PK, s(format!("PRACTICE#{PID}"))),
            (SK, s(format!("BULK#{UID}#keyhash#0"))),
            (TTL, n(1_796_202_000)),
            (TYPE, s("bulk_answer")),
        ],
        &[
            "body_hash",
            "expires_at",
            "key_hash",
            "lease_until",
            "part",
            "parts",
            "practice_id",
            "results",
            "user_id",
            "version",
        ],
    );
}

// R44: due on its day in the sweep's list, tidied by TTL a month after.
#[test]
fn onboarding_mail_is_due_on_its_day_and_kept_a_month_after() {
    assert_item(
        Record::OnboardingMail(fx::onboarding_mail()),
        &[
            (PK, s(format!("PRACTICE#{PID}"))),
            (SK, s(format!("ONBOARDING#{UID}#two_factor"))),
            // Shard 12; three days after 1796115600, in fixed-width
            // milliseconds.
            (GSI2PK, s("DUE#ONBOARDING#12")),
            (GSI2SK, s(format!("001796374800000#{PID}#{UID}#two_factor"))),
            // Due plus 30 days, in seconds.
            (TTL, n(1_798_966_800)),
            (TYPE, s("onboarding_mail")),
        ],
        &["due_at", "practice_id", "step", "user_id", "version"],
    );
}

// R51: no `ttl` among them: audit items are kept (six years at least).
#[test]
fn audit_events_in_a_practice_or_a_users_log() {
    let fields = ["action", "actor", "after", "at", "before", "id", "scope", "target"];
    assert_item(
        Record::Audit(fx::audit(AuditScope::Practice(fx::PRACTICE))),
        &[(PK, s(format!("AUDIT#PRACTICE#{PID}"))), (SK, s(format!("EVENT#{EVENT_ID}"))), (TYPE, s("audit"))],
        &fields,
    );
    assert_item(
        Record::Audit(fx::audit(AuditScope::User(fx::USER))),
        &[(PK, s(format!("AUDIT#USER#{UID}"))), (SK, s(format!("EVENT#{EVENT_ID}"))), (TYPE, s("audit"))],
        &fields,
    );
}

#[test]
fn outbox_item_is_in_the_undelivered_index_by_its_next_attempt() {
    assert_item(
        Record::Outbox(fx::outbox()),
        &[
            (PK, s(format!("OUTBOX#{OUTBOX_ID}"))),
            (SK, s("OUTBOX")),
            // Shard 2, which a dead item keeps.
            (GSI1PK, s("OUTBOX#02")),
            (GSI1SK, s(format!("001796115660000#{OUTBOX_ID}"))),
            (TYPE, s("outbox")),
        ],
        &["attempts", "created_at", "dead_at", "delivered_at", "id", "next_attempt_at", "payload"],
    );
}

/// An item written before R42 has no next attempt: it stays where it was,
/// due from its creation.
#[test]
fn outbox_item_without_next_attempt_is_due_from_its_creation() {
    let item = item_of(&Record::Outbox(OutboxItem { next_attempt_at: None, ..fx::outbox() }));
    assert_eq!(item.get(GSI1SK), Some(&s(format!("001796115600000#{OUTBOX_ID}"))));
}

/// A delivered item leaves every index and carries a TTL a week on: the
/// table forgets it (issue 15).
#[test]
fn delivered_outbox_item_is_in_no_index_and_expires_a_week_on() {
    let delivered = fx::outbox().delivered(fx::now() + chrono::Duration::seconds(1));
    assert_item(
        Record::Outbox(delivered),
        &[(PK, s(format!("OUTBOX#{OUTBOX_ID}"))), (SK, s("OUTBOX")), (TTL, n(1_796_720_401)), (TYPE, s("outbox"))],
        &["attempts", "created_at", "dead_at", "delivered_at", "id", "next_attempt_at", "payload"],
    );
}

/// A dead item leaves the sweep's index for the dead list (R42).
#[test]
fn dead_outbox_item_is_in_the_dead_index_only() {
    let dead = OutboxItem { attempts: 10, dead_at: Some(fx::now() + chrono::Duration::hours(9)), ..fx::outbox() };
    assert_item(
        Record::Outbox(dead),
        &[
            (PK, s(format!("OUTBOX#{OUTBOX_ID}"))),
            (SK, s("OUTBOX")),
            (GSI1PK, s("OUTBOX_DEAD#02")),
            (GSI1SK, s(format!("001796148000000#{OUTBOX_ID}"))),
            (TYPE, s("outbox")),
        ],
        &["attempts", "created_at", "dead_at", "delivered_at", "id", "next_attempt_at", "payload"],
    );
}

/// An invitation's own fields; the `Access` it offers adds its own, flattened.
const INVITATION_OWN: [&str; 19] = [
    "accepted_at",
    "created_at",
    "declined_at",
    "email",
    "email_norm",
    "expires_at",
    "first_name",
    "id",
    "invited_by",
    "last_name",
    "license_consent",
    "practice_id",
    "resend_count",
    "resent_at",
    "revoked_at",
    "status",
    "title",
    "token_hash",
    "version",
];

#[test]
fn pending_invitation_is_the_invitees_due_and_expires() {
    assert_item(
        Record::Invitation(fx::invitation(InvitationStatus::Pending)),
        &[
            (PK, s(format!("PRACTICE#{PID}"))),
            (SK, s(format!("INVITE#{IID}"))),
            (GSI1PK, s(format!("INVITEE#{EMAIL_NORM}"))),
            (GSI1SK, s(format!("INVITE#{IID}"))),
            // Shard 14; expiry a week after 1796115600, in fixed-width
            // milliseconds.
            (GSI2PK, s("DUE#INVITATION#14")),
            (GSI2SK, s(format!("001796720400000#{IID}"))),
            // The expiry plus 30 days, in seconds.
            (TTL, n(1_799_312_400)),
            (TYPE, s("invitation")),
            // What the practice searches it by (R47): names typed, email.
            (DISPLAY_SEARCH, s("ada\nada@example.com")),
        ],
        &with_access(&INVITATION_OWN),
    );
}

#[test]
fn invitation_no_longer_pending_is_in_no_index_and_stays() {
    for status in
        [InvitationStatus::Accepted, InvitationStatus::Declined, InvitationStatus::Revoked, InvitationStatus::Expired]
    {
        assert_item(
            Record::Invitation(fx::invitation(status)),
            &[
                (PK, s(format!("PRACTICE#{PID}"))),
                (SK, s(format!("INVITE#{IID}"))),
                (TYPE, s("invitation")),
                (DISPLAY_SEARCH, s("ada\nada@example.com")),
            ],
            &with_access(&INVITATION_OWN),
        );
    }
}

#[test]
fn email_slot_held_by_an_invitation_or_a_member() {
    let placement = [(PK, s(format!("PRACTICE#{PID}"))), (SK, s("SLOT#ada@example.com")), (TYPE, s("slot"))];
    assert_item(
        Record::Slot(fx::invitation_slot()),
        &placement,
        &["email_norm", "expires_ms", "invitation_id", "practice_id"],
    );
    assert_item(Record::Slot(fx::member_slot()), &placement, &["email_norm", "practice_id", "user_id"]);
}

#[test]
fn invitation_link_token_is_kept_until_its_keep_until() {
    assert_item(
        Record::InvitationToken(fx::invitation_token()),
        &[(PK, s("INVTOKEN#linkhash")), (SK, s("INVTOKEN")), (TTL, n(1_799_312_400)), (TYPE, s("invitation_token"))],
        &["email_norm", "invitation_id", "keep_until", "practice_id", "token_hash"],
    );
}

#[test]
fn custom_role_with_its_holders() {
    assert_item(
        Record::Role(fx::role()),
        &[(PK, s(format!("PRACTICE#{PID}"))), (SK, s(format!("ROLE#{ROLE_ID}"))), (TYPE, s("role"))],
        &["created_at", "holders", "id", "name", "permissions", "practice_id", "updated_at", "version"],
    );
}

#[test]
fn role_name_claim() {
    assert_item(
        Record::RoleName(fx::role_name()),
        &[(PK, s(format!("PRACTICE#{PID}"))), (SK, s("ROLENAME#front desk")), (TYPE, s("role_name"))],
        &["name_norm", "practice_id", "role_id"],
    );
}

/// Every `Key` names the item its record is written to.
#[test]
fn keys_name_their_records_items() {
    let cases: Vec<(Key, Record)> = vec![
        (Key::User(fx::USER), Record::User(fx::user())),
        (Key::EmailClaim(EMAIL_NORM.into()), Record::EmailClaim(fx::email_claim())),
        (Key::Session { user_id: fx::USER, token_hash: "sessionhash".into() }, Record::Session(fx::session())),
        (Key::Token("tokenhash".into()), Record::Token(fx::email_token())),
        (Key::Practice(fx::PRACTICE), Record::Practice(fx::practice())),
        (Key::Location(fx::PRACTICE, fx::LOCATION), Record::Location(fx::location())),
        (Key::Membership(fx::PRACTICE, fx::USER), Record::Membership(fx::membership(DIRECTOR, MemberStatus::Active))),
        (Key::Outbox(fx::OUTBOX), Record::Outbox(fx::outbox())),
        (Key::Invitation(fx::PRACTICE, fx::INVITATION), Record::Invitation(fx::invitation(InvitationStatus::Pending))),
        (Key::Slot(fx::PRACTICE, EMAIL_NORM.into()), Record::Slot(fx::member_slot())),
        (Key::InvitationToken("linkhash".into()), Record::InvitationToken(fx::invitation_token())),
        (Key::Role(fx::PRACTICE, ROLE_ID.into()), Record::Role(fx::role())),
        (Key::RoleName(fx::PRACTICE, "front desk".into()), Record::RoleName(fx::role_name())),
        (Key::Challenge("mfahash".into()), Record::Challenge(fx::challenge())),
        (Key::SupportGrant(fx::PRACTICE), Record::SupportGrant(fx::support_grant())),
        (Key::PracticeSettings(fx::PRACTICE), Record::PracticeSettings(fx::practice_settings())),
        (
            Key::OnboardingMail(fx::PRACTICE, fx::USER, roster_domain::model::OnboardingStep::TwoFactor),
            Record::OnboardingMail(fx::onboarding_mail()),
        ),
        (Key::BulkAnswer(fx::PRACTICE, fx::USER, "keyhash".into(), 1), Record::BulkAnswer(fx::bulk_answer())),
        (Key::EmergencyAccess(fx::PRACTICE, fx::EMERGENCY), Record::EmergencyAccess(fx::emergency_access())),
        (
            Key::EmergencyPointer(fx::PRACTICE, fx::USER),
            Record::EmergencyPointer(roster_domain::model::EmergencyPointer::of(&fx::emergency_access(), None)),
        ),
    ];
    for (key, record) in cases {
        let item = item_of(&record);
        let (pk, sk) = pk_sk(&key);
        assert_eq!((item.get(PK), item.get(SK)), (Some(&s(pk)), Some(&s(sk))), "{key:?}");
    }
}
