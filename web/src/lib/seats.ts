// A practice's seat counts in words: what is counted, and what costs money
// (R20: one seat per active member of each kind; R45, R46: practitioner seats
// and module seats are paid).

/** 1 → "1 active practitioner", 3 → "3 active practitioners", 0 → "No active practitioners". */
export function seatWords(count: number, noun: string): string {
  if (count === 0) return `No ${noun}s`;
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** "telehealth: 2 seats, billing: 1 seat", modules without a seat left out; "None". */
export function moduleSeatWords(seats: Record<string, number>): string {
  const held = Object.entries(seats).filter(([, n]) => n > 0);
  if (held.length === 0) return 'None';
  return held.map(([m, n]) => `${m.replace(/_/g, ' ')}: ${n} seat${n === 1 ? '' : 's'}`).join(', ');
}
