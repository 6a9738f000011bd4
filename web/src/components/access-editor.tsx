// The access fields of an invitation or a member (kind, role, locations,
// billing, calendar, overrides, second factor, practitioner profile,
// modules), each with its problem+json error next to it.
import { api, call, type Location, type Role } from '../api/client';
import { allLocations, allRoles } from '../api/lists';
import { MODULES, MODULE_LABELS, STEPS, overrideErrors, type AccessDraft, type PractitionerDraft } from '../lib/access';
import { groupByModule, type CatalogueEntry } from '../lib/permissions';
import { roleWords } from '../lib/names';
import type { FormErrors } from '../lib/problem';

export interface PracticeData {
  roles: Role[];
  locations: Location[];
  catalogue: CatalogueEntry[];
}

export async function loadPracticeData(pid: string): Promise<PracticeData> {
  const [roles, locations, catalogue] = await Promise.all([
    allRoles(pid),
    allLocations(pid),
    call(api.GET('/permissions')),
  ]);
  return { roles, locations, catalogue };
}

export function roleName(roles: Role[], id: string): string {
  return roles.find((r) => r.id === id)?.name ?? roleWords(id);
}

interface Props {
  draft: AccessDraft;
  onChange: (d: AccessDraft) => void;
  data: PracticeData;
  errors: FormErrors | null;
  /** Invitations may leave the role to the practice's default (R43). */
  allowDefaultRole?: boolean;
}

function Err({ errors, field, id }: { errors: FormErrors | null; field: string; id: string }) {
  const message = errors?.fields[field];
  return message ? (
    <p id={id} class="field-error">
      {message}
    </p>
  ) : null;
}

