import { describe, expect, it } from 'vitest';
import { endedMessage, safeNext, signInPath } from './next';

describe('safeNext', () => {
  it('keeps a path inside the console', () => {
    expect(safeNext('/practices/abc/users?tab=locked')).toBe('/practices/abc/users?tab=locked');
    expect(safeNext('/')).toBe('/');
  });
  it('refuses anything that leaves the console', () => {
    for (const bad of ['//evil.example', '/\\evil.example', '/\\/evil', 'https://evil.example', 'javascript:alert(1)', '/a b', '/a\\b', '']) {
      expect(safeNext(bad)).toBe('/');
    }
    expect(safeNext(undefined)).toBe('/');
  });
});

describe('signInPath', () => {
  it('comes back to the page the session ended on', () => {
    expect(signInPath('/practices/abc/users?tab=locked')).toBe('/login?next=%2Fpractices%2Fabc%2Fusers%3Ftab%3Dlocked');
    expect(safeNext(new URLSearchParams(signInPath('/practices/abc/audit').split('?')[1]).get('next') ?? undefined)).toBe('/practices/abc/audit');
  });
  it('does not nest sign-in in itself, nor carry a path that leaves the console', () => {
    expect(signInPath('/login?next=%2Faccount')).toBe('/login?next=%2Faccount');
    expect(signInPath('//evil.example')).toBe('/login');
  });
});

describe('endedMessage', () => {
  it('says an idle session was signed out for inactivity', () => {
    expect(endedMessage('session_idle')).toMatch(/inactivity/);
    expect(endedMessage('unauthenticated')).toMatch(/session has ended/);
  });
});
