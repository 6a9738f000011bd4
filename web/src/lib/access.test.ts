import { describe, expect, it } from 'vitest';
import { accessBody, accessFacts, addsPaidSeat, draftOf, newDraft, overrideErrors } from './access';

const L1 = '11111111-1111-7111-8111-111111111111';
const L2 = '22222222-2222-7222-8222-222222222222';

describe('access draft to request body', () => {
  it('a new practitioner invitation leaves the role to the practice default and sends no empty profile', () => {
    const body = accessBody(newDraft(L1));
    expect(body).toEqual({
      kind: 'practitioner',
      primary_location_id: L1,
      location_access: 'all',
      access_billing: true,
      mfa_required: false,
      overrides: { grant: [], revoke: [] },
      practitioner: null,
      show_on_calendar: true,
      modules: [],
    });
    expect('role_id' in body).toBe(false);
  });

  it('staff send neither calendar, modules nor practitioner-only profile fields', () => {
    const d = { ...newDraft(L1), kind: 'staff' as const, role_id: 'front_desk' };
    d.practitioner = { ...d.practitioner, profession: 'Receptionist', npi: '1234567893' };
    const body = accessBody(d);
    expect(body.practitioner).toEqual({ profession: 'Receptionist', bio: null });
    expect('show_on_calendar' in body).toBe(false);
    expect('modules' in body).toBe(false);
    expect(body.role_id).toBe('front_desk');
  });

  it('listed locations always include the primary one, and overrides split into sorted lists', () => {
    const d = { ...newDraft(L1), all_locations: false, location_ids: [L2], overrides: { 'users.view': 'grant' as const, 'billing.refunds': 'revoke' as const, 'audit.view': 'grant' as const } };
    const body = accessBody(d);
    expect(body.location_access).toEqual([L1, L2]);
    expect(body.overrides).toEqual({ grant: ['audit.view', 'users.view'], revoke: ['billing.refunds'] });
  });

  it('round-trips a member and sends numbers for capacity and step', () => {
    const d = draftOf({
      kind: 'practitioner',
      role_id: 'practitioner',
      overrides: { grant: ['audit.view'], revoke: [] },
      access_billing: false,
      show_on_calendar: false,
      primary_location_id: L2,
      location_access: [L2],
      mfa_required: true,
      practitioner: { profession: 'GP', registration_number: null, npi: null, taxonomy_code: null, bio: null, capacity: 3, scheduling_step_minutes: 15 },
      modules: ['telehealth'],
    });
    const body = accessBody(d);
    expect(body.practitioner).toEqual({ profession: 'GP', registration_number: null, npi: null, taxonomy_code: null, bio: null, capacity: 3, scheduling_step_minutes: 15 });
    expect(body.overrides).toEqual({ grant: ['audit.view'], revoke: [] });
    expect(body.location_access).toEqual([L2]);
    expect(addsPaidSeat(d, d)).toBe(false);
    expect(addsPaidSeat({ ...d, modules: ['telehealth', 'billing'] }, d)).toBe(true);
    expect(addsPaidSeat(d, { ...d, kind: 'staff' })).toBe(true);
  });
});

describe('override errors', () => {
  it('go next to the override they name, the rest under the list', () => {
    expect(
      overrideErrors({
        'overrides.grant': 'billing.fake is not a permission; also.fake is not a permission',
        'overrides.revoke': 'billing.fake is not a permission',
        overrides: 'a director takes no overrides',
        email: 'is not an email',
      }),
    ).toEqual({
      byKey: { 'billing.fake': 'billing.fake is not a permission; billing.fake is not a permission', 'also.fake': 'also.fake is not a permission' },
      general: ['a director takes no overrides'],
    });
  });
  it('is empty without override errors', () => {
    expect(overrideErrors({})).toEqual({ byKey: {}, general: [] });
  });
});

describe('accessFacts', () => {
  const names: Record<string, string> = { [L1]: 'Main Street', [L2]: 'Harbour' };
  const name = (id: string) => names[id] ?? id;
  it("lists a practitioner's locations, modules and overrides in words", () => {
    const d = { ...newDraft(L1), all_locations: false, location_ids: [L2], modules: ['telehealth' as const], overrides: { 'billing.refunds': 'grant' as const } };
    const access = { ...accessBody(d), role_id: 'clinician' } as Parameters<typeof accessFacts>[0];
    expect(accessFacts(access, name)).toEqual([
      'Primary location: Main Street',
      'Locations: Main Street, Harbour',
      'Billing: yes',
      'On the calendar: yes',
      'Modules: Telehealth',
      'Also granted: billing.refunds',
    ]);
  });
  it('leaves practitioner-only facts out for staff', () => {
    const access = { ...accessBody({ ...newDraft(L1), kind: 'staff', access_billing: false }), role_id: 'front_desk', show_on_calendar: false, modules: [] } as Parameters<typeof accessFacts>[0];
    expect(accessFacts(access, name)).toEqual(['Primary location: Main Street', 'Locations: all, including ones added later', 'Billing: no']);
  });
});
