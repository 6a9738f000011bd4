//! Records for the tests that need no database, built in this one place so
//! that a change to a record's shape is adapted here and nowhere else.

use chrono::{DateTime, Duration, Utc};
use roster_domain::ids::{EmergencyAccessId, EventId, InvitationId, LocationId, PracticeId, SessionId, UserId};
use roster_domain::model::RoleSet;
use roster_domain::model::*;
use uuid::Uuid;

/// Fixed ids, so the tests can spell the expected keys out in full.
pub const USER: UserId = UserId(Uuid::from_u128(0x0190c3c8_6b1d_7c4e_9a0f_000000000001));
pub const PRACTICE: PracticeId = PracticeId(Uuid::from_u128(0x0190c3c8_6b1d_7c4e_9a0f_000000000002));
pub const LOCATION: LocationId = LocationId(Uuid::from_u128(0x0190c3c8_6b1d_7c4e_9a0f_000000000003));
pub const INVITATION: InvitationId = InvitationId(Uuid::from_u128(0x0190c3c8_6b1d_7c4e_9a0f_000000000004));
pub const EVENT: EventId = EventId(Uuid::from_u128(0x0190c3c8_6b1d_7c4e_9a0f_000000000005));
pub const OUTBOX: EventId = EventId(Uuid::from_u128(0x0190c3c8_6b1d_7c4e_9a0f_000000000006));
pub const EMERGENCY: EmergencyAccessId = EmergencyAccessId(Uuid::from_u128(0x0190c3c8_6b1d_7c4e_9a0f_000000000009));
pub const SESSION: SessionId = SessionId(Uuid::from_u128(0x0190c3c8_6b1d_7c4e_9a0f_000000000008));

pub const EMAIL_NORM: &str = "ada@example.com";
pub const ROLE_ID: &str = "0190c3c8-6b1d-7c4e-9a0f-000000000007";

/// 2026-12-01T09:00:00Z: epoch seconds 1796115600.
pub fn now() -> Time {
    DateTime::<Utc>::from_timestamp(1_796_115_600, 0).expect("a valid time")
}

pub fn user() -> User {
    let mut u =
        User::new("Ada@Example.com".into(), EMAIL_NORM.into(), "Ada".into(), "Lovelace".into(), "hash".into(), now());
    u.id = USER;
    u
}

pub fn email_claim() -> EmailClaim {
    EmailClaim { email_norm: EMAIL_NORM.into(), user_id: USER }
}

pub fn session() -> Session {
    Session {
        id: SESSION,
        user_id: USER,
        token_hash: "sessionhash".into(),
        epoch: 0,
        created_at: now(),
        expires_at: now() + Duration::hours(12),
        enroll_only: false,
        last_used_at: None,
        longest_idle_secs: 0,
        user_agent: Some("Mozilla/5.0".into()),
    }
}

pub fn email_token() -> EmailToken {
    EmailToken {
        token_hash: "tokenhash".into(),
        purpose: TokenPurpose::VerifyEmail,
        user_id: USER,
        created_at: now(),
        expires_at: now() + Duration::hours(24),
        epoch: None,
    }
}

pub fn sent_mails() -> SentMails {
    SentMails {
        user_id: USER,
        purpose: TokenPurpose::PasswordReset,
        sent_at: vec![now()],
        epoch: Some(3),
        expires_at: now() + Duration::hours(1),
        version: 1,
    }
}

pub fn challenge() -> MfaChallenge {
    MfaChallenge {
        token_hash: "mfahash".into(),
        user_id: USER,
        created_at: now(),
        expires_at: now() + Duration::minutes(5),
        epoch: 3,
    }
}

pub fn practice() -> Practice {
    Practice {
        id: PRACTICE,
        name: "Harbour Clinic".into(),
        seats: Seats { practitioner: 1, staff: 0 },
        directors: 1,
        active_locations: 1,
        module_seats: ModuleSeats { telehealth: 1, ..ModuleSeats::default() },
        built_in_roles: [(
            "front_desk".to_string(),
            RoleSet { permissions: vec!["calendar.view".into()], version: 2, updated_at: now() },
        )]
        .into(),
        built_in_roles_version: 4,
        security_policy: Default::default(),
        security_policy_version: 0,
        created_at: now(),
        version: 3,
    }
}

pub fn location() -> Location {
    Location {
        id: LOCATION,
        practice_id: PRACTICE,
        name: "Main".into(),
        address: None,
        time_zone: None,
        active: true,
        created_at: now(),
        version: 1,
    }
}

/// The user's membership of the practice with this role and status, under
/// a name of the practice's own (R14).
pub fn membership(role_id: &str, status: MemberStatus) -> Membership {
    let mut m = Membership::new(PRACTICE, &user(), Access::new(Kind::Practitioner, role_id, LOCATION), now());
    m.status = status;
    m.version = 2;
    m.name = Some(PracticeName { display_name: "Ada King, Countess".into(), title: Some("Lady".into()) });
    m
}

