// The permission catalogue (GET /permissions) grouped by module, in the
// catalogue's order of modules, for the role editor. Pure, so unit-tested.

export interface CatalogueEntry {
  key: string;
  module: string;
  description: string;
  restrictive: boolean;
}

export interface PermissionGroup {
  module: string;
  label: string;
  entries: CatalogueEntry[];
}

const LABELS: Record<string, string> = {
  users: 'Users',
  practice: 'Practice',
  calendar: 'Calendar',
  billing: 'Billing',
  clinical: 'Clinical',
  communication: 'Communication',
  setup: 'Setup',
};

/** Groups in first-seen order; entries keep the catalogue's order within a group. */
export function groupByModule(catalogue: readonly CatalogueEntry[]): PermissionGroup[] {
  const groups = new Map<string, PermissionGroup>();
  for (const entry of catalogue) {
    let g = groups.get(entry.module);
    if (!g) {
      g = { module: entry.module, label: LABELS[entry.module] ?? capitalise(entry.module), entries: [] };
      groups.set(entry.module, g);
    }
    g.entries.push(entry);
  }
  return [...groups.values()];
}

/** The set with `key` switched on or off, sorted so a saved role compares equal to the API's answer. */
export function toggle(keys: readonly string[], key: string, on: boolean): string[] {
  const set = new Set(keys);
  if (on) set.add(key);
  else set.delete(key);
  return [...set].sort();
}

/** Tri-state of a group's checkbox: all, none or some of its keys held. */
export function groupState(group: PermissionGroup, keys: readonly string[]): 'all' | 'none' | 'some' {
  const held = group.entries.filter((e) => keys.includes(e.key)).length;
  return held === 0 ? 'none' : held === group.entries.length ? 'all' : 'some';
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1).replace(/_/g, ' ');
}
