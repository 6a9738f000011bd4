//! The access rules, each case named by its rule.

use super::*;
use crate::ids::PracticeId;
use crate::DomainError;
use chrono::Utc;

fn location(active: bool) -> Location {
    Location {
        id: LocationId::new(),
        practice_id: PracticeId::new(),
        name: "Main".into(),
        address: None,
        time_zone: None,
        active,
        created_at: Utc::now(),
        version: 1,
    }
}

fn patch(v: serde_json::Value) -> AccessPatch {
    serde_json::from_value(v).unwrap_or_default()
}

fn apply(p: &AccessPatch, base: Option<&Access>, locations: &[Location]) -> Result<Access, Vec<String>> {
    let mut e = Errors::new();
    let out = p.apply(base, &mut e, locations, &[]);
    match (e.finish(), out) {
        (Ok(()), Some(a)) => Ok(a),
        (Err(DomainError::Validation(fields)), _) => Err(fields.into_iter().map(|f| f.field).collect()),
        (other, _) => Err(vec![format!("{other:?}")]),
    }
}

// R5: an invitation names kind, role and primary location; the rest
// takes its defaults.
#[test]
fn a_new_access_needs_kind_role_and_primary_and_defaults_the_rest() {
    let l = location(true);
    assert_eq!(
        apply(&patch(serde_json::json!({})), None, std::slice::from_ref(&l)),
        Err(vec!["kind".into(), "role_id".into(), "primary_location_id".into()])
    );
    let p = patch(serde_json::json!({"kind": "practitioner", "role_id": "clinician", "primary_location_id": l.id}));
    assert_eq!(apply(&p, None, std::slice::from_ref(&l)), Ok(Access::new(Kind::Practitioner, "clinician", l.id)));
}

// R43: no role named, the default for the kind; a role named, that role.
#[test]
fn an_invitation_naming_no_role_takes_the_default_of_its_kind() {
    let l = location(true);
    let defaults = DefaultRoles { practitioner: "supervisor".into(), staff: "billing_manager".into() };
    let role = |body: serde_json::Value| {
        apply(&patch(body).or_default_role(&defaults), None, std::slice::from_ref(&l)).map(|a| a.role_id)
    };
    assert_eq!(role(serde_json::json!({"kind": "practitioner", "primary_location_id": l.id})), Ok("supervisor".into()));
    assert_eq!(
        role(serde_json::json!({"kind": "staff", "role_id": null, "primary_location_id": l.id})),
        Ok("billing_manager".into())
    );
    assert_eq!(
        role(serde_json::json!({"kind": "staff", "role_id": "front_desk", "primary_location_id": l.id})),
        Ok("front_desk".into())
    );
    assert_eq!(
        role(serde_json::json!({"kind": "intern", "primary_location_id": l.id})),
        Err(vec!["kind".into(), "role_id".into()])
    );
}

// R16, R17 on the merged result; a deactivated current primary stays.
#[test]
fn a_change_keeps_what_it_leaves_out_and_checks_the_result() {
    let (old, new) = (location(false), location(true));
    let base = Access {
        practitioner: Some(PractitionerProfile::default()),
        ..Access::new(Kind::Practitioner, "clinician", old.id)
    };
    let locations = [old.clone(), new.clone()];
    let same = apply(&patch(serde_json::json!({"access_billing": false})), Some(&base), &locations);
    assert_eq!(same, Ok(Access { access_billing: false, ..base.clone() }));
    let to_staff = apply(&patch(serde_json::json!({"kind": "staff"})), Some(&base), &locations);
    assert_eq!(
        to_staff,
        Ok(Access { show_on_calendar: false, practitioner: None, ..base.clone().with_kind(Kind::Staff) })
    );
    let bad = apply(&patch(serde_json::json!({"kind": "staff", "show_on_calendar": true})), Some(&base), &locations);
    assert_eq!(bad, Err(vec!["show_on_calendar".into()]));
    let inactive =
        apply(&patch(serde_json::json!({"primary_location_id": old.id})), Some(&base), std::slice::from_ref(&old));
    assert!(inactive.is_ok());
    let outside = apply(&patch(serde_json::json!({"location_access": [new.id]})), Some(&base), &locations);
    assert_eq!(outside, Err(vec!["location_access".into()]));
    let director = apply(&patch(serde_json::json!({"role_id": "director"})), Some(&base), &locations);
    assert_eq!(director.map(|a| a.overrides), Ok(Overrides::default()));
}

