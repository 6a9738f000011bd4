// Issue 17 item 5, "accessible and plain": axe (WCAG 2.1 A and AA rules) and
// a reflow check on the main screens, and the sign-in and invite forms used by
// keyboard alone. axe finds what a rule can decide (contrast, names, labels,
// landmarks, ARIA); the rest checks what it cannot: a 320 px wide screen, tab
// order, a focus ring and field borders that stand out, no mouse needed.
import { test, expect, type Locator, type Page } from '@playwright/test';
import { AxeBuilder } from '@axe-core/playwright';
import { linkInMail } from '../support/mail';
import * as api from '../support/api';
import { join, person, practice, signIn, type Practice } from '../support/people';
import { h1, notice } from '../support/screen';

const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
/** What fails the check; the rest is printed. */
const BLOCKING = new Set(['serious', 'critical']);

interface Finding {
  screen: string;
  impact: string;
  rule: string;
  help: string;
  targets: string[];
}

const describe = (f: Finding) => {
  const more = f.targets.length > 5 ? ` and ${f.targets.length - 5} more` : '';
  return `[${f.impact}] ${f.screen}: ${f.rule} (${f.help}) at ${f.targets.slice(0, 5).join(', ')}${more}`;
};

/** Runs axe on the page as it stands (the caller waits for the screen to be loaded), then `reflow`. */
async function check(page: Page, screen: string): Promise<Finding[]> {
  await expect(page.getByText('Loading…')).toHaveCount(0);
  const { violations } = await new AxeBuilder({ page }).withTags(WCAG_21_AA).analyze();
  const found = violations.map((v) => ({
    screen,
    impact: v.impact ?? 'unknown',
    rule: v.id,
    help: v.help,
    targets: v.nodes.map((n) => n.target.join(' ')),
  }));
  return [...found, ...(await reflow(page, screen))];
}

/**
 * WCAG 1.4.10, which axe leaves alone: at 320 CSS px wide (1280 at 400 %
 * zoom) nothing but a data table needs sideways scrolling. Names the
 * outermost elements that stick out.
 */
async function reflow(page: Page, screen: string): Promise<Finding[]> {
  const size = page.viewportSize() ?? { width: 1280, height: 800 };
  await page.setViewportSize({ width: 320, height: size.height });
  const targets = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out = (e: Element | null) => !!e && e.getBoundingClientRect().right > width + 1;
    const name = (e: Element) => e.tagName.toLowerCase() + (e.id ? `#${e.id}` : '') + [...e.classList].map((c) => `.${c}`).join('');
    return [...document.querySelectorAll('body *')].filter((e) => out(e) && !out(e.parentElement) && !e.closest('table')).map(name);
  });
  await page.setViewportSize(size);
  return targets.length ? [{ screen, impact: 'serious', rule: 'reflow', help: 'WCAG 1.4.10: wider than 320 px', targets }] : [];
}

test('the main screens: axe finds nothing serious, and each reflows at 320 px', async ({ page, browser }) => {
  test.setTimeout(180_000);
  const clinic = await practice(person('Maya', 'Lund'), 'Lindens Clinic');
  const active = person('Omar', 'Farah');
  const { userId } = await join(clinic, active, { kind: 'practitioner' });
  const inactive = person('Judit', 'Kovacs');
  const gone = await join(clinic, inactive, { kind: 'staff' });
  await api.deactivate(clinic.token, clinic.practiceId, gone.userId ?? '');
  await api.lockOut(active.email);
  const pending = person('Tomas', 'Ruiz');
  await api.invite(clinic.token, clinic.practiceId, { email: pending.email, kind: 'staff', primary_location_id: clinic.locationId });

  const findings: Finding[] = [];
  const visit = async (p: Page, screen: string, path: string, heading: string | RegExp, ready?: Locator) => {
    await p.goto(path);
    await expect(h1(p)).toHaveText(heading);
    if (ready) await expect(ready).toBeVisible();
    findings.push(...(await check(p, screen)));
  };

  // Signed out, and the mailed invitation link.
  await visit(page, 'sign in', '/login', 'Sign in');
  await visit(page, 'sign up', '/signup', 'Create your account');
  // Errors are where names and descriptions go missing: the summary and each field's message.
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  findings.push(...(await check(page, 'sign up, with errors')));
  const invitee = await (await browser.newContext()).newPage();
  await visit(invitee, 'invitation link', await linkInMail(pending.email, '/invite/'), 'Invitation', invitee.getByLabel('Password'));
  await invitee.context().close();

  // The director's screens.
  await signIn(page, clinic.director);
  const base = `/practices/${clinic.practiceId}`;
  await visit(page, 'practice overview', base, clinic.name);
  for (const [tab, email] of [
    ['users', active.email],
    ['invitations', pending.email],
    ['inactive', inactive.email],
    ['locked', active.email],
  ]) {
    await visit(page, `User Management, ${tab} tab`, `${base}/users?tab=${tab}`, 'User Management', page.getByRole('row').filter({ hasText: email }));
  }
  await visit(page, 'invite form', `${base}/users/invite`, 'Invite a user', page.getByLabel('Email'));
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  findings.push(...(await check(page, 'invite form, with errors')));
  await visit(page, 'member page', `${base}/members/${userId}`, `${active.first} ${active.last}`);
  await visit(page, 'roles', `${base}/roles`, /roles/i);
  await visit(page, 'audit log', `${base}/audit`, 'Audit log', page.getByRole('heading', { name: 'Export' }));
  await visit(page, 'my account', '/account', /account/i);
  await visit(page, 'settings', `${base}/settings`, 'Settings', page.getByRole('heading', { name: 'Security policy' }));

  const minor = findings.filter((f) => !BLOCKING.has(f.impact));
  for (const f of minor) console.log(`a11y, not failing: ${describe(f)}`);
  const serious = findings.filter((f) => BLOCKING.has(f.impact)).map(describe);
  expect(serious.length, `serious or critical violations:\n${serious.join('\n')}`).toBe(0);
});

