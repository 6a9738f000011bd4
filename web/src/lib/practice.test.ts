import { describe, expect, it } from 'vitest';
import { practiceToSync } from './practice';

describe("syncing the switcher with the URL's practice", () => {
  it("chooses the URL's practice when the switcher names another", () => {
    expect(practiceToSync('b', 'a', ['a', 'b'])).toBe('b');
  });

  it('does nothing when they already agree or the page names no practice', () => {
    expect(practiceToSync('a', 'a', ['a', 'b'])).toBeNull();
    expect(practiceToSync(undefined, 'a', ['a', 'b'])).toBeNull();
    expect(practiceToSync('', 'a', ['a'])).toBeNull();
  });

  it('never chooses a practice the member is not active in', () => {
    expect(practiceToSync('z', 'a', ['a', 'b'])).toBeNull();
  });

  it('chooses when nothing was chosen yet', () => {
    expect(practiceToSync('b', null, ['a', 'b'])).toBe('b');
  });
});
