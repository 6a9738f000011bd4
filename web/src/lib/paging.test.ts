import { describe, expect, it } from 'vitest';
import { allPages, type Page } from './paging';

const pages: Record<string, Page<number>> = {
  first: { items: [1, 2], next_cursor: 'b' },
  b: { items: [3], next_cursor: 'c' },
  c: { items: [4], next_cursor: null },
};

describe('allPages', () => {
  it('follows the cursor to the last page', async () => {
    const asked: (string | undefined)[] = [];
    const items = await allPages(async (cursor) => {
      asked.push(cursor);
      return pages[cursor ?? 'first'] as Page<number>;
    });
    expect(items).toEqual([1, 2, 3, 4]);
    expect(asked).toEqual([undefined, 'b', 'c']);
  });

  it('stops after the page limit', async () => {
    let calls = 0;
    const items = await allPages(async () => {
      calls++;
      return { items: [calls], next_cursor: 'again' };
    }, 3);
    expect(items).toEqual([1, 2, 3]);
  });
});
