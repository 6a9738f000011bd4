/** A path inside the console to go to after signing in: never another
 * origin (`//host`, or `/\host`, which browsers read as `//host`), never a
 * scheme, a backslash or whitespace. */
export function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])[^\\\s]*$/.test(next) ? next : '/';
}
