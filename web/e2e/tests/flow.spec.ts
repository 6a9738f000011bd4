// Issue 17 item 4: what a clinic does with Roster, through the console's
// screens, in Debian's Chromium. Each step is a test; they run in order and
// share the people below (a failed step skips the rest). What a person sees
// is asserted first; the API's stored state where it costs one request.
import { test, expect, type Browser, type Page } from '@playwright/test';
import { linkInMail } from '../support/mail';
import * as api from '../support/api';
import { fact, h1, notice } from '../support/screen';

test.describe.configure({ mode: 'serial' });

// Unique per run, so the flow can be rerun against one stack (scripts/e2e.sh serve).
const run = Date.now().toString(36);
const director = {
  first: 'Dana',
  last: 'Reyes',
  email: `dana.reyes.${run}@harbour-clinic.example`,
  password: 'tide-pool lantern 4417',
};
const practitioner = {
  first: 'Priya',
  last: 'Nair',
  email: `priya.nair.${run}@harbour-clinic.example`,
  password: 'copper kettle meadow 93',
};
const practiceName = 'Harbour Clinic';
const locationName = 'Main Street';

let directorPage: Page;
let practitionerPage: Page;
let practiceId = '';
let directorToken = '';

async function newPage(browser: Browser): Promise<Page> {
  // A context each: separate session storage, as two people on two machines.
  return (await browser.newContext()).newPage();
}

test.beforeAll(async ({ browser }) => {
  directorPage = await newPage(browser);
  practitionerPage = await newPage(browser);
});

test.afterAll(async () => {
  await directorPage?.context().close();
  await practitionerPage?.context().close();
});


