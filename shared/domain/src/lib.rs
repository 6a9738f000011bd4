//! Roster's domain: what a practice, a member, an invitation and a session are,
//! the rules that govern them (R1..R35 in the team spec), and the ports through
//! which the use cases reach storage, mail and events. Nothing here knows AWS.

pub mod access;
pub mod clock;
pub mod error;
pub mod ids;
pub mod lookalike;
pub mod mail;
pub mod metrics;
pub mod model;
pub mod permissions;
pub mod ports;
pub mod secrets;
pub mod service;
pub mod timing;
pub mod validate;

pub use error::{DomainError, FieldError};

#[cfg(test)]
mod module_graph;
