// Two sessions change one member (R18, If-Match): the second save meets the
// first's change, says so, and after Reload saves on top of it. One director
// in two windows, the commonest way to meet it.
import { test, expect, type Browser, type Page } from '@playwright/test';
import * as api from '../support/api';
import { join, person, practice, signIn } from '../support/people';
import { fact, h1, notice } from '../support/screen';


async function memberPage(browser: Browser, who: Parameters<typeof signIn>[1], path: string, name: string): Promise<Page> {
  // A context each: two sessions, each with its own sign-in.
  const page = await (await browser.newContext()).newPage();
  await signIn(page, who);
  await page.goto(path);
  await expect(h1(page)).toHaveText(name);
  return page;
}

test('a save on a stale member says so, and Reload then saves on the current version', async ({ browser }) => {
  const director = person('Ines', 'Moreau');
  const clinic = await practice(director, 'Moreau Clinic');
  const staff = person('Kai', 'Ito');
  const { userId } = await join(clinic, staff, { kind: 'staff', role_id: 'front_desk' });
  const path = `/practices/${clinic.practiceId}/members/${userId}`;
  const name = `${staff.first} ${staff.last}`;

  const first = await memberPage(browser, director, path, name);
  const second = await memberPage(browser, director, path, name);
  const before = await api.member(clinic.token, clinic.practiceId, staff.email);
  expect(before?.access_billing).toBe(true);

  await first.getByLabel('Role', { exact: true }).selectOption({ label: 'Billing manager' });
  await first.getByRole('button', { name: 'Save access' }).click();
  await expect(notice(first)).toHaveText('Access saved.');

  // The second window still shows the version it read.
  await second.getByLabel('Access to billing').uncheck();
  await second.getByRole('button', { name: 'Save access' }).click();
  await expect(second.getByRole('alert')).toContainText('Someone else changed this in the meantime');
  const meanwhile = await api.member(clinic.token, clinic.practiceId, staff.email);
  expect(meanwhile?.role_id).toBe('billing_manager');
  expect(meanwhile?.access_billing).toBe(true);

  await second.getByRole('button', { name: 'Reload' }).click();
  await expect(fact(second, 'Role')).toHaveText('Billing manager (staff)');
  await expect(second.getByLabel('Role', { exact: true }).locator('option:checked')).toHaveText('Billing manager');
  await second.getByLabel('Access to billing').uncheck();
  await second.getByRole('button', { name: 'Save access' }).click();
  await expect(notice(second)).toHaveText('Access saved.');
  const after = await api.member(clinic.token, clinic.practiceId, staff.email);
  // Both changes stand: the first session's role and the second's billing.
  expect(after?.role_id).toBe('billing_manager');
  expect(after?.access_billing).toBe(false);
  expect(after?.version).toBeGreaterThan(meanwhile?.version ?? Infinity);

  await first.context().close();
  await second.context().close();
});
