// Reading a cursor-paged list whole, for the pickers that must offer every
// role, location or member (a first page alone would hide the rest).

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Every item, page after page; stops at `maxPages` so a cursor that never ends cannot loop forever. */
export async function allPages<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, maxPages = 100): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const page = await fetchPage(cursor);
    items.push(...page.items);
    if (!page.next_cursor) return items;
    cursor = page.next_cursor;
  }
  return items;
}
