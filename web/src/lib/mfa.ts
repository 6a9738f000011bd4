// When a signed-in session must enroll a second factor before anything else
// (R28): a membership says the practice requires it, or an API call answered
// 403 mfa_required (a practice-wide policy the memberships did not show).

import type { FormErrors } from './problem';

interface MeLike {
  user: { mfa_enabled: boolean };
  memberships: { status: string; mfa_required?: boolean }[];
}

/** True when the enrolment page must come first. `gateSeen`: some call answered 403 mfa_required. */
export function mustEnrollMfa(me: MeLike, gateSeen: boolean): boolean {
  if (me.user.mfa_enabled) return false;
  return gateSeen || me.memberships.some((m) => m.status === 'active' && m.mfa_required === true);
}

/**
 * The sign-in's second step answers a wrong, used or expired code with the
 * same `401 invalid_credentials` as a wrong password; on that step it is about
 * the code, so it is said so, next to the code field (W18, W22).
 */
export function codeStepErrors(errors: FormErrors): FormErrors {
  if (errors.code !== 'invalid_credentials') return errors;
  return {
    ...errors,
    summary: 'That code is wrong, already used or expired. Wait for the next code in your app and enter it.',
    fields: { ...errors.fields, code: 'Enter the current 6-digit code.' },
  };
}
