import { describe, expect, it } from 'vitest';
import { emailParts, fullName, memberName, roleWords } from './names';

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

describe('roleWords', () => {
  it("names a built-in role by its slug, as the catalogue names it", () => {
    expect(roleWords('front_desk')).toBe('Front desk');
    expect(roleWords('director')).toBe('Director');
  });
  it('says custom role for a custom role id', () => {
    expect(roleWords('0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b')).toBe('Custom role');
  });
});

describe('emailParts', () => {
  it('breaks after the @ and before the dots of the domain', () => {
    expect(emailParts('priya.nair@harbour-clinic.example')).toEqual(['priya.nair@', 'harbour-clinic', '.example']);
    expect(emailParts('not-an-address')).toEqual(['not-an-address']);
  });
});
