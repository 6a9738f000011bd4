// A practice's seat counts in words: what is counted, and what costs money
// (R20: one seat per active member of each kind; R45, R46: practitioner seats
// and module seats are paid).
import { MODULE_LABELS, type Module } from './access';

/** 1 → "1 active practitioner", 3 → "3 active practitioners", 0 → "No active practitioners". */
export function seatWords(count: number, noun: string): string {
  if (count === 0) return `No ${noun}s`;
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** "Telehealth: 2 seats, Billing: 1 seat", modules without a seat left out; "None". */
export function moduleSeatWords(seats: Partial<Record<Module, number>>): string {
  const held = (Object.entries(seats) as [Module, number][]).filter(([, n]) => n > 0);
  if (held.length === 0) return 'None';
  return held.map(([m, n]) => `${MODULE_LABELS[m]}: ${n} seat${n === 1 ? '' : 's'}`).join(', ');
}
