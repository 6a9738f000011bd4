//! The records Roster keeps. Storage keys and the `ttl` attribute are the
//! adapter's business; these types carry only what the domain reasons about.
//!
//! One file per aggregate; this module only gathers them, so that
//! `model::*` names every record. The files import each other directly,
//! never through here.

pub mod emergency;
pub mod invitation;
pub mod license;
pub mod mail_feedback;
pub mod member;
pub mod onboarding;
pub mod policy;
pub mod practice;
pub mod record;
pub mod user;

pub use crate::access::{Access, Kind, LocationAccess, Overrides, PractitionerProfile};
pub use crate::clock::Time;
pub use emergency::*;
pub use invitation::*;
pub use license::*;
pub use mail_feedback::*;
pub use member::*;
pub use onboarding::*;
pub use policy::*;
pub use practice::*;
pub use record::*;
pub use user::*;
