// The audit log's actions and export in words and pieces a person can use.

/** Words for the actions whose code reads badly; others are spelled out from the code. */
const ACTIONS: Partial<Record<string, string>> = {
  'session.created': 'Signed in',
  'session.ended': 'Session ended',
  'support.read': 'Read by support',
  'emergency.read': 'Read under emergency access',
  'emergency.refused': 'Emergency access refused',
  'user.mfa_enabled': 'Two-factor authentication turned on',
  'user.mfa_disabled': 'Two-factor authentication turned off',
  'member.created_with_temporary_password': 'Member created with a temporary password',
  'audit.exported': 'Audit log exported',
};

/** `member.access_changed` → "Member access changed". */
export function actionWords(action: string): string {
  const known = ACTIONS[action];
  if (known) return known;
  const words = action.replace(/[._]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The `cursor` of a `Link: <…?cursor=…>; rel="next"` header, or null on the last page. */
export function nextCursor(link: string | null): string | null {
  if (!link) return null;
  for (const part of link.split(',')) {
    const m = /<([^>]*)>\s*;\s*rel="?next"?/.exec(part);
    if (m?.[1]) return new URL(m[1], 'http://x').searchParams.get('cursor');
  }
  return null;
}

/** CSV pages as one file: the header row once, from the first page. */
export function joinCsvPages(pages: string[]): string {
  return pages
    .map((p, i) => (i === 0 ? p : p.slice(p.indexOf('\n') + 1)))
    .map((p) => (p === '' || p.endsWith('\n') ? p : `${p}\n`))
    .join('');
}
