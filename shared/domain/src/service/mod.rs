//! Use cases, by aggregate. Each takes the [`App`](crate::ports::App) wiring and typed input,
//! checks the rules, and commits one transaction whose conditions hold the
//! invariants; mail and events ride along in the outbox and are delivered
//! after commit (R32, R33).
//!
//! The modules form no circle: the leaves ([`context`], [`writes`],
//! [`seats`], [`session`], [`user_copies`], [`mail_feedback`], [`outbox`], [`tasks`],
//! [`views`]) import no use case, and a use case imports only leaves and
//! use cases below it.

pub mod account;
pub mod audit;
pub mod audit_export;
pub mod context;
pub mod emergency;
pub mod emergency_review;
pub mod gate;
pub mod invitations;
pub mod mail_feedback;
pub mod mail_limits;
pub mod members;
pub mod onboarding;
pub mod outbox;
pub mod policy;
pub mod practices;
pub mod recovery;
pub mod roles;
pub mod seats;
pub mod second_factor;
pub mod session;
pub mod settings;
pub mod sign_in;
pub mod support;
pub mod sweep;
pub mod tasks;
pub mod user_copies;
pub mod verification;
pub mod views;
pub mod writes;
