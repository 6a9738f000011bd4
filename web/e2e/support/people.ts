// People and practices seeded through the API, for the tests that check one
// screen rather than the whole flow. Emails carry a per-run suffix, so a test
// can be rerun against one stack (scripts/e2e.sh serve).
import { expect, type Page } from '@playwright/test';
import { linkCount, linkInMail } from './mail';
import * as api from './api';

export const run = Date.now().toString(36);
export const password = 'tide-pool lantern 4417';

export interface Person {
  first: string;
  last: string;
  email: string;
  password: string;
}

export function person(first: string, last: string, domain = 'harbour-clinic.example'): Person {
  return { first, last, email: `${first}.${last}.${run}@${domain}`.toLowerCase(), password };
}

export interface Practice {
  director: Person;
  token: string;
  practiceId: string;
  locationId: string;
  name: string;
}

/** A director with a verified email and a practice of their own. */
export async function practice(director: Person, name: string): Promise<Practice> {
  const token = await api.signUp(director);
  await api.verifyEmail(await linkInMail(director.email, '/verify-email/'));
  const { practiceId, locationId } = await api.createPractice(token, name, 'Main Street');
  return { director, token, practiceId, locationId, name };
}

/**
 * `who` joins `at`: invited, then registered from the mailed link, or (with
 * `token`, an account they already have) accepted while signed in.
 */
export async function join(
  at: Practice,
  who: Person,
  access: { kind: 'practitioner' | 'staff'; role_id?: string; overrides?: { grant: string[]; revoke: string[] } },
  token?: string,
): Promise<{ userId?: string; token: string }> {
  const before = linkCount(who.email, '/invite/');
  await api.invite(at.token, at.practiceId, { email: who.email, first_name: who.first, last_name: who.last, primary_location_id: at.locationId, ...access });
  const link = await linkInMail(who.email, '/invite/', before);
  if (token) {
    await api.accept(link, token);
    return { token };
  }
  return api.register(link, who.password);
}

/** Signs in through the screen (no second factor). */
export async function signIn(page: Page, who: Person): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
}
