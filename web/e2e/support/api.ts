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
