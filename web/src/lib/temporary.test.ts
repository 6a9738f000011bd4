import { describe, expect, it } from 'vitest';
import { asProblem, toFormErrors } from './problem';
import { temporaryPasswordErrors } from './temporary';

const forbidden = toFormErrors(asProblem(403, { code: 'forbidden', status: 403 }));

describe('a refused temporary password', () => {
  it('says why and what to do, next to the password', () => {
    const e = temporaryPasswordErrors(forbidden, 'Tomas Berg', true);
    expect(e.summary).toMatch(/cannot give Tomas Berg a temporary password/);
    expect(e.fields.temporary_password).toMatch(/leave it empty/);
  });
  it('leaves a refusal without a password, or another problem, alone', () => {
    expect(temporaryPasswordErrors(forbidden, 'T', false)).toBe(forbidden);
    const weak = toFormErrors(asProblem(422, { errors: [{ field: 'temporary_password', message: 'too weak' }] }));
    expect(temporaryPasswordErrors(weak, 'T', true)).toBe(weak);
  });
});
