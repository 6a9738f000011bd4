import { describe, expect, it } from 'vitest';
import { ApiError, asProblem, errorsOf, isMfaRequired, isRetryable, isStale, toFormErrors } from './problem';

describe('problem+json to form errors', () => {
  it('puts each field error next to its field and counts them in the summary', () => {
    const p = asProblem(422, {
      type: 'https://roster.dev/problems/validation-failed',
      title: 'Validation failed',
      status: 422,
      code: 'validation_failed',
      detail: 'the request breaks a field rule',
      errors: [
        { field: 'password', message: 'must be at least 10 characters' },
        { field: 'location.name', message: 'must not be empty' },
      ],
    });
    const f = toFormErrors(p);
    expect(f.fields).toEqual({ password: 'must be at least 10 characters', 'location.name': 'must not be empty' });
    expect(f.summary).toBe('Please correct the 2 fields marked below.');
    expect(f.code).toBe('validation_failed');
  });

  it('joins two messages for one field', () => {
    const f = toFormErrors({ errors: [{ field: 'npi', message: 'ten digits' }, { field: 'npi', message: 'bad check digit' }] });
    expect(f.fields.npi).toBe('ten digits; bad check digit');
    expect(f.summary).toBe('Please correct the field marked below.');
  });

  it('uses plain words for a known code and the detail otherwise', () => {
    expect(toFormErrors({ code: 'invalid_credentials', detail: 'x' }).summary).toBe('The email or password is wrong.');
    expect(toFormErrors({ code: 'role_in_use', detail: 'the role is held by members' }).summary).toBe('the role is held by members');
  });

  it("reads API Gateway's throttling body and an empty body", () => {
    expect(asProblem(429, { message: 'Too Many Requests' }).detail).toBe('Too Many Requests');
    expect(asProblem(502, undefined).title).toBe('Request failed (502)');
  });

  it('drops malformed entries in errors', () => {
    expect(asProblem(422, { errors: [{ field: 'a', message: 'b' }, 'junk', { field: 1 }] }).errors).toEqual([{ field: 'a', message: 'b' }]);
  });

  it('tells a stale version apart', () => {
    expect(isStale(errorsOf(new ApiError(412, { code: 'precondition_failed', status: 412 })))).toBe(true);
    expect(isStale(errorsOf(new ApiError(409, { code: 'last_director', status: 409 })))).toBe(false);
    expect(errorsOf(new TypeError('fetch failed')).summary).toMatch(/reach the server/);
  });

  it('words mfa_required apart for the 403 gate and the 409 on turning two-factor off', () => {
    const gate = toFormErrors(asProblem(403, { status: 403, code: 'mfa_required', detail: 'x' })).summary;
    const off = toFormErrors(asProblem(409, { status: 409, code: 'mfa_required', detail: 'x' })).summary;
    expect(gate).toMatch(/requires two-factor authentication\. Set it up/);
    expect(off).toMatch(/cannot turn two-factor authentication off/);
    expect(gate).not.toBe(off);
  });

  it('recognises the 403 mfa_required gate only', () => {
    expect(isMfaRequired(403, { code: 'mfa_required' })).toBe(true);
    expect(isMfaRequired(409, { code: 'mfa_required' })).toBe(false);
    expect(isMfaRequired(403, { code: 'forbidden' })).toBe(false);
    expect(isMfaRequired(403, undefined)).toBe(false);
  });
});

describe('isRetryable', () => {
  it('offers a retry when the server was not reached, failed or throttled', () => {
    expect(isRetryable(errorsOf(new TypeError('Failed to fetch')))).toBe(true);
    expect(isRetryable(toFormErrors(asProblem(503, undefined)))).toBe(true);
    expect(isRetryable(toFormErrors(asProblem(429, undefined)))).toBe(true);
  });
  it('not for a refusal, which would only repeat', () => {
    expect(isRetryable(toFormErrors(asProblem(403, { code: 'forbidden', status: 403 })))).toBe(false);
    expect(isRetryable(toFormErrors(asProblem(404, { status: 404 })))).toBe(false);
    expect(isRetryable(null)).toBe(false);
  });
});

describe('a code about one field', () => {
  it('puts the licence refusal next to the licence box, with the summary', () => {
    const f = toFormErrors(asProblem(422, { code: 'license_terms_required', status: 422, detail: 'License terms required' }));
    expect(f.fields.accept_license_terms).toMatch(/licence terms/);
    expect(f.summary).toMatch(/paid practitioner seat or module/);
  });
});
