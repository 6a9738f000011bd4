import { describe, expect, it } from 'vitest';
import { safeNext } from './next';

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
