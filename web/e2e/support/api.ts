// The API itself, beside the browser: to check what the screens claim
// against the stored state, with a session of its own.
import { expect } from '@playwright/test';

function api(): string {
  const url = process.env.E2E_API;
  if (!url) throw new Error('E2E_API is unset: run the tests with scripts/e2e.sh');
  return url;
}

async function call<T>(method: string, path: string, token?: string, body?: unknown): Promise<T> {
  const response = await fetch(api() + path, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  expect(response.ok, `${method} ${path}: ${response.status} ${text}`).toBe(true);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function signIn(email: string, password: string): Promise<string> {
  const answer = await call<{ session: { token: string } }>('POST', '/auth/login', undefined, { email, password });
  return answer.session.token;
}

export interface MemberState {
  user_id: string;
  email: string;
  role_id: string;
  status: 'active' | 'deactivated';
  locked: boolean;
  access_billing: boolean;
  version: number;
}

export async function members(token: string, practiceId: string): Promise<MemberState[]> {
  const list = await call<{ items: MemberState[] }>('GET', `/practices/${practiceId}/members?status=all`, token);
  return list.items;
}

export async function member(token: string, practiceId: string, email: string): Promise<MemberState | undefined> {
  return (await members(token, practiceId)).find((m) => m.email === email);
}

export async function myPractices(token: string): Promise<{ practice_id: string; practice_name?: string }[]> {
  const me = await call<{ memberships: { practice_id: string; practice_name?: string }[] }>('GET', '/me', token);
  return me.memberships;
}

export async function supportAccess(token: string, practiceId: string): Promise<{ active: boolean }> {
  return call('GET', `/practices/${practiceId}/support-access`, token);
}

// --- seeding, for the screenshots: the same requests the screens make ---------

export async function signUp(person: { email: string; password: string; first: string; last: string }): Promise<string> {
  const answer = await call<{ session: { token: string } }>('POST', '/auth/signup', undefined, {
    email: person.email,
    password: person.password,
    first_name: person.first,
    last_name: person.last,
  });
  return answer.session.token;
}

export async function verifyEmail(link: string): Promise<void> {
  await call('POST', '/auth/verify-email', undefined, { token: link.split('/').at(-1) });
}

export async function me(token: string): Promise<{ user: { mfa_enabled: boolean } }> {
  return call('GET', '/me', token);
}

export async function invitations(token: string, practiceId: string, status: string): Promise<{ email: string; status: string }[]> {
  const list = await call<{ items: { email: string; status: string }[] }>('GET', `/practices/${practiceId}/invitations?status=${status}`, token);
  return list.items;
}

export async function createPractice(token: string, name: string, location: string): Promise<{ practiceId: string; locationId: string }> {
  const practice = await call<{ id: string }>('POST', '/practices', token, { name, location: { name: location } });
  const locations = await call<{ items: { id: string }[] }>('GET', `/practices/${practice.id}/locations`, token);
  return { practiceId: practice.id, locationId: locations.items[0].id };
}

export async function invite(
  token: string,
  practiceId: string,
  body: {
    email: string;
    first_name?: string;
    last_name?: string;
    kind: 'practitioner' | 'staff';
    primary_location_id: string;
    role_id?: string;
    overrides?: { grant: string[]; revoke: string[] };
  },
): Promise<void> {
  await call('POST', `/practices/${practiceId}/invitations`, token, {
    ...body,
    ...(body.kind === 'practitioner' ? { accept_license_terms: true } : {}),
  });
}

export async function register(link: string, password: string): Promise<{ userId: string; token: string }> {
  const answer = await call<{ user: { id: string }; session: { token: string } }>(
    'POST',
    `/invitations/${link.split('/').at(-1)}/register`,
    undefined,
    { password, accept_terms: true },
  );
  return { userId: answer.user.id, token: answer.session.token };
}

/** An existing user, signed in, accepts the invitation of a mailed link. */
export async function accept(link: string, token: string): Promise<void> {
  await call('POST', `/invitations/${link.split('/').at(-1)}/accept`, token);
}

export async function deactivate(token: string, practiceId: string, userId: string): Promise<void> {
  await call('POST', `/practices/${practiceId}/members/${userId}/deactivate`, token);
}

/** Five wrong passwords in a row: the account locks (R25). */
export async function lockOut(email: string): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const response = await fetch(`${api()}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: `wrong password ${i}` }),
    });
    expect([401, 423]).toContain(response.status);
  }
}

export async function grantSupportAccess(token: string, practiceId: string): Promise<void> {
  await call('PUT', `/practices/${practiceId}/support-access`, token);
}

export async function allowEmergencyAccess(token: string, practiceId: string, permissions: string[]): Promise<void> {
  await call('PUT', `/practices/${practiceId}/security-policy`, token, { emergency_access: { enabled: true, permissions, max_minutes: 60 } });
}

export async function openEmergencyAccess(token: string, practiceId: string, reason: string): Promise<void> {
  await call('POST', `/practices/${practiceId}/emergency-access`, token, { reason });
}

export async function requestPasswordReset(email: string): Promise<void> {
  await call('POST', '/auth/password-reset', undefined, { email });
}
