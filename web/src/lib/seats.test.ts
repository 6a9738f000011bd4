import { describe, expect, it } from 'vitest';
import { moduleSeatWords, seatWords } from './seats';

describe('seat wording', () => {
  it('counts with the right plural', () => {
    expect(seatWords(0, 'active practitioner')).toBe('No active practitioners');
    expect(seatWords(1, 'active practitioner')).toBe('1 active practitioner');
    expect(seatWords(3, 'active staff member')).toBe('3 active staff members');
  });
  it('names only the modules that hold seats', () => {
    expect(moduleSeatWords({ billing: 0, telehealth: 2, patient_portal: 1 })).toBe('Telehealth: 2 seats, Patient portal: 1 seat');
    expect(moduleSeatWords({ billing: 0 })).toBe('None');
  });
});
