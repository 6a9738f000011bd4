// Ticked rows of a filtered list. A search narrows what is shown without
// untangling the ticks, so an action sends (and its button counts) only the
// ticked rows still shown: nobody is acted on whom the page does not list.

/** The selected ids that are among the shown ones, in the order they were ticked. */
export function visibleSelection(selected: readonly string[], shown: readonly string[]): string[] {
  const on = new Set(shown);
  return selected.filter((id) => on.has(id));
}

/** Reactivating a practitioner adds a paid seat (R20, R45): the licence consent is asked only when a chosen row is one. */
export function addsPractitionerSeat(chosen: readonly string[], rows: readonly { user_id: string; kind: string }[]): boolean {
  const on = new Set(chosen);
  return rows.some((r) => on.has(r.user_id) && r.kind === 'practitioner');
}
