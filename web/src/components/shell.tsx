// The frame around signed-in screens: header (practice switcher, account,
// sign-out) and the practice's navigation.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import type { Membership } from '../api/client';
import { activeMemberships, can, useApp } from '../app';
import { practiceToSync } from '../lib/practice';
import { fullName } from './ui';

export function Header() {
  const app = useApp();
  const { route, path } = useLocation();
  const memberships = activeMemberships(app.me);
  const signOut = async () => {
    await app.signOut();
    route('/login');
  };
  const switchTo = (pid: string) => {
    app.choosePractice(pid);
    // Stay on the same kind of page in the other practice.
    const m = /^\/practices\/[^/]+(\/[a-z-]+)?/.exec(path);
    route(`/practices/${pid}${m?.[1] ?? ''}`);
  };
  // A practice page the user is not a member of: the switcher names none rather than the last one (W13).
  const urlPid = /^\/practices\/([^/]+)/.exec(path)?.[1];
  const foreign = !!urlPid && urlPid !== 'new' && !memberships.some((m) => m.practice_id === urlPid);
  const shown = foreign ? '' : (app.practice?.practice_id ?? '');
  return (
    <header class="top">
      <a class="brand" href="/">
        Roster
      </a>
      {app.signedIn && app.me && (
        <div class="top-right">
          {memberships.length > 0 && <Switcher current={shown} memberships={memberships} onGo={switchTo} />}
          <a href="/account" class="who">
            {fullName(app.me.user)}
          </a>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </div>
      )}
    </header>
  );
}

/**
 * Choosing in the list goes nowhere by itself (WCAG 3.2.2: a keyboard user
 * arrowing through the options must not be taken to each practice): Go, or
 * Enter, switches.
 */
function Switcher({ current, memberships, onGo }: { current: string; memberships: Membership[]; onGo: (pid: string) => void }) {
  const [chosen, setChosen] = useState(current);
  // Follow the page's practice when it changes elsewhere (a link, Back).
  useEffect(() => setChosen(current), [current]);
  const go = (e: Event) => {
    e.preventDefault();
    if (chosen && chosen !== current) onGo(chosen);
  };
  return (
    <form class="switcher" onSubmit={go}>
      <label for="practice-switcher">Practice</label>
      <select
        id="practice-switcher"
        value={chosen}
        onChange={(e) => setChosen(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') go(e);
        }}
      >
        {current === '' && <option value="">—</option>}
        {memberships.map((m) => (
          <option key={m.practice_id} value={m.practice_id}>
            {m.practice_name}
          </option>
        ))}
      </select>
      <button type="submit">Go</button>
    </form>
  );
}

export function PracticeNav({ pid }: { pid: string }) {
  const app = useApp();
  const { path } = useLocation();
  const m = activeMemberships(app.me).find((x) => x.practice_id === pid) ?? null;
  const links: [string, string, boolean][] = [
    [`/practices/${pid}`, 'Overview', true],
    [`/practices/${pid}/users`, 'Users', can(m, 'users.view')],
    [`/practices/${pid}/roles`, 'Roles', can(m, 'users.view') || can(m, 'practice.settings')],
    [`/practices/${pid}/locations`, 'Locations', true],
    [`/practices/${pid}/support-access`, 'Support access', can(m, 'support_access.manage')],
    [`/practices/${pid}/audit`, 'Audit log', can(m, 'audit.view')],
    [`/practices/${pid}/settings`, 'Settings', can(m, 'practice.settings')],
    [`/practices/${pid}/emergency-access`, 'Emergency access', can(m, 'emergency_access.use') || m?.role_id === 'director'],
    ['/account', 'My account', true],
  ];
  return (
    <nav aria-label="Sections">
      <ul>
        {links
          .filter(([, , show]) => show)
          .map(([href, label]) => {
            const current = href === path || (href !== `/practices/${pid}` && path.startsWith(`${href}/`));
            return (
              <li key={href}>
                <a href={href} aria-current={current ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            );
          })}
      </ul>
    </nav>
  );
}

/** A signed-in page: the practice nav beside the content when inside a practice. */
export function Page({ pid, children }: { pid?: string; children: ComponentChildren }) {
  const app = useApp();
  // The header's switcher follows the practice this page edits (Back, deep links).
  const active = activeMemberships(app.me).map((m) => m.practice_id);
  const sync = practiceToSync(pid, app.practice?.practice_id, active);
  useEffect(() => {
    if (sync) app.choosePractice(sync);
  }, [sync]);
  // A practice the user is not an active member of (or that does not exist):
  // say so once, instead of each of the page's calls failing on its own (W13).
  if (pid && app.me && !active.includes(pid)) {
    return (
      <div class="plain">
        <main id="main" tabIndex={-1}>
          <h1>Practice not available</h1>
          <p>You are not an active member of this practice, or it does not exist.</p>
          <p>
            <a href="/">Go to your practices</a>
          </p>
        </main>
      </div>
    );
  }
  return (
    <div class={pid ? 'with-nav' : 'plain'}>
      {pid && <PracticeNav pid={pid} />}
      <main id="main" tabIndex={-1}>
        <UnverifiedBanner />
        {children}
      </main>
    </div>
  );
}

/** Until the email is verified some things are refused (R40, R41: inviting, two-factor), so say so up front. */
function UnverifiedBanner() {
  const app = useApp();
  if (!app.me || app.me.user.email_verified) return null;
  return (
    <p class="banner">
      Please verify your email: open the link we sent to {app.me.user.email}. <a href="/account">Send it again</a>
    </p>
  );
}
