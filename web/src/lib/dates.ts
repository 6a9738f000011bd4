// Instants shown to a person, always with their time zone: an audit or an
// expiry read by someone in another office must not be off by hours.

export interface Zone {
  /** A BCP 47 locale; the browser's when left out. */
  locale?: string;
  /** An IANA zone; the browser's when left out. */
  timeZone?: string;
}

/** "1 Dec 2026, 14:05 GMT+1": date, time and the zone's short name; '—' for none; the text as is when it is no instant. */
export function formatInstant(iso: string | null | undefined, zone: Zone = {}): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  // dateStyle cannot be combined with timeZoneName, so the parts are named.
  return new Intl.DateTimeFormat(zone.locale, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
    timeZone: zone.timeZone,
  }).format(d);
}

/**
 * The same instant short enough for a table cell: "1 Dec, 14:05 GMT+1", the
 * year only when it is not the current one (in the zone shown). The zone stays
 * in every cell: rows of one list may fall either side of a clock change.
 */
export function formatInstantShort(iso: string | null | undefined, zone: Zone = {}, now: Date = new Date()): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const year = (t: Date) => new Intl.DateTimeFormat('en', { year: 'numeric', timeZone: zone.timeZone }).format(t);
  return new Intl.DateTimeFormat(zone.locale, {
    day: 'numeric',
    month: 'short',
    ...(year(d) === year(now) ? {} : { year: 'numeric' }),
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
    timeZone: zone.timeZone,
  }).format(d);
}

/** `YYYY-MM-DD` (a date input's value) as that day's first instant in the browser's zone. */
function startOfDay(date: string, plusDays = 0): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return undefined;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + plusDays).toISOString();
}

/**
 * A range of whole days picked in the browser's zone as the API's half-open
 * [`from`, `to`) instants: `to` is the start of the day after the last day,
 * so the last day is included. A blank end is left out (the API's default).
 */
export function dayRange(fromDay: string, toDay: string): { from?: string; to?: string } {
  const from = startOfDay(fromDay);
  const to = startOfDay(toDay, 1);
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}
