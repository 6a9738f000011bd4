import { describe, expect, it } from 'vitest';
import { groupByModule, groupState, toggle, type CatalogueEntry } from './permissions';

const entry = (key: string, module: string): CatalogueEntry => ({ key, module, description: key, restrictive: false });
const catalogue = [entry('users.view', 'users'), entry('calendar.view', 'calendar'), entry('users.manage', 'users'), entry('x.y', 'lab_stuff')];

describe('permission grouping', () => {
  it('groups by module in first-seen order, keeping the order inside a group', () => {
    const groups = groupByModule(catalogue);
    expect(groups.map((g) => g.module)).toEqual(['users', 'calendar', 'lab_stuff']);
    expect(groups[0]?.entries.map((e) => e.key)).toEqual(['users.view', 'users.manage']);
    expect(groups.map((g) => g.label)).toEqual(['Users', 'Calendar', 'Lab stuff']);
  });

  it('toggles a key into a sorted set without duplicates', () => {
    expect(toggle(['users.view'], 'calendar.view', true)).toEqual(['calendar.view', 'users.view']);
    expect(toggle(['users.view'], 'users.view', true)).toEqual(['users.view']);
    expect(toggle(['users.view', 'a'], 'users.view', false)).toEqual(['a']);
  });

  it('tells whether a group is wholly, partly or not held', () => {
    const [users] = groupByModule(catalogue);
    if (!users) throw new Error('no group');
    expect(groupState(users, [])).toBe('none');
    expect(groupState(users, ['users.view'])).toBe('some');
    expect(groupState(users, ['users.view', 'users.manage'])).toBe('all');
  });
});
