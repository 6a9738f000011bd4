//! What a member may see and do in a practice (R1, R5, R14..R17), written
//! once: [`Access`] is embedded by the invitation that offers it and by the
//! membership that holds it, and [`AccessPatch::apply`] is the only way one is
//! made or changed. A new access field is added to these two types and to
//! `apply`'s rules, and nowhere else.

use crate::ids::LocationId;
use crate::model::license::Module;
use crate::model::practice::{CounterDelta, DefaultRoles, Location, Role};
use crate::permissions::{self, effective_permissions, Grants, DIRECTOR};
use crate::validate::{self, double_option, Errors};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Practitioner,
    Staff,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    #[serde(default)]
    pub grant: Vec<String>,
    #[serde(default)]
    pub revoke: Vec<String>,
}

/// `"all"` or a list of location ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocationAccess {
    All,
    Only(Vec<LocationId>),
}

impl Serialize for LocationAccess {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            LocationAccess::All => s.serialize_str("all"),
            LocationAccess::Only(ids) => ids.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for LocationAccess {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Word(String),
            Ids(Vec<LocationId>),
        }
        match Raw::deserialize(d)? {
            Raw::Word(w) if w == "all" => Ok(LocationAccess::All),
            Raw::Word(_) => Err(serde::de::Error::custom("expected \"all\" or a list of location ids")),
            Raw::Ids(ids) => Ok(LocationAccess::Only(ids)),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PractitionerProfile {
    #[serde(default)]
    pub profession: Option<String>,
    #[serde(default)]
    pub registration_number: Option<String>,
    #[serde(default)]
    pub npi: Option<String>,
    #[serde(default)]
    pub taxonomy_code: Option<String>,
    #[serde(default)]
    pub bio: Option<String>,
    #[serde(default)]
    pub capacity: Option<u32>,
    #[serde(default)]
    pub scheduling_step_minutes: Option<u32>,
}

impl PractitionerProfile {
    /// What of the profile staff may hold too (R16): profession and bio;
    /// `None` when neither is set.
    pub fn for_staff(&self) -> Option<Self> {
        let kept = Self { profession: self.profession.clone(), bio: self.bio.clone(), ..Self::default() };
        (kept != Self::default()).then_some(kept)
    }

    /// The fields set that only a practitioner may hold (R16).
    pub fn practitioner_only_fields(&self) -> Vec<&'static str> {
        [
            ("registration_number", self.registration_number.is_some()),
            ("npi", self.npi.is_some()),
            ("taxonomy_code", self.taxonomy_code.is_some()),
            ("capacity", self.capacity.is_some()),
            ("scheduling_step_minutes", self.scheduling_step_minutes.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }
}

/// The access a membership holds or an invitation offers. Stored and
/// returned flattened into its owner, so items and JSON keep one level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Access {
    pub kind: Kind,
    pub role_id: String,
    #[serde(default)]
    pub overrides: Overrides,
    pub access_billing: bool,
    pub show_on_calendar: bool,
    pub primary_location_id: LocationId,
    pub location_access: LocationAccess,
    /// R28: the member must sign in with a second factor in this practice.
    #[serde(default)]
    pub mfa_required: bool,
    #[serde(default)]
    pub practitioner: Option<PractitionerProfile>,
    /// R46: the licensed product modules a practitioner holds; staff hold
    /// none. Each counts in the practice's `module_seats` while the
    /// membership is active.
    #[serde(default)]
    pub modules: BTreeSet<Module>,
}

impl Access {
    /// The plain defaults: no overrides, billing access, every location, on
    /// the calendar if a practitioner, no second factor required, no profile.
    pub fn new(kind: Kind, role_id: &str, primary_location_id: LocationId) -> Self {
        Self {
            kind,
            role_id: role_id.to_string(),
            overrides: Overrides::default(),
            access_billing: true,
            show_on_calendar: kind == Kind::Practitioner,
            primary_location_id,
            location_access: LocationAccess::All,
            mfa_required: false,
            practitioner: None,
            modules: BTreeSet::new(),
        }
    }

    /// R1: what this access lets its holder do. `custom` holds the
    /// practice's custom roles (at least this one's); a role that no longer
    /// exists grants nothing, and an inactive member has nothing.
    pub fn permissions(&self, active: bool, custom: &[Role]) -> Vec<String> {
        let role = permissions::role_permissions(&self.role_id, custom).unwrap_or_default();
        effective_permissions(&Grants {
            role_id: &self.role_id,
            role_permissions: &role,
            grant: &self.overrides.grant,
            revoke: &self.overrides.revoke,
            access_billing: self.access_billing,
            active,
        })
    }

    pub fn is_director(&self) -> bool {
        self.role_id == DIRECTOR
    }

    /// The practice's counters as this access starts to count: its seat
    /// (R20), a module seat per module it holds (R46) and, for a director,
    /// the director count (R15).
    pub fn joining(&self) -> CounterDelta {
        let mut d = match self.kind {
            Kind::Practitioner => CounterDelta { practitioner_seats: 1, ..Default::default() },
            Kind::Staff => CounterDelta { staff_seats: 1, ..Default::default() },
        };
        if self.is_director() {
            d.directors = 1;
        }
        for m in &self.modules {
            d.module_seats.add(*m, 1);
        }
        d
    }

    /// Whether holding this access instead of `before` (`None`: holding
    /// nothing, as an invitation or a reactivation starts) adds a paid seat:
    /// a practitioner seat (R45) or a module seat (R46). Either needs the
    /// administrator to accept the license terms.
    pub fn adds_paid_seat(&self, before: Option<&Access>) -> bool {
        let was_practitioner = before.is_some_and(|b| b.kind == Kind::Practitioner);
        let new_practitioner = self.kind == Kind::Practitioner && !was_practitioner;
        new_practitioner || !self.modules_added(before).is_empty()
    }

    /// The modules this access holds that `before` did not.
    pub fn modules_added(&self, before: Option<&Access>) -> Vec<Module> {
        self.modules.iter().filter(|m| !before.is_some_and(|b| b.modules.contains(m))).copied().collect()
    }

    /// The practice's counters as this access stops counting.
    pub fn leaving(&self) -> CounterDelta {
        -self.joining()
    }
}

/// A change to an access, or (applied to nothing) a new one: each field left
/// out keeps its value, or takes its default. Fields are loose here so that
/// a wrong value is a named `422`, not a `400`. Owners flatten it into their
/// input, so it cannot deny unknown fields itself; see [`validate::NoOtherFields`].
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AccessPatch {
    pub kind: Option<String>,
    pub role_id: Option<String>,
    pub access_billing: Option<bool>,
    pub show_on_calendar: Option<bool>,
    pub primary_location_id: Option<String>,
    pub location_access: Option<LocationAccess>,
    pub overrides: Option<Overrides>,
    pub mfa_required: Option<bool>,
    /// `null` removes the profile; absent keeps it.
    #[serde(default, deserialize_with = "double_option")]
    pub practitioner: Option<Option<PractitionerProfile>>,
    /// The whole set (R46); absent keeps it (a practitioner's), names of
    /// the catalogue only.
    pub modules: Option<Vec<String>>,
}

impl AccessPatch {
    /// The locations the patch names, for a caller that reads only those:
    /// [`apply`](Self::apply) needs no others.
    pub fn named_locations(&self) -> Vec<LocationId> {
        let mut ids: Vec<LocationId> = self.primary_location_id.iter().filter_map(|raw| raw.parse().ok()).collect();
        if let Some(LocationAccess::Only(listed)) = &self.location_access {
            ids.extend(listed);
        }
        ids.sort();
        ids.dedup();
        ids
    }
}

fn sorted_unique(keys: &[String]) -> Vec<String> {
    let mut v: Vec<String> = keys.iter().map(|k| k.trim().to_string()).collect();
    v.sort();
    v.dedup();
    v
}

/// R46: names of the catalogue, each once, in the catalogue's order.
fn parse_modules(e: &mut Errors, raw: &[String]) -> BTreeSet<Module> {
    let mut out = BTreeSet::new();
    for name in raw {
        match Module::parse(name.trim()) {
            Some(m) => {
                out.insert(m);
            }
            None => e.add("modules", &format!("{name} is not a module")),
        }
    }
    out
}

fn parse_kind(e: &mut Errors, raw: Option<&str>, base: Option<Kind>) -> Option<Kind> {
    match raw {
        Some("practitioner") => Some(Kind::Practitioner),
        Some("staff") => Some(Kind::Staff),
        Some(_) => {
            e.add("kind", "must be practitioner or staff");
            None
        }
        None if base.is_some() => base,
        None => {
            e.add("kind", "is required");
            None
        }
    }
}

fn parse_role(e: &mut Errors, raw: Option<&str>, roles: &[Role]) -> Option<String> {
    match raw.map(str::trim) {
        None | Some("") => {
            e.add("role_id", "is required");
            None
        }
        Some(r) if permissions::role_permissions(r, roles).is_none() => {
            e.add("role_id", "is not a role of this practice");
            None
        }
        Some(r) => Some(r.to_string()),
    }
}

/// A new primary location must be an active location of the practice; the
/// current one is kept even if it has been deactivated since.
fn parse_primary(
    e: &mut Errors,
    raw: Option<&str>,
    current: Option<LocationId>,
    locations: &[Location],
) -> Option<LocationId> {
    let field = "primary_location_id";
    let Some(raw) = raw else {
        e.add(field, "is required");
        return None;
    };
    let Ok(id) = raw.parse::<LocationId>() else {
        e.add(field, "is not a location of this practice");
        return None;
    };
    if current == Some(id) {
        return Some(id);
    }
    match locations.iter().find(|l| l.id == id) {
        Some(l) if l.active => Some(id),
        Some(_) => {
            e.add(field, "is not an active location");
            None
        }
        None => {
            e.add(field, "is not a location of this practice");
            None
        }
    }
}

/// R17: only the practice's locations, always including the primary. A list
/// the patch does not set was checked when it was set (locations are never
/// deleted), so only a new one is looked up.
fn check_location_access(
    e: &mut Errors,
    access: LocationAccess,
    is_new: bool,
    primary: Option<LocationId>,
    locations: &[Location],
) -> LocationAccess {
    match access {
        LocationAccess::All => LocationAccess::All,
        LocationAccess::Only(mut ids) => {
            ids.sort();
            ids.dedup();
            if is_new && ids.iter().any(|id| !locations.iter().any(|l| l.id == *id)) {
                e.add("location_access", "lists a location that is not the practice's");
            }
            if primary.is_some_and(|p| !ids.contains(&p)) {
                e.add("location_access", "must include the primary location");
            }
            LocationAccess::Only(ids)
        }
    }
}

/// R16: the practitioner profile's own rules, each broken one named.
fn check_profile(e: &mut Errors, prefix: &str, p: &PractitionerProfile) {
    let f = |name: &str| format!("{prefix}{name}");
    if let Some(npi) = &p.npi {
        if !validate::valid_npi(npi) {
            e.add(&f("npi"), "must be 10 digits with a valid check digit");
        }
    }
    if let Some(t) = &p.taxonomy_code {
        if !validate::valid_taxonomy(t) {
            e.add(&f("taxonomy_code"), "must be 10 characters ending in X");
        }
    }
    if let Some(c) = p.capacity {
        if !validate::CAPACITY.contains(&c) {
            let (min, max) = (validate::CAPACITY.start(), validate::CAPACITY.end());
            e.add(&f("capacity"), &format!("must be from {min} to {max}"));
        }
    }
    if let Some(step) = p.scheduling_step_minutes {
        if !validate::SCHEDULING_STEPS.contains(&step) {
            e.add(&f("scheduling_step_minutes"), "must be one of 5, 10, 15, 20, 30, 45, 60");
        }
    }
    for (name, value, max) in [
        ("profession", &p.profession, validate::PROFESSION_MAX),
        ("registration_number", &p.registration_number, validate::REGISTRATION_NUMBER_MAX),
        ("bio", &p.bio, validate::BIO_MAX),
    ] {
        if let Some(v) = value {
            if v.chars().count() > max {
                e.add(&f(name), &format!("must be at most {max} characters"));
            }
        }
    }
}

impl AccessPatch {
    /// R43: an invitation that names no role (absent or `null`) offers the
    /// practice's default for its kind. An unknown kind takes none, and is
    /// refused by `apply` as it stands.
    pub fn or_default_role(mut self, defaults: &DefaultRoles) -> Self {
        if self.role_id.is_none() {
            self.role_id = match self.kind.as_deref() {
                Some("practitioner") => Some(defaults.practitioner.clone()),
                Some("staff") => Some(defaults.staff.clone()),
                _ => None,
            };
        }
        self
    }

    /// The access this patch makes of `base` (a member's current access), or
    /// of nothing (an invitation's), checked against R1, R16 and R17. Every
    /// broken rule goes to `e`; `None` when a required part is missing.
    ///
    /// `locations` are the practice's, needed only when the patch names a
    /// location; `roles` its custom roles. Defaults that depend on other
    /// fields: a change of kind resets `show_on_calendar` (on for a
    /// practitioner) and keeps of the profile only what staff may hold
    /// (profession and bio) for staff, and drops the modules, which staff
    /// never hold; becoming a director clears the overrides, since a
    /// director takes none.
    pub fn apply(
        &self,
        base: Option<&Access>,
        e: &mut Errors,
        locations: &[Location],
        roles: &[Role],
    ) -> Option<Access> {
        let kind = parse_kind(e, self.kind.as_deref(), base.map(|b| b.kind));
        let role_id = parse_role(e, self.role_id.as_deref().or(base.map(|b| b.role_id.as_str())), roles);
        let primary_raw = self.primary_location_id.clone().or(base.map(|b| b.primary_location_id.to_string()));
        let primary = parse_primary(e, primary_raw.as_deref(), base.map(|b| b.primary_location_id), locations);
        let location_access = check_location_access(
            e,
            self.location_access.clone().or(base.map(|b| b.location_access.clone())).unwrap_or(LocationAccess::All),
            self.location_access.is_some(),
            primary,
            locations,
        );
        let becomes_director = role_id.as_deref() == Some(DIRECTOR);
        let overrides = match &self.overrides {
            Some(o) => o.clone(),
            None if becomes_director => Overrides::default(),
            None => base.map(|b| b.overrides.clone()).unwrap_or_default(),
        };
        let overrides = Overrides { grant: sorted_unique(&overrides.grant), revoke: sorted_unique(&overrides.revoke) };
        for (field, keys) in [("overrides.grant", &overrides.grant), ("overrides.revoke", &overrides.revoke)] {
            if let Some(bad) = keys.iter().find(|k| !permissions::is_known(k)) {
                e.add(field, &format!("{bad} is not a permission"));
            }
        }
        if becomes_director && (!overrides.grant.is_empty() || !overrides.revoke.is_empty()) {
            e.add("overrides", "a director takes no overrides");
        }
        // A director holds every permission, billing's included, so a
        // director without billing access would show unticked boxes beside
        // permissions they hold: asked for, it is refused; carried over from
        // the access before a promotion, it is set.
        if becomes_director && self.access_billing == Some(false) {
            e.add("access_billing", "a director always has billing access");
        }
        let access_billing = becomes_director || self.access_billing.or(base.map(|b| b.access_billing)).unwrap_or(true);
        let same_kind = base.filter(|b| Some(b.kind) == kind);
        let show_on_calendar = self
            .show_on_calendar
            .unwrap_or_else(|| same_kind.map_or(kind == Some(Kind::Practitioner), |b| b.show_on_calendar));
        let practitioner = match &self.practitioner {
            Some(p) => p.clone(),
            None if kind == Some(Kind::Practitioner) => base.and_then(|b| b.practitioner.clone()),
            // Staff keep what staff may hold of the profile (R16).
            None => base.and_then(|b| b.practitioner.as_ref()).and_then(PractitionerProfile::for_staff),
        };
        let modules = match &self.modules {
            Some(raw) => parse_modules(e, raw),
            None if kind == Some(Kind::Practitioner) => base.map(|b| b.modules.clone()).unwrap_or_default(),
            // Staff hold no modules (R46): becoming staff frees them.
            None => BTreeSet::new(),
        };
        // R16: practitioner-only fields (and R46's modules).
        if kind == Some(Kind::Staff) {
            if !modules.is_empty() {
                e.add("modules", "apply to practitioners only");
            }
            if show_on_calendar {
                e.add("show_on_calendar", "applies to practitioners only");
            }
            if let Some(p) = &practitioner {
                for field in p.practitioner_only_fields() {
                    e.add(&format!("practitioner.{field}"), "applies to practitioners only");
                }
            }
        }
        if let Some(p) = &practitioner {
            check_profile(e, "practitioner.", p);
        }
        Some(Access {
            kind: kind?,
            role_id: role_id?,
            overrides,
            access_billing,
            show_on_calendar,
            primary_location_id: primary?,
            location_access,
            mfa_required: self.mfa_required.or(base.map(|b| b.mfa_required)).unwrap_or(false),
            practitioner,
            modules,
        })
    }
}

#[cfg(test)]
mod tests;
