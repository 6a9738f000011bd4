// Issue 17 item 4: what a clinic does with Roster, through the console's
// screens, in Debian's Chromium. Each step is a test; they run in order and
// share the people below (a failed step skips the rest). What a person sees
// is asserted first; the API's stored state where it costs one request.
import { test, expect, type Browser, type Page } from '@playwright/test';
import { linkInMail } from '../support/mail';
import * as api from '../support/api';

test.describe.configure({ mode: 'serial' });

const director = {
  first: 'Dana',
  last: 'Reyes',
  email: 'dana.reyes@harbour-clinic.example',
  password: 'tide-pool lantern 4417',
};
const practitioner = {
  first: 'Priya',
  last: 'Nair',
  email: 'priya.nair@harbour-clinic.example',
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
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/sign up|create.*account/i);
  await page.getByLabel('First name').fill(director.first);
  await page.getByLabel('Last name').fill(director.last);
  await page.getByLabel('Email').fill(director.email);
  await page.getByLabel('Password', { exact: true }).fill(director.password);
  await page.getByRole('button', { name: /sign up|create account/i }).click();
  // Signed in straight away: no practice yet, so the console offers to create one.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/practice/i);
  directorToken = await api.signIn(director.email, director.password);
});

test('the director creates a practice', async () => {
  const page = directorPage;
  await page.getByLabel(/practice name/i).fill(practiceName);
  await page.getByLabel(/location/i).fill(locationName);
  await page.getByRole('button', { name: /create practice/i }).click();
  await expect(page.getByText(practiceName).first()).toBeVisible();
  const memberships = await api.myPractices(directorToken);
  expect(memberships.map((m) => m.practice_name)).toEqual([practiceName]);
  practiceId = memberships[0].practice_id;
});

test('the director invites a practitioner', async () => {
  const page = directorPage;
  await page.getByRole('link', { name: /user management|users/i }).first().click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/user management/i);
  await page.getByRole('button', { name: /invite/i }).first().click();
  await page.getByLabel('Email').fill(practitioner.email);
  await page.getByLabel('First name').fill(practitioner.first);
  await page.getByLabel('Last name').fill(practitioner.last);
  await page.getByLabel('Kind').selectOption('practitioner');
  await page.getByRole('button', { name: /send invitation|invite/i }).last().click();
  await page.getByRole('tab', { name: /invitations/i }).click();
  const row = page.getByRole('row').filter({ hasText: practitioner.email });
  await expect(row).toContainText(/pending/i);
});

test('the invitee registers from the link in the mail folder', async () => {
  const page = practitionerPage;
  const link = await linkInMail(practitioner.email, '/invite/');
  expect(new URL(link).origin).toBe(new URL(process.env.E2E_CONSOLE as string).origin);
  await page.goto(link);
  await expect(page.getByText(practiceName).first()).toBeVisible();
  // The invited name is filled in; the invitee picks a password.
  await expect(page.getByLabel('First name')).toHaveValue(practitioner.first);
  await expect(page.getByLabel('Last name')).toHaveValue(practitioner.last);
  await page.getByLabel('Password', { exact: true }).fill(practitioner.password);
  await page.getByRole('button', { name: /register|create account|accept/i }).click();
  await expect(page.getByText(practiceName).first()).toBeVisible();
  const joined = await api.member(directorToken, practiceId, practitioner.email);
  expect(joined?.status).toBe('active');
});

test("the director changes the practitioner's access", async () => {
  const page = directorPage;
  await page.getByRole('tab', { name: /users/i }).click();
  await page.getByRole('link', { name: new RegExp(practitioner.last) }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(practitioner.last);
  const before = await api.member(directorToken, practiceId, practitioner.email);
  await page.getByLabel('Role').selectOption({ label: 'Office Manager' });
  await page.getByRole('button', { name: /save access/i }).click();
  await expect(page.getByRole('status')).toContainText(/saved/i);
  const after = await api.member(directorToken, practiceId, practitioner.email);
  expect(after?.role_id).not.toBe(before?.role_id);
  expect(after?.version).toBeGreaterThan(before?.version ?? Infinity);
});

test('the director deactivates and reactivates the practitioner', async () => {
  const page = directorPage;
  await page.getByRole('button', { name: /deactivate/i }).click();
  await page.getByRole('button', { name: /^deactivate$/i }).last().click();
  await expect(page.getByText(/deactivated/i).first()).toBeVisible();
  expect((await api.member(directorToken, practiceId, practitioner.email))?.status).toBe('deactivated');

  await page.getByRole('link', { name: /user management/i }).click();
  await page.getByRole('tab', { name: /inactive/i }).click();
  const row = page.getByRole('row').filter({ hasText: practitioner.email });
  await row.getByRole('checkbox').check();
  await page.getByRole('button', { name: /reactivate/i }).click();
  await expect(row).toHaveCount(0);
  expect((await api.member(directorToken, practiceId, practitioner.email))?.status).toBe('active');
});

test('the practitioner locks themselves out and the director unlocks them', async () => {
  const page = practitionerPage;
  await page.getByRole('button', { name: /sign out/i }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/sign in/i);
  for (let attempt = 0; attempt < 5; attempt++) {
    await page.getByLabel('Email').fill(practitioner.email);
    await page.getByLabel('Password', { exact: true }).fill('not my password at all');
    await page.getByRole('button', { name: /sign in/i }).click();
    await expect(page.getByRole('alert')).toBeVisible();
  }
  await expect(page.getByRole('alert')).toContainText(/locked/i);
  expect((await api.member(directorToken, practiceId, practitioner.email))?.locked).toBe(true);

  await directorPage.getByRole('tab', { name: /locked/i }).click();
  const row = directorPage.getByRole('row').filter({ hasText: practitioner.email });
  await row.getByRole('button', { name: /unlock/i }).click();
  await expect(row).toHaveCount(0);
  expect((await api.member(directorToken, practiceId, practitioner.email))?.locked).toBe(false);

  await page.getByLabel('Password', { exact: true }).fill(practitioner.password);
  await page.getByRole('button', { name: /sign in/i }).click();
  await expect(page.getByText(practiceName).first()).toBeVisible();
});

test('the director grants support access and revokes it', async () => {
  const page = directorPage;
  await page.getByRole('link', { name: /support access/i }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/support access/i);
  await page.getByRole('button', { name: /grant/i }).click();
  await expect(page.getByText(/expires/i)).toBeVisible();
  expect((await api.supportAccess(directorToken, practiceId)).active).toBe(true);
  await page.getByRole('button', { name: /revoke/i }).click();
  await expect(page.getByText(/no support access|not granted/i)).toBeVisible();
  expect((await api.supportAccess(directorToken, practiceId)).active).toBe(false);
});