test('a director signs up', async () => {
  const page = directorPage;
  await page.goto('/signup');
  await expect(h1(page)).toHaveText('Create your account');
  await page.getByLabel('First name').fill(director.first);
  await page.getByLabel('Last name').fill(director.last);
  await page.getByLabel('Email').fill(director.email);
  await page.getByLabel('Password').fill(director.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  // Signed in at once, and asked for their practice.
  await expect(h1(page)).toHaveText('Create a practice');
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  directorToken = await api.signIn(director.email, director.password);
});

test('the director creates a practice', async () => {
  const page = directorPage;
  await page.getByLabel('Practice name').fill(practiceName);
  await page.getByLabel('Location name').fill(locationName);
  await page.getByRole('button', { name: 'Create practice' }).click();
  await expect(h1(page)).toHaveText(practiceName);
  // The header's practice switcher shows it.
  await expect(page.getByRole('combobox', { name: 'Practice' }).locator('option:checked')).toHaveText(practiceName);
  const memberships = await api.myPractices(directorToken);
  expect(memberships.map((m) => m.practice_name)).toEqual([practiceName]);
  practiceId = memberships[0].practice_id;
  expect(page.url()).toContain(`/practices/${practiceId}`);
});

test('the director verifies their email from the link in the mail folder', async () => {
  const page = directorPage;
  await expect(page.getByText('Please verify your email')).toBeVisible();
  await page.goto(await linkInMail(director.email, '/verify-email/'));
  await expect(h1(page)).toHaveText('Verify email');
  await expect(notice(page)).toBeVisible();
  await page.goto(`/practices/${practiceId}`);
  await expect(h1(page)).toHaveText(practiceName);
  await expect(page.getByText('Please verify your email')).toHaveCount(0);
});

test('the director invites a practitioner', async () => {
  const page = directorPage;
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Users' }).click();
  await expect(h1(page)).toHaveText('User Management');
  await page.getByRole('link', { name: '+ Invite' }).click();
  await expect(h1(page)).toHaveText('Invite a user');
  await page.getByLabel('Email').fill(practitioner.email);
  await page.getByLabel('First name (optional)').fill(practitioner.first);
  await page.getByLabel('Last name (optional)').fill(practitioner.last);
  await page.getByLabel('Practitioner (uses a paid seat)').check();
  await page.getByLabel(/I accept the licence terms/).check();
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await expect(notice(page)).toHaveText(`Invitation sent to ${practitioner.email}.`);
  await page.getByRole('link', { name: 'See invitations' }).click();
  await expect(page.getByRole('tab', { name: 'Invitations' })).toHaveAttribute('aria-selected', 'true');
  const row = page.getByRole('row').filter({ hasText: practitioner.email });
  await expect(row).toContainText('pending');
  await expect(row.getByRole('button', { name: 'Resend' })).toBeVisible();
});

test('the invitee registers from the link in the mail folder', async () => {
  const page = practitionerPage;
  const link = await linkInMail(practitioner.email, '/invite/');
  // Mailed links open the console (APP_BASE_URL).
  expect(new URL(link).origin).toBe(new URL(process.env.E2E_CONSOLE as string).origin);
  await page.goto(link);
  await expect(h1(page)).toHaveText('Invitation');
  await expect(page.getByText(`invited ${practitioner.email} to join ${practiceName} as a practitioner`)).toBeVisible();
  // The invited name is filled in; the invitee picks a password.
  await expect(page.getByLabel('First name')).toHaveValue(practitioner.first);
  await expect(page.getByLabel('Last name')).toHaveValue(practitioner.last);
  await page.getByLabel('Password').fill(practitioner.password);
  await page.getByLabel('I accept the terms of use').check();
  await page.getByRole('button', { name: 'Create account and join' }).click();
  await expect(h1(page)).toHaveText(practiceName);
  const joined = await api.member(directorToken, practiceId, practitioner.email);
  expect(joined?.status).toBe('active');

  await directorPage.reload();
  const row = directorPage.getByRole('row').filter({ hasText: practitioner.email });
  await expect(row).toContainText('accepted');
});

test("the director changes the practitioner's access", async () => {
  const page = directorPage;
  await page.getByRole('tab', { name: 'Users' }).click();
  await page.getByRole('link', { name: `${practitioner.first} ${practitioner.last}` }).click();
  await expect(h1(page)).toHaveText(`${practitioner.first} ${practitioner.last}`);
  const before = await api.member(directorToken, practiceId, practitioner.email);
  await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Supervisor' });
  await page.getByRole('button', { name: 'Save access' }).click();
  await expect(notice(page)).toHaveText('Access saved.');
  await expect(fact(page, 'Role')).toHaveText('Supervisor (practitioner)');
  const after = await api.member(directorToken, practiceId, practitioner.email);
  expect(after?.role_id).toBe('supervisor');
  expect(after?.version).toBeGreaterThan(before?.version ?? Infinity);
});

test('the director deactivates and reactivates the practitioner', async () => {
  const page = directorPage;
  const name = `${practitioner.first} ${practitioner.last}`;
  await page.getByRole('button', { name: 'Deactivate' }).click();
  await page.getByRole('button', { name: 'Yes, deactivate' }).click();
  await expect(notice(page)).toHaveText(`${name} is deactivated.`);
  await expect(fact(page, 'Status')).toHaveText('Deactivated');
  expect((await api.member(directorToken, practiceId, practitioner.email))?.status).toBe('deactivated');

  // Back from the Inactive tab, as a practice reactivates several at once.
  await page.getByRole('link', { name: '← User Management' }).click();
  await page.getByRole('tab', { name: 'Inactive' }).click();
  const row = page.getByRole('row').filter({ hasText: practitioner.email });
  await row.getByLabel(`Select ${name}`).check();
  await page.getByLabel(/I accept the licence terms/).check();
  await page.getByRole('button', { name: 'Reactivate selected users (1)' }).click();
  await expect(notice(page)).toHaveText('1 user reactivated.');
  await expect(row).toHaveCount(0);
  expect((await api.member(directorToken, practiceId, practitioner.email))?.status).toBe('active');
});

test('the practitioner locks themselves out and the director unlocks them', async () => {
  const page = practitionerPage;
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(h1(page)).toHaveText('Sign in');
  await page.getByLabel('Email').fill(practitioner.email);
  for (let attempt = 1; attempt <= 5; attempt++) {
    await page.getByLabel('Password').fill(`not my password ${attempt}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert')).toContainText(attempt < 5 ? 'The email or password is wrong.' : 'locked');
  }
  // Locked: even the right password is refused now.
  await page.getByLabel('Password').fill(practitioner.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('This account is locked');
  expect((await api.member(directorToken, practiceId, practitioner.email))?.locked).toBe(true);

  const name = `${practitioner.first} ${practitioner.last}`;
  await directorPage.getByRole('tab', { name: 'Locked' }).click();
  const row = directorPage.getByRole('row').filter({ hasText: practitioner.email });
  await row.getByRole('button', { name: 'Unlock' }).click();
  await expect(notice(directorPage)).toHaveText(`${name} is unlocked.`);
  await expect(row).toHaveCount(0);
  expect((await api.member(directorToken, practiceId, practitioner.email))?.locked).toBe(false);

  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(h1(page)).toHaveText(practiceName);
});

test('the director grants support access and revokes it', async () => {
  const page = directorPage;
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Support access' }).click();
  await expect(h1(page)).toHaveText('Support access');
  await expect(page.getByText('Support access is off.')).toBeVisible();
  await page.getByRole('button', { name: 'Grant support access for 7 days' }).click();
  await expect(notice(page)).toHaveText('Support access granted for 7 days.');
  await expect(page.getByText(`Support access is on, granted by ${director.first} ${director.last}`)).toBeVisible();
  await expect(page.getByText(/^It expires /)).toBeVisible();
  expect((await api.supportAccess(directorToken, practiceId)).active).toBe(true);

  await page.getByRole('button', { name: 'Revoke support access' }).click();
  await page.getByRole('button', { name: 'Yes, revoke support access' }).click();
  await expect(notice(page)).toHaveText('Support access revoked.');
  await expect(page.getByText('Support access is off.')).toBeVisible();
  expect((await api.supportAccess(directorToken, practiceId)).active).toBe(false);
});
