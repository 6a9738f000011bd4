// The session token lives in sessionStorage: it survives a reload, dies with
// the tab and is not shared with other tabs (docs/design.md says why). It is
// never logged.

const TOKEN = 'roster.session';
const PRACTICE = 'roster.practice';

export function token(): string | null {
  return sessionStorage.getItem(TOKEN);
}

export function setToken(value: string): void {
  sessionStorage.setItem(TOKEN, value);
}

export function clearSession(): void {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(PRACTICE);
}

/** The practice last chosen in the switcher, so a reload stays in it. */
export function savedPractice(): string | null {
  return sessionStorage.getItem(PRACTICE);
}

export function savePractice(pid: string): void {
  sessionStorage.setItem(PRACTICE, pid);
}