// Issue 12: a director always has billing access: refused when asked
// otherwise, set when a member without it is promoted.
#[test]
fn a_director_always_has_billing_access() {
    let l = location(true);
    let locations = std::slice::from_ref(&l);
    let off = Access { access_billing: false, ..Access::new(Kind::Staff, "billing_manager", l.id) };
    let promoted = apply(&patch(serde_json::json!({"role_id": "director"})), Some(&off), locations);
    assert_eq!(promoted.map(|a| a.access_billing), Ok(true));
    let asked =
        apply(&patch(serde_json::json!({"role_id": "director", "access_billing": false})), Some(&off), locations);
    assert_eq!(asked, Err(vec!["access_billing".into()]));
    let invited = serde_json::json!({"kind": "staff", "role_id": "director", "primary_location_id": l.id, "access_billing": false});
    assert_eq!(apply(&patch(invited), None, locations), Err(vec!["access_billing".into()]));
}

// R16: the profile's own rules, each broken one named.
#[test]
fn practitioner_profile_rules() {
    let mut e = Errors::new();
    check_profile(
        &mut e,
        "practitioner.",
        &PractitionerProfile {
            npi: Some("1234567890".into()),
            taxonomy_code: Some("bad".into()),
            capacity: Some(21),
            scheduling_step_minutes: Some(25),
            ..Default::default()
        },
    );
    let Err(DomainError::Validation(list)) = e.finish() else { panic!("expected 422") };
    let fields: Vec<_> = list.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "practitioner.npi",
            "practitioner.taxonomy_code",
            "practitioner.capacity",
            "practitioner.scheduling_step_minutes"
        ]
    );
    let mut ok = Errors::new();
    check_profile(
        &mut ok,
        "",
        &PractitionerProfile {
            npi: Some("1234567893".into()),
            taxonomy_code: Some("207Q00000X".into()),
            capacity: Some(20),
            scheduling_step_minutes: Some(45),
            ..Default::default()
        },
    );
    assert!(ok.is_empty());
}

// R16: staff may hold a profession and a bio; the rest of the profile is a
// practitioner's, named field by field when given for staff, and dropped
// when a practitioner becomes staff.
#[test]
fn staff_hold_profession_and_bio_only() {
    let l = location(true);
    let locations = std::slice::from_ref(&l);
    let staff = serde_json::json!({"kind": "staff", "role_id": "front_desk", "primary_location_id": l.id,
        "practitioner": {"profession": "Receptionist", "bio": "Front desk since 2019."}});
    let held = apply(&patch(staff), None, locations).map(|a| a.practitioner);
    let profile = PractitionerProfile {
        profession: Some("Receptionist".into()),
        bio: Some("Front desk since 2019.".into()),
        ..Default::default()
    };
    assert_eq!(held, Ok(Some(profile.clone())));
    let too_much = serde_json::json!({"kind": "staff", "role_id": "front_desk", "primary_location_id": l.id,
        "practitioner": {"profession": "Nurse", "npi": "1234567893", "capacity": 3}});
    assert_eq!(
        apply(&patch(too_much), None, locations),
        Err(vec!["practitioner.npi".into(), "practitioner.capacity".into()])
    );
    let practitioner = Access {
        practitioner: Some(PractitionerProfile { npi: Some("1234567893".into()), ..profile.clone() }),
        ..Access::new(Kind::Practitioner, "clinician", l.id)
    };
    let to_staff = apply(&patch(serde_json::json!({"kind": "staff"})), Some(&practitioner), locations);
    assert_eq!(to_staff.map(|a| a.practitioner), Ok(Some(profile)));
}

// Unknown fields stay refused when the patch is flattened into an input.
#[test]
fn a_flattened_patch_refuses_unknown_fields() {
    #[derive(Debug, Deserialize)]
    struct Input {
        #[serde(flatten)]
        _access: AccessPatch,
        #[serde(flatten)]
        _rest: validate::NoOtherFields,
    }
    assert!(serde_json::from_value::<Input>(serde_json::json!({"kind": "staff", "mfa_required": true})).is_ok());
    let err = serde_json::from_value::<Input>(serde_json::json!({"kind": "staff", "bogus": 1}));
    assert!(err.is_err_and(|e| e.to_string().contains("unknown field `bogus`")));
}

// A role id is trimmed before anything is decided on it, so a padded
// "director" is a director, whose overrides are cleared.
#[test]
fn a_padded_director_role_is_a_director() {
    let l = location(true);
    let base = Access {
        overrides: Overrides { grant: vec!["audit.view".into()], revoke: Vec::new() },
        ..Access::new(Kind::Staff, "front_desk", l.id)
    };
    let out = apply(&patch(serde_json::json!({"role_id": " director "})), Some(&base), &[]);
    assert_eq!(out.map(|a| (a.role_id, a.overrides)), Ok((DIRECTOR.to_string(), Overrides::default())));
}

