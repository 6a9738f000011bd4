//! The operational metrics Roster counts (issue 14), through the `metrics`
//! facade: the domain says what happened, and the runtime decides where it
//! goes (CloudWatch's embedded metric format in a function, nowhere when no
//! recorder is installed). Each name is written once, here; the alarms in
//! infra/template.yaml name the same strings (tests/it/metrics.rs checks).

/// A count of something that happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// A session started after a full sign-in (password, and code if enrolled).
    SignIns,
    /// A sign-in refused: wrong password, unknown email, locked account.
    SignInFailures,
    /// An account locked by its fifth failure in a row (R25): a spike is
    /// credential stuffing.
    AccountLocks,
    /// A wrong or reused second-factor code at sign-in.
    MfaFailures,
    /// An invitation mail queued (a new invitation or a resend).
    InvitationsSent,
    /// Outbox items (mail, events, tasks) delivered.
    OutboxDelivered,
    /// Outbox deliveries that failed and will be retried.
    OutboxFailed,
    /// Outbox items dead after their last attempt (R42): someone must look.
    OutboxDead,
    /// Invitations the sweep expired.
    InvitationsExpired,
    /// Support grants the sweep expired.
    SupportGrantsExpired,
    /// Onboarding mails the sweep sent.
    OnboardingSent,
    /// Addresses a permanent bounce marked undeliverable.
    MailBounces,
    /// Addresses a complaint marked undeliverable.
    MailComplaints,
    /// Mails withheld because their address is marked undeliverable.
    MailSkipped,
    /// Items of a due list that could not be read, skipped (R42: one
    /// poisoned item never holds back the rest); someone must look.
    UnreadableSkipped,
}

impl Count {
    pub const ALL: [Count; 15] = [
        Count::SignIns,
        Count::SignInFailures,
        Count::AccountLocks,
        Count::MfaFailures,
        Count::InvitationsSent,
        Count::OutboxDelivered,
        Count::OutboxFailed,
        Count::OutboxDead,
        Count::InvitationsExpired,
        Count::SupportGrantsExpired,
        Count::OnboardingSent,
        Count::MailBounces,
        Count::MailComplaints,
        Count::MailSkipped,
        Count::UnreadableSkipped,
    ];

    /// The metric's name in CloudWatch.
    pub fn name(self) -> &'static str {
        match self {
            Count::SignIns => "SignIns",
            Count::SignInFailures => "SignInFailures",
            Count::AccountLocks => "AccountLocks",
            Count::MfaFailures => "MfaFailures",
            Count::InvitationsSent => "InvitationsSent",
            Count::OutboxDelivered => "OutboxDelivered",
            Count::OutboxFailed => "OutboxFailed",
            Count::OutboxDead => "OutboxDead",
            Count::InvitationsExpired => "InvitationsExpired",
            Count::SupportGrantsExpired => "SupportGrantsExpired",
            Count::OnboardingSent => "OnboardingSent",
            Count::MailBounces => "MailBounces",
            Count::MailComplaints => "MailComplaints",
            Count::MailSkipped => "MailSkipped",
            Count::UnreadableSkipped => "UnreadableSkipped",
        }
    }
}

/// A duration, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// One whole sweep run.
    SweepDuration,
}

impl Timing {
    pub const ALL: [Timing; 1] = [Timing::SweepDuration];

    pub fn name(self) -> &'static str {
        match self {
            Timing::SweepDuration => "SweepDuration",
        }
    }
}

/// Count `n` of `what`. Nothing is recorded for zero, so a quiet sweep
/// writes no metric document at all.
pub fn count(what: Count, n: usize) {
    if n > 0 {
        metrics::counter!(what.name()).increment(n as u64);
    }
}

/// Record one duration of `what`.
pub fn timing(what: Timing, elapsed: std::time::Duration) {
    metrics::histogram!(what.name()).record(elapsed.as_secs_f64() * 1000.0);
}

/// Tell the recorder each metric's unit (CloudWatch shows and alarms on it).
pub fn describe() {
    for c in Count::ALL {
        metrics::describe_counter!(c.name(), metrics::Unit::Count, "");
    }
    for t in Timing::ALL {
        metrics::describe_histogram!(t.name(), metrics::Unit::Milliseconds, "");
    }
}
