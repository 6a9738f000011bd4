import { describe, expect, it } from 'vitest';
import { addsPractitionerSeat, visibleSelection } from './selection';

describe('the selection an action sends', () => {
  it('keeps only ticked ids still shown after a search', () => {
    expect(visibleSelection(['a', 'b', 'c'], ['c', 'a', 'x'])).toEqual(['a', 'c']);
  });

  it('is empty when the search hides every ticked row', () => {
    expect(visibleSelection(['a', 'b'], ['x'])).toEqual([]);
    expect(visibleSelection(['a'], [])).toEqual([]);
  });
});

describe('licence consent on reactivation', () => {
  const rows = [
    { user_id: 'p', kind: 'practitioner' },
    { user_id: 's', kind: 'staff' },
  ];
  it('is asked when a chosen user is a practitioner', () => {
    expect(addsPractitionerSeat(['s', 'p'], rows)).toBe(true);
  });
  it('is not asked for staff only, or nobody', () => {
    expect(addsPractitionerSeat(['s'], rows)).toBe(false);
    expect(addsPractitionerSeat([], rows)).toBe(false);
  });
});
