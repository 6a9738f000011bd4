// A person's name as the console shows it: never blank, since a blank link or
// heading cannot be read or clicked.

interface Named {
  title?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  email?: string;
}

/** Title, first and last name; the email when they are all blank. */
export function fullName(p: Named): string {
  const name = [p.title, p.first_name, p.last_name].filter((s) => s && s.trim()).join(' ');
  return name || p.email || '—';
}

/** A member by the name the practice gave them; their own names, then their email, when it is blank. */
export function memberName(m: Named & { display_name?: string | null }): string {
  return m.display_name?.trim() || fullName(m);
}

/** A role where only its id is known: a built-in's slug in words (`front_desk` → "Front desk", as the built-ins are named); a custom role's id says nothing, so "Custom role". */
export function roleWords(id: string): string {
  if (!/^[a-z_]+$/.test(id)) return 'Custom role';
  const words = id.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** An address cut where a line may break without hurting it: after the "@" and before each dot of the domain (W28). */
export function emailParts(address: string): string[] {
  const at = address.lastIndexOf('@');
  if (at < 0) return [address];
  const domain = address.slice(at + 1).split('.');
  return [address.slice(0, at + 1), ...domain.map((p, i) => (i === 0 ? p : `.${p}`))];
}
