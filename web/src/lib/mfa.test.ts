import { describe, expect, it } from 'vitest';
import { codeStepErrors, mustEnrollMfa } from './mfa';
import { asProblem, toFormErrors } from './problem';

const me = (mfa_enabled: boolean, mfa_required = false, status = 'active') => ({ user: { mfa_enabled }, memberships: [{ status, mfa_required }] });

describe('the two-factor enrolment gate', () => {
  it("sends a member whose practice policy answered 403 mfa_required to enrol, though the membership flag is off", () => {
    expect(mustEnrollMfa(me(false), true)).toBe(true);
  });

  it("follows the membership's own flag", () => {
    expect(mustEnrollMfa(me(false, true), false)).toBe(true);
    expect(mustEnrollMfa(me(false, true, 'deactivated'), false)).toBe(false);
    expect(mustEnrollMfa(me(false), false)).toBe(false);
  });

  it('lets an enrolled member through', () => {
    expect(mustEnrollMfa(me(true, true), true)).toBe(false);
  });
});

describe('the code step of sign-in', () => {
  it('says a refused code is about the code, not the password', () => {
    const e = codeStepErrors(toFormErrors(asProblem(401, { code: 'invalid_credentials', status: 401 })));
    expect(e.summary).toMatch(/code/);
    expect(e.summary).not.toMatch(/password/);
    expect(e.fields.code).toBeDefined();
  });
  it('leaves other problems alone', () => {
    const e = toFormErrors(asProblem(429, { code: 'rate_limited', status: 429 }));
    expect(codeStepErrors(e)).toBe(e);
  });
});
