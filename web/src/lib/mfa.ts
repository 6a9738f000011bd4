// When a signed-in session must enroll a second factor before anything else
// (R28): a membership says the practice requires it, or an API call answered
// 403 mfa_required (a practice-wide policy the memberships did not show).

interface MeLike {
  user: { mfa_enabled: boolean };
  memberships: { status: string; mfa_required?: boolean }[];
}

/** True when the enrolment page must come first. `gateSeen`: some call answered 403 mfa_required. */
export function mustEnrollMfa(me: MeLike, gateSeen: boolean): boolean {
  if (me.user.mfa_enabled) return false;
  return gateSeen || me.memberships.some((m) => m.status === 'active' && m.mfa_required === true);
}
