/** A path inside the console to go to after signing in: never another
 * origin (`//host`, or `/\host`, which browsers read as `//host`), never a
 * scheme, a backslash or whitespace. */
export function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])[^\\\s]*$/.test(next) ? next : '/';
}

/** Sign-in, coming back to `here` afterwards; from sign-in itself, sign-in as it is. */
export function signInPath(here: string): string {
  if (here === '/login' || here.startsWith('/login?')) return here;
  const next = safeNext(here);
  return next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`;
}

/** Why the sign-in page is shown again, from the 401's code. */
export function endedMessage(code: string | undefined): string {
  return code === 'session_idle'
    ? 'You were signed out after a period of inactivity. Sign in again to continue where you were.'
    : 'Your session has ended. Sign in again to continue where you were.';
}