export function AccessEditor({ draft, onChange, data, errors, allowDefaultRole }: Props) {
  const set = <K extends keyof AccessDraft>(k: K, v: AccessDraft[K]) => onChange({ ...draft, [k]: v });
  const setP = <K extends keyof PractitionerDraft>(k: K, v: string) => onChange({ ...draft, practitioner: { ...draft.practitioner, [k]: v } });
  const activeLocations = data.locations.filter((l) => l.active || l.id === draft.primary_location_id);
  const isPractitioner = draft.kind === 'practitioner';
  const invalid = (f: string) => (errors?.fields[f] ? { 'aria-invalid': true, 'aria-describedby': `e-${f.replace(/\W/g, '-')}` } : {});
  const errId = (f: string) => `e-${f.replace(/\W/g, '-')}`;
  const overrideProblems = overrideErrors(errors?.fields ?? {});
  const profileOpen = Object.values(draft.practitioner).some((v) => v.trim() !== '') || Object.keys(errors?.fields ?? {}).some((f) => f.startsWith('practitioner'));
  // What the chosen role grants, so "as the role says" tells whether an override changes anything (W3).
  const roleGives = data.roles.find((r) => r.id === draft.role_id)?.permissions;

  return (
    <>
      <fieldset>
        <legend>Kind of user</legend>
        {(['practitioner', 'staff'] as const).map((k) => (
          <div class="field checkbox" key={k}>
            <input type="radio" id={`kind-${k}`} name="kind" checked={draft.kind === k} onChange={() => set('kind', k)} />
            <label for={`kind-${k}`}>{k === 'practitioner' ? 'Practitioner (uses a paid seat)' : 'Staff'}</label>
          </div>
        ))}
        <Err errors={errors} field="kind" id={errId('kind')} />
      </fieldset>

      <fieldset>
        <legend>Role and location</legend>
        <div class="field">
          <label for="role">Role</label>
          <select id="role" value={draft.role_id} onChange={(e) => set('role_id', e.currentTarget.value)} {...invalid('role_id')}>
            {allowDefaultRole && <option value="">The practice's default for this kind</option>}
            {data.roles.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
                {r.built_in ? '' : ' (custom)'}
              </option>
            ))}
          </select>
          <Err errors={errors} field="role_id" id={errId('role_id')} />
        </div>

        <div class="field">
          <label for="primary-location">Primary location</label>
          <select id="primary-location" value={draft.primary_location_id} onChange={(e) => set('primary_location_id', e.currentTarget.value)} {...invalid('primary_location_id')}>
            {activeLocations.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </select>
          <Err errors={errors} field="primary_location_id" id={errId('primary_location_id')} />
        </div>
      </fieldset>

      <fieldset>
        <legend>Location access</legend>
        <div class="field checkbox">
          <input type="checkbox" id="all-locations" checked={draft.all_locations} onChange={(e) => set('all_locations', e.currentTarget.checked)} />
          <label for="all-locations">All locations, including ones added later</label>
        </div>
        {!draft.all_locations &&
          activeLocations.map((l) => (
            <div class="field checkbox" key={l.id}>
              <input
                type="checkbox"
                id={`loc-${l.id}`}
                checked={draft.location_ids.includes(l.id) || l.id === draft.primary_location_id}
                disabled={l.id === draft.primary_location_id}
                onChange={(e) => set('location_ids', e.currentTarget.checked ? [...draft.location_ids, l.id] : draft.location_ids.filter((x) => x !== l.id))}
              />
              <label for={`loc-${l.id}`}>
                {l.name}
                {l.id === draft.primary_location_id ? ' (primary)' : ''}
              </label>
            </div>
          ))}
        <Err errors={errors} field="location_access" id={errId('location_access')} />
      </fieldset>

      <fieldset>
        <legend>Options</legend>
        <div class="field checkbox">
          <input type="checkbox" id="access-billing" checked={draft.access_billing} onChange={(e) => set('access_billing', e.currentTarget.checked)} {...invalid('access_billing')} />
          <label for="access-billing">Access to billing</label>
          <Err errors={errors} field="access_billing" id={errId('access_billing')} />
        </div>
        {isPractitioner && (
          <div class="field checkbox">
            <input type="checkbox" id="show-on-calendar" checked={draft.show_on_calendar} onChange={(e) => set('show_on_calendar', e.currentTarget.checked)} {...invalid('show_on_calendar')} />
            <label for="show-on-calendar">Show on the calendar</label>
            <Err errors={errors} field="show_on_calendar" id={errId('show_on_calendar')} />
          </div>
        )}
        <div class="field checkbox">
          <input type="checkbox" id="mfa-required" checked={draft.mfa_required} onChange={(e) => set('mfa_required', e.currentTarget.checked)} />
          <label for="mfa-required">Require two-factor authentication</label>
        </div>
      </fieldset>

      {isPractitioner && (
        <fieldset>
          <legend>Licensed modules</legend>
          {MODULES.map((m) => (
            <div class="field checkbox" key={m}>
              <input
                type="checkbox"
                id={`module-${m}`}
                checked={draft.modules.includes(m)}
                onChange={(e) => set('modules', e.currentTarget.checked ? [...draft.modules, m] : draft.modules.filter((x) => x !== m))}
              />
              <label for={`module-${m}`}>{MODULE_LABELS[m]}</label>
            </div>
          ))}
          <Err errors={errors} field="modules" id={errId('modules')} />
        </fieldset>
      )}

      {/* Optional and long: folded unless it holds something or the API named one of its fields (W5). */}
      <details class="profile" open={profileOpen || undefined}>
        <summary>{isPractitioner ? 'Practitioner profile (optional)' : 'Profile (optional)'}</summary>
        <fieldset>
          <legend class="sr-only">{isPractitioner ? 'Practitioner profile' : 'Profile'}</legend>
          <ProfileField label="Profession" name="practitioner.profession" value={draft.practitioner.profession} onInput={(v) => setP('profession', v)} errors={errors} />
          {isPractitioner && (
            <>
              <ProfileField label="Registration number" name="practitioner.registration_number" value={draft.practitioner.registration_number} onInput={(v) => setP('registration_number', v)} errors={errors} />
              <ProfileField label="NPI" name="practitioner.npi" value={draft.practitioner.npi} onInput={(v) => setP('npi', v)} errors={errors} hint="Ten digits." />
              <ProfileField label="Taxonomy code" name="practitioner.taxonomy_code" value={draft.practitioner.taxonomy_code} onInput={(v) => setP('taxonomy_code', v)} errors={errors} hint="Ten characters ending in X, e.g. 207Q00000X." />
              <ProfileField label="Capacity (patients at once)" name="practitioner.capacity" value={draft.practitioner.capacity} onInput={(v) => setP('capacity', v)} errors={errors} hint="1 to 20." />
              <div class="field">
                <label for="f-step">Scheduling step</label>
                <select id="f-step" value={draft.practitioner.scheduling_step_minutes} onChange={(e) => setP('scheduling_step_minutes', e.currentTarget.value)}>
                  <option value="">Not set</option>
                  {STEPS.map((s) => (
                    <option key={s} value={String(s)}>
                      {s} minutes
                    </option>
                  ))}
                </select>
                <Err errors={errors} field="practitioner.scheduling_step_minutes" id={errId('practitioner.scheduling_step_minutes')} />
              </div>
            </>
          )}
          <div class="field">
            <label for="f-bio">Bio</label>
            <textarea id="f-bio" value={draft.practitioner.bio} onInput={(e) => setP('bio', e.currentTarget.value)} {...invalid('practitioner.bio')} />
            <Err errors={errors} field="practitioner.bio" id={errId('practitioner.bio')} />
          </div>
          <Err errors={errors} field="practitioner" id={errId('practitioner')} />
        </fieldset>
      </details>

      <details class="overrides" open={overrideProblems.general.length > 0 || Object.keys(overrideProblems.byKey).length > 0 || undefined}>
        <summary>Permission overrides ({Object.keys(draft.overrides).length})</summary>
        <p class="hint">Grant or revoke single permissions on top of the role.</p>
        {groupByModule(data.catalogue).map((g) => (
          <fieldset key={g.module}>
            <legend>{g.label}</legend>
            {g.entries.map((e) => (
              <div class={`field inline${overrideProblems.byKey[e.key] ? ' invalid' : ''}`} key={e.key}>
                <label for={`ov-${e.key}`}>{e.description}</label>
                <select
                  id={`ov-${e.key}`}
                  aria-invalid={overrideProblems.byKey[e.key] ? true : undefined}
                  aria-describedby={overrideProblems.byKey[e.key] ? `ov-${e.key}-error` : undefined}
                  value={draft.overrides[e.key] ?? ''}
                  onChange={(ev) => {
                    const v = ev.currentTarget.value;
                    const next = { ...draft.overrides };
                    if (v === 'grant' || v === 'revoke') next[e.key] = v;
                    else delete next[e.key];
                    set('overrides', next);
                  }}
                >
                  <option value="">{roleGives ? `As the role says (${roleGives.includes(e.key) ? 'granted' : 'not granted'})` : 'As the role says'}</option>
                  <option value="grant">Grant</option>
                  <option value="revoke">Revoke</option>
                </select>
                {overrideProblems.byKey[e.key] && (
                  <p id={`ov-${e.key}-error`} class="field-error">
                    {overrideProblems.byKey[e.key]}
                  </p>
                )}
              </div>
            ))}
          </fieldset>
        ))}
        {overrideProblems.general.map((m) => (
          <p key={m} id={errId('overrides')} class="field-error">
            {m}
          </p>
        ))}
      </details>
    </>
  );
}

function ProfileField(p: { label: string; name: string; value: string; onInput: (v: string) => void; errors: FormErrors | null; hint?: string }) {
  const id = `f-${p.name.replace(/\W/g, '-')}`;
  const error = p.errors?.fields[p.name];
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>{p.label}</label>
      {p.hint && (
        <p class="hint" id={`${id}-hint`}>
          {p.hint}
        </p>
      )}
      <input id={id} type="text" value={p.value} onInput={(e) => p.onInput(e.currentTarget.value)} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : p.hint ? `${id}-hint` : undefined} />
      {error && (
        <p id={`${id}-error`} class="field-error">
          {error}
        </p>
      )}
    </div>
  );
}
