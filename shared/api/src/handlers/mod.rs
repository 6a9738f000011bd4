//! The handlers, by area. Each is thin: read the request, call one use case,
//! render its answer. Its signature states the caller it needs (see
//! `routes.rs`): none, a `Caller`, or a `MemberCtx`; the gates have been
//! passed before it runs.

pub mod account;
pub mod audit_export;
pub mod directory;
pub mod emergency;
pub mod invitations;
pub mod members;
