// Which practice the header's switcher should show. The page's URL names the
// practice it edits (/practices/:pid/...); after Back, a deep link or a typed
// address the switcher's choice may name another one, so the page's pid wins
// whenever it is one of the member's active practices.

/** The pid to choose so the switcher matches the URL, or null when it already does (or cannot). */
export function practiceToSync(urlPid: string | undefined, chosenPid: string | null | undefined, activePids: readonly string[]): string | null {
  if (!urlPid || urlPid === chosenPid) return null;
  return activePids.includes(urlPid) ? urlPid : null;
}