/** Presses Tab until `target` has the focus; fails after `limit` presses. */
async function tabTo(page: Page, target: Locator, limit = 200): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  await expect(target, `Tab did not reach it in ${limit} presses`).toBeFocused();
}

/**
 * What draws a focus indicator, from the element's computed style, and the
 * colour around it: the first opaque background among its ancestors (the
 * outline is drawn outside the element, on what it sits on).
 */
const indicator = (el: Element) => {
  const s = getComputedStyle(el);
  let around = 'rgb(255, 255, 255)';
  for (let up = el.parentElement; up; up = up.parentElement) {
    const bg = getComputedStyle(up).backgroundColor;
    if (bg !== 'transparent' && !bg.startsWith('rgba(0, 0, 0, 0')) {
      around = bg;
      break;
    }
  }
  return { outline: s.outlineStyle === 'none' ? 'none' : `${s.outlineStyle} ${s.outlineWidth}`, colour: s.outlineColor, shadow: s.boxShadow, border: s.borderTopColor, around };
};

/** WCAG 2.1's contrast ratio of two computed `rgb(r, g, b)` colours. */
function contrast(a: string, b: string): number {
  const luminance = (css: string) => {
    const [r, g, b] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

test('sign-in by keyboard: Tab reaches each field and the button in order, focus shown at 3:1', async ({ page }) => {
  await page.goto('/login');
  await expect(h1(page)).toHaveText('Sign in');
  const form = page.locator('form');
  const controls = [form.getByLabel('Email'), form.getByLabel('Password'), form.getByRole('button', { name: 'Sign in' })];
  const unfocused = await Promise.all(controls.map((c) => c.evaluate(indicator)));
  // WCAG 1.4.11 again: a field is found by its border.
  for (const [i, u] of unfocused.entries()) expect(contrast(u.border, u.around), `control ${i}'s border ${u.border} on ${u.around}`).toBeGreaterThanOrEqual(3);
  await tabTo(page, controls[0], 10);
  for (const [i, control] of controls.entries()) {
    if (i > 0) await page.keyboard.press('Tab');
    await expect(control).toBeFocused();
    const focused = await control.evaluate(indicator);
    expect(focused.outline, `an outline on control ${i} when focused`).not.toBe('none');
    expect(focused, `control ${i} looks different focused`).not.toEqual(unfocused[i]);
    // WCAG 1.4.11: a focus indicator stands out 3:1 from what it is drawn on.
    expect(contrast(focused.colour, focused.around), `control ${i}'s outline ${focused.colour} on ${focused.around}`).toBeGreaterThanOrEqual(3);
  }
});

test('the invite form filled and sent by keyboard alone', async ({ page }) => {
  const clinic: Practice = await practice(person('Noor', 'Haddad'), 'Keyboard Clinic');
  const invitee = person('Ravi', 'Shah');
  await signIn(page, clinic.director);
  await page.goto(`/practices/${clinic.practiceId}/users/invite`);
  await expect(h1(page)).toHaveText('Invite a user');

  const email = page.getByLabel('Email');
  await tabTo(page, email);
  await page.keyboard.type(invitee.email);
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Title (optional)')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('First name (optional)')).toBeFocused();
  await page.keyboard.type(invitee.first);
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Last name (optional)')).toBeFocused();
  await page.keyboard.type(invitee.last);
  // The kind is a radio group: Tab enters it at the checked one, arrows choose.
  await page.keyboard.press('Tab');
  const practitioner = page.getByLabel('Practitioner (uses a paid seat)');
  await expect(practitioner).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByLabel('Staff')).toBeChecked();
  await page.keyboard.press('ArrowUp');
  await expect(practitioner).toBeChecked();
  const licence = page.getByLabel(/I accept the licence terms/);
  await tabTo(page, licence);
  await page.keyboard.press('Space');
  await expect(licence).toBeChecked();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Send invitation' })).toBeFocused();
  await page.keyboard.press('Enter');

  await expect(notice(page)).toHaveText(`Invitation sent to ${invitee.email}.`);
  const stored = await api.invitations(clinic.token, clinic.practiceId, 'pending');
  expect(stored.map((i) => i.email)).toContain(invitee.email);
  await linkInMail(invitee.email, '/invite/');
});
