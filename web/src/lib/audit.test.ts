import { describe, expect, it } from 'vitest';
import { actionWords, joinCsvPages, nextCursor } from './audit';

describe('actionWords', () => {
  it('spells a code out', () => {
    expect(actionWords('member.access_changed')).toBe('Member access changed');
    expect(actionWords('support_access.granted')).toBe('Support access granted');
  });
  it('uses the plain words kept for codes that read badly', () => {
    expect(actionWords('session.created')).toBe('Signed in');
  });
});

describe('nextCursor', () => {
  it('reads the cursor of the next page', () => {
    expect(nextCursor('</practices/p/audit/export?from=2026-01-01T00%3A00%3A00Z&format=csv&cursor=abc%3D%3D>; rel="next"')).toBe('abc==');
  });
  it('is null on the last page', () => {
    expect(nextCursor(null)).toBeNull();
    expect(nextCursor('</x?cursor=a>; rel="prev"')).toBeNull();
  });
});

describe('joinCsvPages', () => {
  it('keeps the header row of the first page only', () => {
    expect(joinCsvPages(['at,action\n1,a\n', 'at,action\n2,b\n', 'at,action\n3,"c\nd"'])).toBe('at,action\n1,a\n2,b\n3,"c\nd"\n');
  });
});
