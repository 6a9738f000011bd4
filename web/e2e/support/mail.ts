// The stack's mail folder (MAIL_TRANSPORT=dir): one JSON file per message,
// written by the delivery function from the table's stream.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from '@playwright/test';

interface Mail {
  to: string;
  subject: string;
  text: string;
  template: string;
  created_at: string;
}

function mailDir(): string {
  const dir = process.env.E2E_MAIL_DIR;
  if (!dir) throw new Error('E2E_MAIL_DIR is unset: run the tests with scripts/e2e.sh');
  return dir;
}

function mailsTo(to: string): Mail[] {
  return readdirSync(mailDir())
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(mailDir(), name), 'utf8')) as Mail)
    .filter((mail) => mail.to.toLowerCase() === to.toLowerCase())
    .sort((a, b) => a.created_at.localeCompare(b.created_at));
}

function linksIn(to: string, path: string): string[] {
  const pattern = new RegExp(`https?://[^\\s"<>]*${path.replace(/[/]/g, '\\/')}[A-Za-z0-9_-]+`, 'g');
  return mailsTo(to).flatMap((mail) => mail.text.match(pattern) ?? []);
}

/** How many links to `to` whose path starts with `path` the mail folder holds now. */
export function linkCount(to: string, path: string): number {
  return linksIn(to, path).length;
}

/**
 * The newest link to `to` whose path starts with `path` (e.g. `/invite/`),
 * waiting for the mail; with `after`, for a mail beyond the first `after` such links.
 */
export async function linkInMail(to: string, path: string, after = 0): Promise<string> {
  let link: string | undefined;
  await expect
    .poll(
      () => {
        const links = linksIn(to, path);
        link = links.length > after ? links.at(-1) : undefined;
        return link;
      },
      { message: `a mail to ${to} with a ${path} link`, timeout: 30_000 },
    )
    .toBeTruthy();
  return link as string;
}

/** The templates of the mails sent to `to` so far, oldest first. */
export function templatesTo(to: string): string[] {
  return mailsTo(to).map((mail) => mail.template);
}
