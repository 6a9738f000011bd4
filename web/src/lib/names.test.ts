import { describe, expect, it } from 'vitest';
import { fullName, memberName } from './names';

describe('memberName', () => {
  const m = { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com' };
  it("uses the practice's display name", () => {
    expect(memberName({ ...m, display_name: 'Dr A. Lovelace' })).toBe('Dr A. Lovelace');
  });
  it('falls back to the names, then the email, for a blank display name', () => {
    expect(memberName({ ...m, display_name: '  ' })).toBe('Ada Lovelace');
    expect(memberName({ first_name: ' ', last_name: '', email: 'ada@example.com', display_name: '' })).toBe('ada@example.com');
  });
});

describe('fullName', () => {
  it('joins the title and names', () => {
    expect(fullName({ title: 'Dr', first_name: 'Ada', last_name: 'Lovelace' })).toBe('Dr Ada Lovelace');
  });
});
