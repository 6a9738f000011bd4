// A member's or an invitation's access as the editor holds it, and the
// request body it becomes (AccessChange in the contract). Pure, so the
// mapping is unit-tested.
import type { components } from '../api/schema';

type S = components['schemas'];
export type Kind = S['Access']['kind'];
export type Module = S['Module'];
export type PermissionKey = S['PermissionKey'];

export const MODULES: Module[] = ['billing', 'telehealth', 'eprescribing', 'patient_portal', 'analytics'];
export const STEPS = [5, 10, 15, 20, 30, 45, 60] as const;

export interface PractitionerDraft {
  profession: string;
  registration_number: string;
  npi: string;
  taxonomy_code: string;
  bio: string;
  capacity: string;
  scheduling_step_minutes: string;
}

export interface AccessDraft {
  kind: Kind;
  /** '' means the practice's default role for the kind (invitations only, R43). */
  role_id: string;
  primary_location_id: string;
  all_locations: boolean;
  location_ids: string[];
  access_billing: boolean;
  show_on_calendar: boolean;
  mfa_required: boolean;
  /** Permission key to 'grant' or 'revoke'; a key absent follows the role. */
  overrides: Record<string, 'grant' | 'revoke'>;
  practitioner: PractitionerDraft;
  modules: Module[];
}

const EMPTY_PRACTITIONER: PractitionerDraft = {
  profession: '',
  registration_number: '',
  npi: '',
  taxonomy_code: '',
  bio: '',
  capacity: '',
  scheduling_step_minutes: '',
};

export function newDraft(primaryLocationId: string): AccessDraft {
  return {
    kind: 'practitioner',
    role_id: '',
    primary_location_id: primaryLocationId,
    all_locations: true,
    location_ids: [],
    access_billing: true,
    show_on_calendar: true,
    mfa_required: false,
    overrides: {},
    practitioner: { ...EMPTY_PRACTITIONER },
    modules: [],
  };
}

export function draftOf(a: S['Access']): AccessDraft {
  const overrides: AccessDraft['overrides'] = {};
  for (const k of a.overrides.grant) overrides[k] = 'grant';
  for (const k of a.overrides.revoke) overrides[k] = 'revoke';
  const p = a.practitioner;
  return {
    kind: a.kind,
    role_id: a.role_id,
    primary_location_id: a.primary_location_id,
    all_locations: a.location_access === 'all',
    location_ids: a.location_access === 'all' ? [] : [...a.location_access],
    access_billing: a.access_billing,
    show_on_calendar: a.show_on_calendar,
    mfa_required: a.mfa_required,
    overrides,
    practitioner: p
      ? {
          profession: p.profession ?? '',
          registration_number: p.registration_number ?? '',
          npi: p.npi ?? '',
          taxonomy_code: p.taxonomy_code ?? '',
          bio: p.bio ?? '',
          capacity: p.capacity == null ? '' : String(p.capacity),
          scheduling_step_minutes: p.scheduling_step_minutes == null ? '' : String(p.scheduling_step_minutes),
        }
      : { ...EMPTY_PRACTITIONER },
    modules: [...a.modules],
  };
}

const blankToNull = (s: string): string | null => (s.trim() === '' ? null : s.trim());

