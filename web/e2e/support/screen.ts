// What a person reads on a screen, named once for every spec.
import { Secret, TOTP } from 'otpauth';
import type { Page } from '@playwright/test';

export const h1 = (page: Page) => page.getByRole('heading', { level: 1 });

/** The value beside a term in a page's facts (<dt>Status</dt><dd>Active</dd>). */
export const fact = (page: Page, term: string) => page.locator('dt', { hasText: new RegExp(`^${term}$`) }).locator('+ dd');

/** The page's `role="status"` notice, once it says something. */
export const notice = (page: Page) => page.getByRole('status').filter({ hasText: /\S/ });

/**
 * The authenticator app a person sets up from the enrolment screen: the key
 * shown under the QR code, RFC 6238 as R28 fixes it (SHA-1, 6 digits, 30 s).
 */
export async function authenticatorFrom(page: Page): Promise<TOTP> {
  const key = (await page.locator('p', { hasText: 'Key:' }).locator('code').textContent())?.trim() ?? '';
  return new TOTP({ secret: Secret.fromBase32(key) });
}
