// Run by scripts/e2e.sh, which starts the stack and the console and sets the
// E2E_* variables; `npm test` and `npm run screens` here call it.
import { defineConfig } from '@playwright/test';

const consoleUrl = process.env.E2E_CONSOLE;
if (!consoleUrl) throw new Error('E2E_CONSOLE is unset: run the tests with scripts/e2e.sh (npm test)');

export default defineConfig({
  testDir: 'tests',
  // One flow, step after step, on a 2-core machine that also runs the stack.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  // A step waits for the stack: a mail through the stream poller, a first
  // request to a function that cargo lambda watch starts.
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    baseURL: consoleUrl,
    browserName: 'chromium',
    headless: process.env.E2E_HEADED !== '1',
    viewport: { width: 1280, height: 800 },
    // A click that cannot happen fails in 15 s, not at the test's bound.
    actionTimeout: 15_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      // Debian's Chromium (scripts/e2e.sh installs it), not Playwright's download.
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      // As root (CI) Chromium's sandbox cannot start. The network is closed:
      // without these, Chromium's background connections fail at every start.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [
    // The flow and the screen-by-screen tests (totp, stale, invitations); `scripts/e2e.sh test`.
    { name: 'flow', testIgnore: 'screens.spec.ts' },
    { name: 'screens', testMatch: 'screens.spec.ts' },
  ],
});