/** A number typed into a field; text that is not one goes as is, for the API to name (422). */
function numberOrNull(s: string): number | null {
  if (s.trim() === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : (s as unknown as number);
}

/**
 * The AccessChange body: the whole access, so a PATCH (with If-Match) sets
 * exactly what the editor shows. Fields only a practitioner may hold are
 * left out for staff (the API refuses them, R16), and the profile is null
 * when every field is empty.
 */
export function accessBody(d: AccessDraft): S['AccessChange'] {
  const practitioner = d.kind === 'practitioner' ? practitionerBody(d.practitioner) : staffProfile(d.practitioner);
  const grant = Object.keys(d.overrides).filter((k) => d.overrides[k] === 'grant').sort() as PermissionKey[];
  const revoke = Object.keys(d.overrides).filter((k) => d.overrides[k] === 'revoke').sort() as PermissionKey[];
  const body: S['AccessChange'] = {
    kind: d.kind,
    primary_location_id: d.primary_location_id,
    location_access: d.all_locations ? 'all' : withPrimary(d.location_ids, d.primary_location_id),
    access_billing: d.access_billing,
    mfa_required: d.mfa_required,
    overrides: { grant, revoke },
    practitioner,
  };
  if (d.role_id !== '') body.role_id = d.role_id;
  if (d.kind === 'practitioner') {
    body.show_on_calendar = d.show_on_calendar;
    body.modules = [...d.modules].sort();
  }
  return body;
}

function practitionerBody(p: PractitionerDraft): S['PractitionerInput'] | null {
  const out = {
    profession: blankToNull(p.profession),
    registration_number: blankToNull(p.registration_number),
    npi: blankToNull(p.npi),
    taxonomy_code: blankToNull(p.taxonomy_code),
    bio: blankToNull(p.bio),
    capacity: numberOrNull(p.capacity),
    scheduling_step_minutes: numberOrNull(p.scheduling_step_minutes) as S['PractitionerInput']['scheduling_step_minutes'],
  };
  return Object.values(out).every((v) => v === null) ? null : out;
}

function staffProfile(p: PractitionerDraft): S['PractitionerInput'] | null {
  const profession = blankToNull(p.profession);
  const bio = blankToNull(p.bio);
  return profession === null && bio === null ? null : { profession, bio };
}

/** The contract wants the primary location among the listed ones (R17); the editor adds it. */
function withPrimary(ids: string[], primary: string): string[] {
  return ids.includes(primary) || primary === '' ? [...ids] : [primary, ...ids];
}

/** Whether saving this draft over `before` adds a paid seat or module, so licence consent is needed (R45, R46). */
export function addsPaidSeat(d: AccessDraft, before: AccessDraft | null): boolean {
  if (d.kind !== 'practitioner') return false;
  if (!before || before.kind !== 'practitioner') return true;
  return d.modules.some((m) => !before.modules.includes(m));
}

/** The modules as a person reads them (R46). */
export const MODULE_LABELS: Record<Module, string> = {
  billing: 'Billing',
  telehealth: 'Telehealth',
  eprescribing: 'e-Prescribing',
  patient_portal: 'Patient portal',
  analytics: 'Analytics',
};

/**
 * The API's override errors placed where they belong: `overrides.grant` and
 * `overrides.revoke` say "<key> is not a permission" (one message each,
 * joined with "; " by toFormErrors), shown next to that key's choice; the
 * rest (`overrides`: a director takes none) under the whole list.
 */
export function overrideErrors(fields: Record<string, string>): { byKey: Record<string, string>; general: string[] } {
  const byKey: Record<string, string> = {};
  const general: string[] = [];
  for (const field of ['overrides.grant', 'overrides.revoke', 'overrides']) {
    for (const message of (fields[field] ?? '').split('; ').filter(Boolean)) {
      const key = field === 'overrides' ? undefined : /^(\S+) is not a permission/.exec(message)?.[1];
      if (key) byKey[key] = byKey[key] ? `${byKey[key]}; ${message}` : message;
      else general.push(message);
    }
  }
  return { byKey, general };
}

/**
 * What an access grants, one line a fact, for a read-only look at a pending
 * invitation (W7). `locationName` names a location id; the role is named by
 * the caller, who has the roles.
 */
export function accessFacts(a: S['Access'], locationName: (id: string) => string): string[] {
  const facts = [
    `Primary location: ${locationName(a.primary_location_id)}`,
    a.location_access === 'all' ? 'Locations: all, including ones added later' : `Locations: ${a.location_access.map(locationName).join(', ')}`,
    a.access_billing ? 'Billing: yes' : 'Billing: no',
  ];
  if (a.kind === 'practitioner') {
    facts.push(a.show_on_calendar ? 'On the calendar: yes' : 'On the calendar: no');
    facts.push(`Modules: ${a.modules.length ? a.modules.map((m) => MODULE_LABELS[m]).join(', ') : 'none'}`);
  }
  if (a.mfa_required) facts.push('Two-factor sign-in required');
  if (a.overrides.grant.length) facts.push(`Also granted: ${a.overrides.grant.join(', ')}`);
  if (a.overrides.revoke.length) facts.push(`Taken away: ${a.overrides.revoke.join(', ')}`);
  return facts;
}