// R15, R20: joining and leaving move the same counters opposite ways.
#[test]
fn joining_and_leaving_are_opposites() {
    let d = Access::new(Kind::Staff, DIRECTOR, LocationId::new());
    assert_eq!(d.joining(), CounterDelta { staff_seats: 1, directors: 1, ..Default::default() });
    assert_eq!(d.leaving() + d.joining(), CounterDelta::default());
}

// R46: modules are a practitioner's, named from the catalogue, kept as a
// set; staff asking for any is a 422 naming `modules`, and a change of kind
// to staff drops them.
#[test]
fn modules_are_a_practitioners_from_the_catalogue() {
    let l = location(true);
    let locs = std::slice::from_ref(&l);
    let new = |extra: serde_json::Value| {
        let mut body = serde_json::json!({"role_id": "clinician", "primary_location_id": l.id});
        if let (Some(b), Some(x)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(x.clone());
        }
        apply(&patch(body), None, locs)
    };
    let prac = new(serde_json::json!({"kind": "practitioner", "modules": ["telehealth", "billing", "telehealth"]}));
    let held = prac.clone().map(|a| a.modules.into_iter().collect::<Vec<_>>());
    assert_eq!(held, Ok(vec![Module::Billing, Module::Telehealth]));
    assert_eq!(new(serde_json::json!({"kind": "practitioner", "modules": ["radiology"]})), Err(vec!["modules".into()]));
    assert_eq!(
        new(serde_json::json!({"kind": "staff", "modules": ["billing"], "show_on_calendar": false})),
        Err(vec!["modules".into()])
    );
    assert!(new(serde_json::json!({"kind": "staff", "modules": []})).is_ok());

    let Ok(prac) = prac else { panic!("a practitioner with modules") };
    let kept = apply(&patch(serde_json::json!({"role_id": "supervisor"})), Some(&prac), locs);
    assert_eq!(kept.map(|a| a.modules), Ok(prac.modules.clone()), "a change of role keeps the modules");
    let staff = apply(&patch(serde_json::json!({"kind": "staff"})), Some(&prac), locs);
    assert_eq!(staff.map(|a| a.modules.is_empty()), Ok(true), "becoming staff drops them");
    let cleared = apply(&patch(serde_json::json!({"modules": []})), Some(&prac), locs);
    assert_eq!(cleared.map(|a| a.modules.is_empty()), Ok(true));
}

// R45, R46: what adds a paid seat (and so needs the license terms): a
// practitioner seat taken, or a module added; not a module removed, nor
// a staff seat.
#[test]
fn a_paid_seat_is_a_new_practitioner_or_a_module_added() {
    let loc = LocationId::new();
    let staff = Access::new(Kind::Staff, "front_desk", loc);
    let prac = Access::new(Kind::Practitioner, "clinician", loc);
    let with = |a: &Access, ms: &[Module]| Access { modules: ms.iter().copied().collect(), ..a.clone() };
    let tele = with(&prac, &[Module::Telehealth]);
    assert!(!staff.adds_paid_seat(None));
    assert!(prac.adds_paid_seat(None));
    assert!(prac.adds_paid_seat(Some(&staff)));
    assert!(!staff.adds_paid_seat(Some(&prac)));
    assert!(!prac.adds_paid_seat(Some(&prac)));
    assert!(tele.adds_paid_seat(Some(&prac)));
    assert!(!prac.adds_paid_seat(Some(&tele)), "a module taken away costs nothing");
    assert_eq!(with(&prac, &[Module::Billing, Module::Telehealth]).modules_added(Some(&tele)), vec![Module::Billing]);
}

// R46: each module held is a module seat while the access counts.
#[test]
fn joining_counts_each_module_held() {
    let a = Access {
        modules: [Module::Billing, Module::Analytics].into_iter().collect(),
        ..Access::new(Kind::Practitioner, "clinician", LocationId::new())
    };
    let d = a.joining();
    assert_eq!((d.practitioner_seats, d.module_seats.billing, d.module_seats.analytics), (1, 1, 1));
    assert_eq!(d.module_seats.telehealth, 0);
    assert_eq!(a.leaving() + a.joining(), CounterDelta::default());
}

impl Access {
    fn with_kind(self, kind: Kind) -> Self {
        Self { kind, ..self }
    }
}
