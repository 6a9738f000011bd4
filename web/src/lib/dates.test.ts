import { describe, expect, it } from 'vitest';
import { dayRange, formatInstant, formatInstantShort } from './dates';

describe('formatInstant', () => {
  it('shows the date, the time and the zone', () => {
    expect(formatInstant('2026-12-01T13:05:00Z', { locale: 'en-GB', timeZone: 'UTC' })).toBe('1 Dec 2026, 13:05 UTC');
    expect(formatInstant('2026-12-01T13:05:00Z', { locale: 'en-GB', timeZone: 'Asia/Kolkata' })).toBe('1 Dec 2026, 18:35 GMT+5:30');
  });

  it('says — for nothing and keeps text that is no instant', () => {
    expect(formatInstant(null)).toBe('—');
    expect(formatInstant('soon')).toBe('soon');
  });
});

describe('formatInstantShort', () => {
  const now = new Date('2026-12-01T15:00:00Z');
  it('leaves the current year out, keeps the zone', () => {
    expect(formatInstantShort('2026-12-01T13:05:00Z', { locale: 'en-GB', timeZone: 'UTC' }, now)).toBe('1 Dec, 13:05 UTC');
  });
  it('shows another year', () => {
    expect(formatInstantShort('2025-12-01T13:05:00Z', { locale: 'en-GB', timeZone: 'UTC' }, now)).toBe('1 Dec 2025, 13:05 UTC');
  });
});

describe('dayRange', () => {
  it('takes whole days in the browser zone, the last day included', () => {
    expect(dayRange('2026-11-01', '2026-11-30')).toEqual({
      from: new Date(2026, 10, 1).toISOString(),
      to: new Date(2026, 11, 1).toISOString(),
    });
  });

  it('leaves a blank or malformed end out', () => {
    expect(dayRange('', '')).toEqual({});
    expect(dayRange('2026-11-01', 'x')).toEqual({ from: new Date(2026, 10, 1).toISOString() });
  });
});
