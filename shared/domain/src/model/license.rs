//! What a practice pays for beyond the seat itself: the licensed product
//! modules a practitioner holds (R46), and an administrator's consent to
//! the license terms whenever a change adds a paid seat (R45).

use super::user::User;
use crate::clock::Time;
use crate::ids::UserId;
use serde::{Deserialize, Serialize};

/// A licensed product module (R46). The catalogue is fixed: a new module is
/// a new variant, and `ALL`, the practice's counters and the OpenAPI enum
/// gain it with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Module {
    Billing,
    Telehealth,
    Eprescribing,
    PatientPortal,
    Analytics,
}

impl Module {
    pub const ALL: [Module; 5] =
        [Module::Billing, Module::Telehealth, Module::Eprescribing, Module::PatientPortal, Module::Analytics];

    pub fn as_str(self) -> &'static str {
        match self {
            Module::Billing => "billing",
            Module::Telehealth => "telehealth",
            Module::Eprescribing => "eprescribing",
            Module::PatientPortal => "patient_portal",
            Module::Analytics => "analytics",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// One count per module: the practice's module seats (R46), or a change to
/// them. Stored flat on the practice item, one top-level attribute per
/// module (`module_seats_billing`, ...), not as a map: a counter is changed
/// by `SET c = if_not_exists(c, 0) + :d`, and DynamoDB cannot set a path
/// inside a map the item lacks, which every practice stored before R46
/// does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleSeats {
    #[serde(default, rename = "module_seats_billing")]
    pub billing: i64,
    #[serde(default, rename = "module_seats_telehealth")]
    pub telehealth: i64,
    #[serde(default, rename = "module_seats_eprescribing")]
    pub eprescribing: i64,
    #[serde(default, rename = "module_seats_patient_portal")]
    pub patient_portal: i64,
    #[serde(default, rename = "module_seats_analytics")]
    pub analytics: i64,
}

impl ModuleSeats {
    pub fn get(&self, m: Module) -> i64 {
        match m {
            Module::Billing => self.billing,
            Module::Telehealth => self.telehealth,
            Module::Eprescribing => self.eprescribing,
            Module::PatientPortal => self.patient_portal,
            Module::Analytics => self.analytics,
        }
    }

    pub fn add(&mut self, m: Module, d: i64) {
        let slot = match m {
            Module::Billing => &mut self.billing,
            Module::Telehealth => &mut self.telehealth,
            Module::Eprescribing => &mut self.eprescribing,
            Module::PatientPortal => &mut self.patient_portal,
            Module::Analytics => &mut self.analytics,
        };
        *slot += d;
    }

    fn zip(self, o: Self, f: impl Fn(i64, i64) -> i64) -> Self {
        let mut out = Self::default();
        for m in Module::ALL {
            out.add(m, f(self.get(m), o.get(m)));
        }
        out
    }
}

impl std::ops::Add for ModuleSeats {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        self.zip(o, |a, b| a + b)
    }
}

impl std::ops::Neg for ModuleSeats {
    type Output = Self;
    fn neg(self) -> Self {
        self.zip(Self::default(), |a, _| -a)
    }
}

/// R45: who accepted the license terms for a paid seat, when, and which
/// terms (`LICENSE_TERMS_VERSION`). Made when the administrator's change
/// commits; an invitation keeps the one given when it was sent, and the
/// seat it adds on acceptance records that one again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseConsent {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub accepted_at: Time,
    pub terms_version: String,
}

impl LicenseConsent {
    pub fn by(user: &User, accepted_at: Time, terms_version: &str) -> Self {
        Self {
            user_id: user.id,
            name: user.display_name(),
            email: user.email.clone(),
            accepted_at,
            terms_version: terms_version.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_reads_back_from_its_name() {
        for m in Module::ALL {
            assert_eq!(Module::parse(m.as_str()), Some(m));
            assert_eq!(serde_json::to_value(m).ok(), Some(serde_json::json!(m.as_str())));
        }
        assert_eq!(Module::parse("Billing"), None);
    }

    #[test]
    fn module_seats_add_and_negate_per_module() {
        let mut a = ModuleSeats::default();
        a.add(Module::Telehealth, 2);
        a.add(Module::Analytics, -1);
        let mut b = ModuleSeats::default();
        b.add(Module::Telehealth, 1);
        let sum = a + b;
        assert_eq!(
            Module::ALL.map(|m| sum.get(m)),
            [0, 3, 0, 0, -1],
            "billing, telehealth, eprescribing, patient_portal, analytics"
        );
        assert_eq!(a + -a, ModuleSeats::default());
    }
}
