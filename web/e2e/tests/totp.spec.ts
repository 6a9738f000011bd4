// Two-factor sign-in (R28) through the console: enrolment on the account's
// Security page (the QR code's key read off the screen, codes computed as an
// authenticator app does, by otpauth), then the sign-in's code step.
import { test, expect } from '@playwright/test';
import * as api from '../support/api';
import { person, practice, signIn } from '../support/people';
import { authenticatorFrom, h1, notice } from '../support/screen';


test('a director turns on two-factor sign-in and then signs in with a code', async ({ page }) => {
  const director = person('Hana', 'Sato');
  const clinic = await practice(director, 'Sato Physio');
  await signIn(page, director);

  await page.goto('/account/security');
  await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
  await expect(page.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
  const app = await authenticatorFrom(page);
  await page.getByLabel('Authentication code').fill(app.generate());
  await page.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
  await expect(notice(page)).toHaveText('Two-factor authentication is on.');
  expect((await api.me(clinic.token)).user.mfa_enabled).toBe(true);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Email').fill(director.email);
  await page.getByLabel('Password').fill(director.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // The password alone does not sign in: the code step comes first.
  await expect(h1(page)).toHaveText('Two-factor authentication');
  await expect(page.getByRole('button', { name: 'Sign out' })).toHaveCount(0);

  // A code that is none of the steps the API accepts (the current one, give or take one) is refused.
  const now = Date.now();
  const valid = [-30_000, 0, 30_000, 60_000].map((shift) => app.generate({ timestamp: now + shift }));
  const wrong = ['000000', '111111', '222222', '333333', '444444'].find((code) => !valid.includes(code)) as string;
  await page.getByLabel('Authentication code').fill(wrong);
  await page.getByRole('button', { name: 'Verify code' }).click();
  // Worded as a code problem: on this step the user typed no email or password.
  await expect(page.getByRole('alert')).toContainText('That code is wrong, already used or expired.');
  await expect(h1(page)).toHaveText('Two-factor authentication');
  await expect(page.getByRole('button', { name: 'Sign out' })).toHaveCount(0);

  // A code works once: the enrolment used this step's, so the app's next one
  // (accepted with one step of drift, R28) signs in without waiting for the clock.
  await page.getByLabel('Authentication code').fill(app.generate({ timestamp: now + 30_000 }));
  await page.getByRole('button', { name: 'Verify code' }).click();
  await expect(h1(page)).toHaveText(clinic.name);
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
});
