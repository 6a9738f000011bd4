// Signing up and in (with the TOTP step), and the guard for signed-in pages.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, call } from '../api/client';
import { safeNext } from '../lib/next';
import { useApp } from '../app';
import { Field, Form, useForm } from '../components/form';
import { LoadFailed } from '../components/ui';
import { codeStepErrors, mustEnrollMfa } from '../lib/mfa';
import { errorsOf } from '../lib/problem';
import { ForcedPasswordChange, ForcedTotp } from './forced';

/** Only a same-site path may be a `next`, so a crafted link cannot send the user elsewhere. */
export function SignUp() {
  const app = useApp();
  const { route } = useLocation();
  const form = useForm({ title: '', first_name: '', last_name: '', email: '', password: '' });
  const v = form.values;
  const submit = async () => {
    const res = await call(
      api.POST('/auth/signup', {
        body: { email: v.email, password: v.password, first_name: v.first_name, last_name: v.last_name, title: v.title || null },
      }),
    );
    await app.signIn(res.session.token);
    route('/practices/new');
  };
  return (
    <main id="main" tabIndex={-1} class="narrow">
      <h1>Create your account</h1>
      <p>Start here if you run a practice. Invited by a practice? Use the link in your invitation email instead.</p>
      <Form form={form} onSubmit={submit} submitLabel="Create account">
        <Field form={form} name="title" label="Title (optional)" autoComplete="honorific-prefix" />
        <Field form={form} name="first_name" label="First name" autoComplete="given-name" required />
        <Field form={form} name="last_name" label="Last name" autoComplete="family-name" required />
        <Field form={form} name="email" label="Email" type="email" autoComplete="email" required />
        <Field form={form} name="password" label="Password" type="password" autoComplete="new-password" hint="At least 10 characters." required />
      </Form>
      <p>
        Already have an account? <a href="/login">Sign in</a>
      </p>
    </main>
  );
}

export function SignIn() {
  const app = useApp();
  const { route, query } = useLocation();
  const next = safeNext(query.next);
  const [mfaToken, setMfaToken] = useState<string | null>(null);
  const form = useForm({ email: '', password: '' });
  const codeForm = useForm({ code: '' });

  const finish = async (t: string) => {
    await app.signIn(t);
    route(next);
  };
  const submit = async () => {
    const res = await call(api.POST('/auth/login', { body: { email: form.values.email, password: form.values.password } }));
    if ('session' in res) await finish(res.session.token);
    else setMfaToken(res.mfa_token);
  };
  const submitCode = async () => {
    if (!mfaToken) return;
    let res;
    try {
      res = await call(api.POST('/auth/login/mfa', { body: { mfa_token: mfaToken, code: codeForm.values.code.trim() } }));
    } catch (err) {
      codeForm.setErrors(codeStepErrors(errorsOf(err)));
      return;
    }
    await finish(res.session.token);
  };

  if (mfaToken) {
    return (
      <main id="main" tabIndex={-1} class="narrow">
        <h1>Two-factor authentication</h1>
        <p>Enter the 6-digit code from your authenticator app.</p>
        <Form form={codeForm} onSubmit={submitCode} submitLabel="Verify code">
          <Field form={codeForm} name="code" label="Authentication code" inputMode="numeric" autoComplete="one-time-code" autoFocus required />
        </Form>
        <p>
          <button type="button" class="link" onClick={() => setMfaToken(null)}>
            Back to sign in
          </button>
        </p>
      </main>
    );
  }
  return (
    <main id="main" tabIndex={-1} class="narrow">
      <h1>Sign in</h1>
      {app.ended && (
        <p class="notice" role="status">
          {app.ended}
        </p>
      )}
      <Form form={form} onSubmit={submit} submitLabel="Sign in">
        <Field form={form} name="email" label="Email" type="email" autoComplete="username" required />
        <Field form={form} name="password" label="Password" type="password" autoComplete="current-password" required />
      </Form>
      <p>
        <a href="/reset-password">Forgot your password?</a>
      </p>
      <p>
        New to Roster? <a href="/signup">Create an account</a>
      </p>
    </main>
  );
}

/**
 * Wraps a signed-in page: sends a visitor without a session to sign in
 * (coming back afterwards), and a session that must first change a temporary
 * password (R13) or enroll a second factor (R28: its membership says so, or
 * any call answered 403 mfa_required) to that step.
 */
export function RequireAuth({ children }: { children: ComponentChildren }) {
  const app = useApp();
  const { route, url } = useLocation();
  useEffect(() => {
    if (!app.signedIn) route(`/login?next=${encodeURIComponent(url)}`, true);
  }, [app.signedIn]);
  if (!app.signedIn) return null;
  if (app.meError && !app.me) {
    return (
      <main id="main" tabIndex={-1} class="narrow">
        <h1>Roster</h1>
        <LoadFailed errors={app.meError} onRetry={() => void app.refresh()} />
      </main>
    );
  }
  if (app.loading || !app.me) return <p class="muted">Loading…</p>;
  if (app.me.user.must_change_password) return <ForcedPasswordChange />;
  // A membership's own flag, or a 403 mfa_required from a practice's policy (R28).
  if (mustEnrollMfa(app.me, app.mfaRequiredByPractice)) return <ForcedTotp />;
  return <>{children}</>;
}