pub fn role() -> Role {
    Role {
        id: ROLE_ID.into(),
        practice_id: PRACTICE,
        name: "Front Desk".into(),
        permissions: vec!["users.view".into()],
        holders: 2,
        created_at: now(),
        updated_at: now(),
        version: 4,
    }
}

pub fn role_name() -> RoleName {
    RoleName { practice_id: PRACTICE, name_norm: "front desk".into(), role_id: ROLE_ID.into() }
}

pub fn practice_settings() -> PracticeSettings {
    PracticeSettings {
        practice_id: PRACTICE,
        default_roles: DefaultRoles { practitioner: "clinician".into(), staff: ROLE_ID.into() },
        onboarding_mails: false,
        version: 3,
    }
}

/// Day 3's mail of a series begun at `now()`.
pub fn onboarding_mail() -> OnboardingMail {
    OnboardingMail {
        practice_id: PRACTICE,
        user_id: USER,
        step: OnboardingStep::TwoFactor,
        due_at: now() + Duration::days(3),
        version: 1_796_115_600_000,
    }
}

pub fn support_grant() -> SupportGrant {
    SupportGrant {
        practice_id: PRACTICE,
        granted_by: InvitedBy { user_id: USER, name: "Ada Lovelace".into() },
        granted_at: now(),
        expires_at: now() + Duration::hours(72),
        version: 1,
    }
}

/// R50: an hour's emergency access opened at `now()`, not yet ended.
pub fn emergency_access() -> EmergencyAccess {
    let reason = Reason::parse(Some("Patient collapsed in the lobby")).expect("a valid reason");
    let mut a = EmergencyAccess::open(PRACTICE, USER, reason, now(), 60, vec!["users.view".into()]);
    a.id = EMERGENCY;
    a
}

/// R52: part 1 of a bulk answer, kept a day.
pub fn bulk_answer() -> BulkAnswer {
    BulkAnswer {
        practice_id: PRACTICE,
        user_id: USER,
        key_hash: "keyhash".into(),
        part: 1,
        body_hash: "bodyhash".into(),
        parts: 2,
        results: vec![serde_json::json!({"row": 51, "status": 201})],
        expires_at: now() + Duration::hours(24),
        lease_until: None,
        version: 1,
    }
}

pub fn audit(scope: AuditScope) -> AuditEvent {
    AuditEvent {
        id: EVENT,
        scope,
        at: now(),
        actor: Actor::user(&user()),
        action: "member.updated".into(),
        target: Target::new("member", USER),
        before: serde_json::Value::Null,
        after: serde_json::json!({ "role_id": "director" }),
    }
}

pub fn outbox() -> OutboxItem {
    OutboxItem {
        id: OUTBOX,
        created_at: now(),
        payload: OutboxPayload::Event(DomainEvent {
            id: OUTBOX,
            detail_type: "MemberUpdated".into(),
            at: now(),
            detail: serde_json::json!({ "practice_id": PRACTICE }),
        }),
        attempts: 0,
        // Due for the sweep a minute on.
        next_attempt_at: Some(now() + chrono::Duration::minutes(1)),
        dead_at: None,
        delivered_at: None,
    }
}

/// An invitation of `EMAIL_NORM` to the practice, in this status, expiring
/// a week after `now()`.
pub fn invitation(status: InvitationStatus) -> Invitation {
    Invitation {
        id: INVITATION,
        practice_id: PRACTICE,
        email: "Ada@Example.com".into(),
        email_norm: EMAIL_NORM.into(),
        title: None,
        first_name: Some("Ada".into()),
        last_name: None,
        access: Access { access_billing: false, ..Access::new(Kind::Staff, "receptionist", LOCATION) },
        status,
        token_hash: "linkhash".into(),
        invited_by: InvitedBy { user_id: USER, name: "Ada Lovelace".into() },
        created_at: now(),
        expires_at: now() + Duration::days(7),
        resend_count: 0,
        resent_at: Vec::new(),
        accepted_at: None,
        revoked_at: None,
        declined_at: None,
        license_consent: None,
        version: 1,
    }
}

pub fn invitation_slot() -> EmailSlot {
    EmailSlot::invitation(&invitation(InvitationStatus::Pending))
}

pub fn member_slot() -> EmailSlot {
    EmailSlot::member(PRACTICE, EMAIL_NORM, USER)
}

pub fn invitation_token() -> InvitationToken {
    InvitationToken {
        token_hash: "linkhash".into(),
        practice_id: PRACTICE,
        invitation_id: INVITATION,
        email_norm: Some(EMAIL_NORM.into()),
        keep_until: now() + Duration::days(37),
    }
}
