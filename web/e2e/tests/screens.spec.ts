// `npm run screens` (make screens): the console's screens as PNGs in
// docs/screens/, for the README. A practice is seeded through the API with
// someone in each state, then the screens are visited and shot at 1280x800
// (the whole page only where its length is the point: long forms).
import { test, expect, type Page } from '@playwright/test';
import { join } from 'node:path';
import { linkInMail } from '../support/mail';
import * as api from '../support/api';
import { authenticatorFrom, h1, notice } from '../support/screen';

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
const otherDirector = { email: 'nils.strand@fjord-dental.example', password, first: 'Nils', last: 'Strand' };
// A dry run's results with one bad row.
const csv = [
  'email,kind,role_id,primary_location_id,first_name,last_name,accept_license_terms',
  'lina.holm@harbour-clinic.example,staff,front_desk,Main Street,Lina,Holm,',
  'not-an-email,staff,front_desk,Main Street,Omar,Aziz,',
  'ivo.lund@harbour-clinic.example,practitioner,clinician,Main Street,Ivo,Lund,true',
].join('\n');

async function shoot(page: Page, name: string, heading: string | RegExp, fullPage = false): Promise<void> {
  await expect(h1(page)).toHaveText(heading);
  await expect(page.getByText('Loading…')).toHaveCount(0);
  await page.screenshot({ path: join(out as string, `${name}.png`), fullPage });
}

async function signIn(page: Page, email: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('the screens', async ({ page, browser }) => {
  test.setTimeout(240_000);

  // --- a practice with someone in each state ---
  const token = await api.signUp(director);
  // Verified through the screen, as the mailed link opens it.
  await page.goto(await linkInMail(director.email, '/verify-email/'));
  await expect(notice(page)).toContainText('Your email is verified.');
  await shoot(page, 'verify-email', 'Verify email');
  const { practiceId, locationId } = await api.createPractice(token, 'Harbour Clinic', 'Main Street');
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  for (const [state, p] of Object.entries(people)) {
    await api.invite(token, practiceId, {
      email: p.email,
      first_name: p.first,
      last_name: p.last,
      kind: p.kind,
      primary_location_id: locationId,
      // Priya may open emergency access (R50); her use is on the director's screen.
      ...(state === 'active' ? { overrides: { grant: ['emergency_access.use'], revoke: [] } } : {}),
    });
    if (state !== 'pending') ({ userId: ids[state], token: tokens[state] } = await api.register(await linkInMail(p.email, '/invite/'), password));
  }
  await api.deactivate(token, practiceId, ids.inactive);
  await api.lockOut(people.locked.email);
  await api.grantSupportAccess(token, practiceId);
  await api.allowEmergencyAccess(token, practiceId, ['clinical.charts', 'clinical.notes']);
  await api.openEmergencyAccess(tokens.active, practiceId, 'Patient collapsed in the waiting room; I need the chart now.');
  // Another practice invites Priya: her own list of invitations.
  const fjordToken = await api.signUp(otherDirector);
  await api.verifyEmail(await linkInMail(otherDirector.email, '/verify-email/'));
  const fjord = await api.createPractice(fjordToken, 'Fjord Dental', 'Quay');
  await api.invite(fjordToken, fjord.practiceId, { email: people.active.email, kind: 'staff', primary_location_id: fjord.locationId });
  await api.requestPasswordReset(people.inactive.email);

  // --- what a newcomer sees first, and what mailed links open ---
  await page.goto('/login');
  await shoot(page, 'sign-in', 'Sign in');
  await page.goto('/signup');
  await shoot(page, 'sign-up', 'Create your account');
  await page.goto('/reset-password');
  await page.getByLabel('Email').fill(people.inactive.email);
  await shoot(page, 'forgot-password', 'Reset your password');
  await page.goto(await linkInMail(people.inactive.email, '/reset-password/'));
  await shoot(page, 'reset-password', 'Choose a new password');
  const invitee = await (await browser.newContext()).newPage();
  await invitee.goto(await linkInMail(people.pending.email, '/invite/'));
  await expect(invitee.getByLabel('First name')).toHaveValue(people.pending.first);
  await shoot(invitee, 'invitation', 'Invitation');
  await invitee.context().close();

  // --- the director's screens ---
  await signIn(page, director.email);
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
  await shoot(page, 'invite', 'Invite a user', true);
  await page.goto(`${base}/members/${ids.active}`);
  await shoot(page, 'member', `${people.active.first} ${people.active.last}`, true);
  await page.goto(`${base}/roles`);
  await shoot(page, 'roles', /roles/i);
  await page.goto(`${base}/support-access`);
  await expect(page.getByText(/It expires/)).toBeVisible();
  await shoot(page, 'support-access', 'Support access');
  await page.goto(`${base}/audit`);
  await expect(page.getByRole('heading', { name: 'Export' })).toBeVisible();
  await shoot(page, 'audit-log', 'Audit log');
  await page.goto(`${base}/settings`);
  await expect(page.getByRole('heading', { name: 'Security policy' })).toBeVisible();
  await shoot(page, 'settings', 'Settings');
  await page.goto(`${base}/emergency-access`);
  await expect(page.getByRole('row').filter({ hasText: 'Patient collapsed' })).toBeVisible();
  await shoot(page, 'emergency-access', 'Emergency access');
  await page.goto(`${base}/users/import`);
  await page.getByLabel('Or paste the CSV').fill(csv);
  await page.getByRole('button', { name: 'Check the file' }).click();
  await expect(page.getByRole('row').filter({ hasText: 'Refused' })).toContainText('email');
  await shoot(page, 'import', 'Import invitations', true);
  await page.goto('/account');
  await shoot(page, 'account', /account/i);
  await page.goto('/account/sessions');
  await shoot(page, 'sessions', 'My sessions');

  // --- Priya's: her invitations, leaving a practice, two-factor enrolment and sign-in ---
  const priya = await (await browser.newContext()).newPage();
  await signIn(priya, people.active.email);
  await expect(h1(priya)).toHaveText('Harbour Clinic');
  await priya.getByRole('button', { name: 'Leave practice' }).click();
  await shoot(priya, 'leave-practice', 'Harbour Clinic');
  await priya.goto('/account/invitations');
  await expect(priya.getByRole('row').filter({ hasText: 'Fjord Dental' })).toBeVisible();
  await shoot(priya, 'my-invitations', 'My invitations');
  await priya.goto('/account/security');
  await priya.getByRole('button', { name: 'Set up two-factor authentication' }).click();
  await expect(priya.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
  await shoot(priya, 'totp-enrol', 'Security', true);
  const app = await authenticatorFrom(priya);
  await priya.getByLabel('Authentication code').fill(app.generate());
  await priya.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
  await expect(notice(priya)).toHaveText('Two-factor authentication is on.');
  await priya.getByRole('button', { name: 'Sign out' }).click();
  await signIn(priya, people.active.email);
  await expect(priya.getByLabel('Authentication code')).toBeVisible();
  await shoot(priya, 'sign-in-totp', 'Two-factor authentication');
  await priya.context().close();
});
