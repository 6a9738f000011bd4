// My account: names and email verification, password, two-factor, my
// invitations, my sessions (paths /account and /account/security are the
// onboarding mails' links).
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, call } from '../api/client';
import { allRoles } from '../api/lists';
import { deviceWords } from '../lib/agent';
import { roleName } from '../components/access-editor';
import { useApp } from '../app';
import { ConfirmButton } from '../components/confirm';
import { ErrorSummary, Field, Form, attempt, useForm } from '../components/form';
import { Page } from '../components/shell';
import { TotpEnroll } from '../components/totp';
import { Loading, Notice, roleWords, useLoad, shortDate } from '../components/ui';

const SECTIONS = [
  ['/account', 'Profile'],
  ['/account/security', 'Security'],
  ['/account/invitations', 'Invitations'],
  ['/account/sessions', 'Sessions'],
] as const;

function AccountPage({ title, children }: { title: string; children: ComponentChildren }) {
  const app = useApp();
  const { path } = useLocation();
  return (
    <Page pid={app.practice?.practice_id}>
      <h1>{title}</h1>
      <nav aria-label="My account" class="subnav">
        {SECTIONS.map(([href, label]) => (
          <a key={href} href={href} aria-current={path === href ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
      {children}
    </Page>
  );
}

export function AccountScreen() {
  const app = useApp();
  const user = app.me?.user;
  const form = useForm({ title: user?.title ?? '', first_name: user?.first_name ?? '', last_name: user?.last_name ?? '' });
  const resend = useForm({});
  const [notice, setNotice] = useState<string | null>(null);
  // Role names per practice (a custom role's id says nothing); only active memberships may read roles.
  const activeIds = (app.me?.memberships ?? []).filter((m) => m.status === 'active').map((m) => m.practice_id);
  const roles = useLoad(async () => new Map(await Promise.all(activeIds.map(async (pid) => [pid, await allRoles(pid).catch(() => [])] as const))), [activeIds.join()]);
  const roleOf = (m: { practice_id: string; role_id: string }) => {
    const list = roles.data?.get(m.practice_id);
    return list ? roleName(list, m.role_id) : roleWords(m.role_id);
  };
  if (!user) return null;
  const save = async () => {
    await call(api.PATCH('/me', { body: { title: form.values.title || null, first_name: form.values.first_name, last_name: form.values.last_name } }));
    await app.refresh();
    setNotice('Your name is saved.');
  };
  const sendLink = () =>
    attempt(resend, async () => {
      await call(api.POST('/auth/verify-email/resend'));
      setNotice(`A new verification link is on its way to ${user.email}.`);
    });
  return (
    <AccountPage title="My account">
      <Notice message={notice} />
      <h2>Email</h2>
      <p>
        {user.email} {user.email_verified ? <span class="badge">verified</span> : <span class="badge warn">not verified</span>}
      </p>
      {!user.email_verified && (
        <>
          <ErrorSummary errors={resend.errors} />
          <button type="button" onClick={sendLink} disabled={resend.busy}>
            Send verification email again
          </button>
        </>
      )}
      <h2>Name</h2>
      <Form form={form} onSubmit={save} submitLabel="Save name">
        <Field form={form} name="title" label="Title (optional)" autoComplete="honorific-prefix" />
        <Field form={form} name="first_name" label="First name" autoComplete="given-name" required />
        <Field form={form} name="last_name" label="Last name" autoComplete="family-name" required />
      </Form>
      <h2>Practices</h2>
      <ul>
        {(app.me?.memberships ?? []).map((m) => (
          <li key={m.practice_id}>
            {m.status === 'active' ? <a href={`/practices/${m.practice_id}`}>{m.practice_name}</a> : m.practice_name} ({roleOf(m)}
            {m.status === 'active' ? '' : ', deactivated'})
          </li>
        ))}
      </ul>
      <p>
        <a href="/practices/new">Create another practice</a>
      </p>
    </AccountPage>
  );
}

export function SecurityScreen() {
  const app = useApp();
  const user = app.me?.user;
  const pw = useForm({ current_password: '', new_password: '' }, 'password');
  const off = useForm({ current_password: '', code: '' }, 'mfa-off');
  const [notice, setNotice] = useState<string | null>(null);
  if (!user) return null;
  const changePassword = async () => {
    await call(api.POST('/me/password', { body: { current_password: pw.values.current_password, new_password: pw.values.new_password } }));
    pw.reset({ current_password: '', new_password: '' });
    setNotice('Password changed. Your other sessions are signed out.');
  };
  const disable = async () => {
    await call(api.DELETE('/me/mfa/totp', { body: { current_password: off.values.current_password, code: off.values.code.trim() } }));
    await app.refresh();
    setNotice('Two-factor authentication is off.');
  };
  return (
    <AccountPage title="Security">
      <Notice message={notice} />
      <h2>Password</h2>
      <Form form={pw} onSubmit={changePassword} submitLabel="Change password">
        <Field form={pw} name="current_password" label="Current password" type="password" autoComplete="current-password" required />
        <Field form={pw} name="new_password" label="New password" type="password" autoComplete="new-password" hint="At least 10 characters." required />
      </Form>
      <h2>Two-factor authentication</h2>
      {user.mfa_enabled ? (
        <>
          <p>
            <span class="badge">on</span> Signing in asks for a code from your authenticator app.
          </p>
          <details>
            <summary>Turn two-factor authentication off</summary>
            <Form form={off} onSubmit={disable} submitLabel="Turn off">
              <Field form={off} name="current_password" label="Password" type="password" autoComplete="current-password" required />
              <Field form={off} name="code" label="Authentication code" inputMode="numeric" autoComplete="one-time-code" required />
            </Form>
          </details>
        </>
      ) : !user.email_verified ? (
        <p>Verify your email first (see Profile), then set up two-factor authentication here.</p>
      ) : (
        <TotpEnroll
          onDone={() => {
            void app.refresh();
            setNotice('Two-factor authentication is on.');
          }}
        />
      )}
    </AccountPage>
  );
}

export function MyInvitationsScreen() {
  const app = useApp();
  const { route } = useLocation();
  const list = useLoad(() => call(api.GET('/me/invitations')), []);
  const act = useForm({});
  const [notice, setNotice] = useState<string | null>(null);
  const accept = (id: string) =>
    attempt(act, async () => {
      const member = await call(api.POST('/me/invitations/{invitation_id}/accept', { params: { path: { invitation_id: id } } }));
      app.choosePractice(member.practice_id);
      await app.refresh();
      route(`/practices/${member.practice_id}`);
    });
  const decline = (id: string) =>
    attempt(act, async () => {
      await call(api.POST('/me/invitations/{invitation_id}/decline', { params: { path: { invitation_id: id } } }));
      setNotice('Invitation declined.');
      list.reload();
      void app.refresh();
    });
  return (
    <AccountPage title="My invitations">
      <Notice message={notice} />
      <ErrorSummary errors={act.errors} />
      <Loading state={list}>
        {(l) =>
          l.items.length === 0 ? (
            <p class="muted">No pending invitations.</p>
          ) : (
            <table>
              <caption class="sr-only">Invitations to me</caption>
              <thead>
                <tr>
                  <th scope="col">Practice</th>
                  <th scope="col">Role</th>
                  <th scope="col">Invited by</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Answer</th>
                </tr>
              </thead>
              <tbody>
                {l.items.map((inv) => (
                  <tr key={inv.id}>
                    <td id={`practice-${inv.id}`}>{inv.practice_name}</td>
                    <td>
                      {roleWords(inv.role_id)} ({inv.kind})
                    </td>
                    <td>{inv.invited_by.name}</td>
                    <td class="when">{shortDate(inv.expires_at)}</td>
                    <td>
                      <div class="row-actions">
                        <button type="button" class="primary" onClick={() => accept(inv.id)} disabled={act.busy} aria-describedby={`practice-${inv.id}`}>
                          Accept
                        </button>
                        <button type="button" onClick={() => decline(inv.id)} disabled={act.busy} aria-describedby={`practice-${inv.id}`}>
                          Decline
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loading>
    </AccountPage>
  );
}

export function SessionsScreen() {
  const list = useLoad(() => call(api.GET('/me/sessions')), []);
  const act = useForm({});
  const [notice, setNotice] = useState<string | null>(null);
  const end = (id: string) =>
    attempt(act, async () => {
      await call(api.DELETE('/me/sessions/{session_id}', { params: { path: { session_id: id } } }));
      setNotice('Session ended.');
      list.reload();
    });
  const endOthers = () =>
    attempt(act, async () => {
      await call(api.DELETE('/me/sessions'));
      setNotice('Every other session is ended.');
      list.reload();
    });
  return (
    <AccountPage title="My sessions">
      <Notice message={notice} />
      <ErrorSummary errors={act.errors} />
      <Loading state={list}>
        {(l) => (
          <>
            <table>
              <caption class="sr-only">Sessions signed in to my account</caption>
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col">Signed in</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Action</th>
                </tr>
              </thead>
              <tbody>
                {l.items.map((s) => (
                  <tr key={s.id}>
                    <td>
                      <span title={s.user_agent ?? undefined}>{deviceWords(s.user_agent)}</span> {s.current && <span class="badge">this session</span>}
                    </td>
                    <td class="when">{shortDate(s.created_at)}</td>
                    <td class="when">{shortDate(s.last_used_at)}</td>
                    <td>
                      {!s.current && (
                        <button type="button" class="nowrap" onClick={() => end(s.id)} disabled={act.busy}>
                          End session
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div class="after-table">
              <ConfirmButton
                label="Sign out all other sessions"
                question="Sign out every other browser and device signed in to your account? This one stays signed in."
                confirmLabel="Yes, sign out the others"
                onConfirm={endOthers}
                busy={act.busy}
              />
            </div>
          </>
        )}
      </Loading>
    </AccountPage>
  );
}
