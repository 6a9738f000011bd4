// problem+json (RFC 9457 with Roster's `code` and `errors`) turned into what a
// form shows: one message per field, next to it, and a summary for the
// role="alert" box. Pure, so it is unit-tested without a browser.

export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  code?: string;
  detail?: string;
  errors?: FieldError[];
  instance?: string;
}

/** What a form needs to show after a failed request. */
export interface FormErrors {
  /** Field path as the API names it (`email`, `location.name`, `practitioner.npi`) to its message(s). */
  fields: Record<string, string>;
  /** One sentence for the alert summary. */
  summary: string;
  /** The problem's stable code, when it had one. */
  code?: string;
  status?: number;
}

/** An error thrown by the API wrapper; carries the problem as answered. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `request failed (${status})`);
    this.name = 'ApiError';
  }
}

/** Reads any error body (problem+json, API Gateway's `{message}`, or nothing) as a Problem. */
export function asProblem(status: number, body: unknown): Problem {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const errors = Array.isArray(b.errors)
      ? b.errors.filter(
          (e): e is FieldError =>
            !!e && typeof e === 'object' && typeof (e as FieldError).field === 'string' && typeof (e as FieldError).message === 'string',
        )
      : undefined;
    return {
      type: str(b.type),
      title: str(b.title),
      status: typeof b.status === 'number' ? b.status : status,
      code: str(b.code),
      detail: str(b.detail) ?? str(b.message),
      errors,
      instance: str(b.instance),
    };
  }
  return { status, title: status === 429 ? 'Too many requests' : `Request failed (${status})` };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Friendlier words for the codes a person meets in the console; others fall back to the API's detail. */
const MESSAGES: Partial<Record<string, string>> = {
  invalid_credentials: 'The email or password is wrong.',
  account_locked: 'This account is locked after too many failed sign-ins. Reset your password or ask a director to unlock it.',
  precondition_failed: 'Someone else changed this in the meantime. Reload to see the current version, then make your change again.',
  member_changed: 'Someone else changed this in the meantime. Reload to see the current version, then make your change again.',
  stale: 'Someone else changed this in the meantime. Reload to see the current version, then make your change again.',
  email_taken: 'An account with this email already exists. Sign in instead.',
  token_gone: 'This link has been used or has expired. Ask for a new one.',
  invitation_expired: 'This invitation has expired. Ask the practice to send a new one.',
  invitation_revoked: 'This invitation was withdrawn by the practice.',
  invitation_not_pending: 'This invitation was already accepted or declined.',
  invitation_email_mismatch: 'This invitation was sent to a different email than the one you are signed in with.',
  license_terms_required: 'Tick the licence terms box: this adds a paid practitioner seat or module.',
  rate_limited: 'Too many attempts. Wait a while and try again.',
  forbidden: 'You do not have permission to do this.',
  not_found: 'Not found. It may have been removed, or you may not have access to it.',
  support_read_only: 'Support access is read-only.',
  last_director: 'A practice needs at least one active director.',
  director_holds_all: 'Directors already hold every permission: emergency access is for the other members.',
  emergency_access_disabled: "The practice's security policy does not allow emergency access (Settings).",
  emergency_access_open: 'You already have emergency access open.',
  unauthenticated: 'Your session has ended. Sign in again.',
  mfa_required: 'A practice you belong to requires two-factor authentication. Set it up to continue.',
  password_change_required: 'Change your temporary password first (My account).',
  email_unverified: 'Verify your email first: use the link we mailed you, or ask for a new one under My account.',
};

/**
 * Words for a code that means different things by status, keyed `code:status`.
 * `mfa_required` is a 403 on a practice route while the caller has not
 * enrolled, but a 409 when turning two-factor off (DELETE /me/mfa/totp) while
 * a practice requires it.
 */
const MESSAGES_BY_STATUS: Partial<Record<string, string>> = {
  'mfa_required:403': 'A practice you belong to requires two-factor authentication. Set it up to continue.',
  'mfa_required:409': 'You cannot turn two-factor authentication off: a practice you belong to requires it.',
};

function messageOf(problem: Problem): string | undefined {
  if (!problem.code) return undefined;
  return (problem.status !== undefined ? MESSAGES_BY_STATUS[`${problem.code}:${problem.status}`] : undefined) ?? MESSAGES[problem.code];
}

/** True for the 403 a practice requiring two-factor answers to a member who has not enrolled (R28). */
export function isMfaRequired(status: number, body: unknown): boolean {
  return status === 403 && asProblem(status, body).code === 'mfa_required';
}

/**
 * Codes that are about one field although the API names none: the message is
 * shown next to that field too, so a long form's error is where the fix is.
 */
const FIELD_OF_CODE: Partial<Record<string, [field: string, message: string]>> = {
  license_terms_required: ['accept_license_terms', 'Tick this box to accept the licence terms.'],
};

/** The problem as a form shows it. Field errors that name the same field are joined. */
export function toFormErrors(problem: Problem): FormErrors {
  const fields: Record<string, string> = {};
  for (const e of problem.errors ?? []) {
    fields[e.field] = fields[e.field] ? `${fields[e.field]}; ${e.message}` : e.message;
  }
  const implied = problem.code ? FIELD_OF_CODE[problem.code] : undefined;
  if (implied && !fields[implied[0]]) fields[implied[0]] = implied[1];
  const count = Object.keys(fields).length;
  const known = messageOf(problem);
  let summary: string;
  if (known) summary = known;
  else if (count > 0) summary = count === 1 ? 'Please correct the field marked below.' : `Please correct the ${count} fields marked below.`;
  else summary = problem.detail ?? problem.title ?? 'Something went wrong.';
  return { fields, summary, code: problem.code, status: problem.status };
}

/** A thrown value (ApiError, network failure, anything) as form errors. */
export function errorsOf(err: unknown): FormErrors {
  if (err instanceof ApiError) return toFormErrors(err.problem);
  if (err instanceof TypeError) return { fields: {}, summary: 'Cannot reach the server. Is it running?' };
  return { fields: {}, summary: err instanceof Error ? err.message : 'Something went wrong.' };
}

/** True when trying again may work: the server was not reached, failed, or asked to wait. A refusal (4xx) would only repeat. */
export function isRetryable(errors: FormErrors | null): boolean {
  return !!errors && (errors.status === undefined || errors.status >= 500 || errors.status === 429);
}

/** True when the problem says the resource changed since it was read (412, or a stale 409). */
export function isStale(errors: FormErrors | null): boolean {
  return !!errors && (errors.status === 412 || errors.code === 'precondition_failed' || errors.code === 'member_changed' || errors.code === 'stale');
}
