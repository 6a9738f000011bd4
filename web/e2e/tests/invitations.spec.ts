// Invitations answered from the mailed link and seen by a user of two
// practices: declining (R11) and the header's practice switcher.
import { test, expect } from '@playwright/test';
import { linkInMail } from '../support/mail';
import * as api from '../support/api';
import { join, person, practice, signIn } from '../support/people';
import { h1, notice } from '../support/screen';


test('an invitee declines from the mailed link, and the link then says it is answered', async ({ page }) => {
  const director = person('Ruth', 'Adler');
  const clinic = await practice(director, 'Adler Dental');
  const receptionist = person('Lena', 'Park');
  await api.invite(clinic.token, clinic.practiceId, {
    email: receptionist.email,
    first_name: receptionist.first,
    kind: 'staff',
    primary_location_id: clinic.locationId,
  });

  const link = await linkInMail(receptionist.email, '/invite/');
  await page.goto(link);
  await expect(h1(page)).toHaveText('Invitation');
  await expect(page.getByText(`invited ${receptionist.email} to join ${clinic.name}`)).toBeVisible();
  await page.getByRole('button', { name: 'Decline invitation' }).click();
  await page.getByRole('button', { name: 'Yes, decline' }).click();
  await expect(notice(page)).toHaveText(`You declined the invitation. ${clinic.name} will see this in its list of invitations.`);
  const declined = await api.invitations(clinic.token, clinic.practiceId, 'declined');
  expect(declined.map((i) => i.email)).toEqual([receptionist.email]);
  expect(await api.invitations(clinic.token, clinic.practiceId, 'pending')).toEqual([]);

  // The same link again: no form to register or decline, only that it is answered.
  await page.goto(link);
  await expect(page.getByRole('alert')).toContainText('This invitation was already accepted or declined.');
  await expect(page.getByRole('button', { name: 'Decline invitation' })).toHaveCount(0);
  await expect(page.getByLabel('Password')).toHaveCount(0);
});

test("a user of two practices switches between them and sees each one's users only", async ({ page }) => {
  const harbour = await practice(person('Mira', 'Holt'), 'Harbour Physio');
  const fjord = await practice(person('Nils', 'Strand', 'fjord-dental.example'), 'Fjord Dental');
  const hidden = await practice(person('Vera', 'Quist', 'fjord-dental.example'), 'Quist Orthodontics');
  const colleagueH = person('Theo', 'Lind');
  const colleagueF = person('Siri', 'Dahl', 'fjord-dental.example');
  const colleagueQ = person('Otto', 'Berg', 'fjord-dental.example');
  await join(harbour, colleagueH, { kind: 'staff', role_id: 'front_desk' });
  await join(fjord, colleagueF, { kind: 'staff', role_id: 'front_desk' });
  await join(hidden, colleagueQ, { kind: 'staff', role_id: 'front_desk' });
  // Supervisors in both, so each practice's Users page is open to them.
  const locum = person('Ada', 'Rowe');
  const { token } = await join(harbour, locum, { kind: 'practitioner', role_id: 'supervisor' });
  await join(fjord, locum, { kind: 'practitioner', role_id: 'supervisor' }, token);

  await signIn(page, locum);
  const switcher = page.getByRole('combobox', { name: 'Practice' });
  await expect(switcher.locator('option')).toHaveText(['Fjord Dental', 'Harbour Physio']);
  const usersOf = async (at: { name: string; practiceId: string }, here: string[], notHere: string[]) => {
    // Choosing is not going (arrowing through the options must not navigate): Go is.
    await switcher.selectOption({ label: at.name });
    await page.getByRole('button', { name: 'Go' }).click();
    await expect(page).toHaveURL(new RegExp(`/practices/${at.practiceId}(/|$)`));
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Users' }).click();
    await expect(h1(page)).toHaveText('User Management');
    for (const email of here) await expect(page.getByRole('row').filter({ hasText: email })).toBeVisible();
    for (const email of notHere) await expect(page.getByText(email)).toHaveCount(0);
  };
  await usersOf(harbour, [harbour.director.email, colleagueH.email, locum.email], [fjord.director.email, colleagueF.email]);
  await usersOf(fjord, [fjord.director.email, colleagueF.email, locum.email], [harbour.director.email, colleagueH.email]);
  // And back, from the Users page itself.
  await usersOf(harbour, [harbour.director.email, colleagueH.email], [fjord.director.email, colleagueF.email]);

  // A practice the user is not in, typed into the address bar: a refusal, none of its data,
  // and the switcher names no practice rather than the last one.
  for (const path of [`/practices/${hidden.practiceId}/users`, `/practices/${hidden.practiceId}`]) {
    await page.goto(path);
    await expect(h1(page)).toHaveText('Practice not available');
    await expect(page.getByText('You are not an active member of this practice, or it does not exist.')).toBeVisible();
    await expect(switcher.locator('option:checked')).toHaveText('—');
    for (const shown of [hidden.name, hidden.director.email, colleagueQ.email]) await expect(page.getByText(shown)).toHaveCount(0);
  }
});
