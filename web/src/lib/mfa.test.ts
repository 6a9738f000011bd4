import { describe, expect, it } from 'vitest';
import { mustEnrollMfa } from './mfa';

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
