// `npm run screens` (make screens): the console's main screens as PNGs in
// docs/screens/, for the README. A practice is seeded through the API with
// someone in each state, then the director's screens are visited and shot.
import { test, expect, type Page } from '@playwright/test';
import { join } from 'node:path';
import { linkInMail } from '../support/mail';
import * as api from '../support/api';

const out = process.env.E2E_SCREENS;
if (!out) throw new Error('E2E_SCREENS is unset: run with scripts/e2e.sh screens');

const password = 'tide-pool lantern 4417';
const director = { email: 'dana.reyes@harbour-clinic.example', password, first: 'Dana', last: 'Reyes' };
const people = {
  active: { email: 'priya.nair@harbour-clinic.example', first: 'Priya', last: 'Nair', kind: 'practitioner' as const },
  inactive: { email: 'lee.chen@harbour-clinic.example', first: 'Lee', last: 'Chen', kind: 'practitioner' as const },
  locked: { email: 'ana.costa@harbour-clinic.example', first: 'Ana', last: 'Costa', kind: 'staff' as const },
  pending: { email: 'sam.okafor@harbour-clinic.example', first: 'Sam', last: 'Okafor', kind: 'staff' as const },
};

async function shoot(page: Page, name: string, heading: string | RegExp): Promise<void> {
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(heading);
  await expect(page.getByText('Loading…')).toHaveCount(0);
  await page.screenshot({ path: join(out as string, `${name}.png`), fullPage: true });
}

test('the main screens', async ({ page, browser }) => {
  test.setTimeout(180_000);

  // --- a practice with someone in each state ---
  const token = await api.signUp(director);
  await api.verifyEmail(await linkInMail(director.email, '/verify-email/'));
  const { practiceId, locationId } = await api.createPractice(token, 'Harbour Clinic', 'Main Street');
  const ids: Record<string, string> = {};
  for (const [state, p] of Object.entries(people)) {
    await api.invite(token, practiceId, {
      email: p.email,
      first_name: p.first,
      last_name: p.last,
      kind: p.kind,
      primary_location_id: locationId,
    });
    if (state !== 'pending') ids[state] = (await api.register(await linkInMail(p.email, '/invite/'), password)).userId;
  }
  await api.deactivate(token, practiceId, ids.inactive);
  await api.lockOut(people.locked.email);
  await api.grantSupportAccess(token, practiceId);

  // --- what a newcomer sees first, and what an invitee's link opens ---
  await page.goto('/login');
  await shoot(page, 'sign-in', 'Sign in');
  const invitee = await (await browser.newContext()).newPage();
  await invitee.goto(await linkInMail(people.pending.email, '/invite/'));
  await expect(invitee.getByLabel('First name')).toHaveValue(people.pending.first);
  await shoot(invitee, 'invitation', 'Invitation');
  await invitee.context().close();

  // --- the director's screens ---
  await page.getByLabel('Email').fill(director.email);
  await page.getByLabel('Password').fill(director.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await shoot(page, 'practice', 'Harbour Clinic');
  const base = `/practices/${practiceId}`;
  for (const [tab, row] of [
    ['users', people.active.email],
    ['invitations', people.pending.email],
    ['inactive', people.inactive.email],
    ['locked', people.locked.email],
  ]) {
    await page.goto(`${base}/users?tab=${tab}`);
    await expect(page.getByRole('row').filter({ hasText: row })).toBeVisible();
    await shoot(page, `users-${tab}`, 'User Management');
  }
  await page.goto(`${base}/users/invite`);
  await shoot(page, 'invite', 'Invite a user');
  await page.goto(`${base}/members/${ids.active}`);
  await shoot(page, 'member', `${people.active.first} ${people.active.last}`);
  await page.goto(`${base}/roles`);
  await shoot(page, 'roles', /roles/i);
  await page.goto(`${base}/support-access`);
  await expect(page.getByText(/It expires/)).toBeVisible();
  await shoot(page, 'support-access', 'Support access');
  await page.goto(`${base}/audit`);
  await shoot(page, 'audit-log', 'Audit log');
  await page.goto('/account');
  await shoot(page, 'account', /account/i);
});
