// The pages mailed links open (paths as the mail templates write them:
// /invite/{token}, /verify-email/{token}, /reset-password[/{token}]).
import { useEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { api, call } from '../api/client';
import { useApp } from '../app';
import { ErrorSummary, Field, Form, attempt, useForm } from '../components/form';
import { LoadFailed, Loading, formatDate, roleWords, useLoad } from '../components/ui';
import { errorsOf, isRetryable, type FormErrors } from '../lib/problem';

export function InvitationPage() {
  const { params } = useRoute();
  const tokenParam = params.token ?? '';
  const preview = useLoad(() => loadPreview(tokenParam), [tokenParam]);
  const [outcome, setOutcome] = useState<string | null>(null);
  const app = useApp();
  // A signed-in visitor's /me decides between Accept and Register: wait for
  // it, so neither form flashes up and is swapped for the other.
  const meSettled = !app.signedIn || app.me !== null || app.meError !== null;
  return (
    <main id="main" tabIndex={-1} class="narrow">
      <h1>Invitation</h1>
      {outcome ? (
        <p class="notice" role="status">
          {outcome}
        </p>
      ) : (
        <Loading state={preview}>
          {(p) =>
            !meSettled ? (
              <p class="muted" aria-live="polite">
                Loading…
              </p>
            ) : app.signedIn && app.meError ? (
              <LoadFailed errors={app.meError} onRetry={() => void app.refresh()} />
            ) : (
              <InvitationBody token={tokenParam} preview={p} onDeclined={() => setOutcome(`You declined the invitation. ${p.practice_name} will see this in its list of invitations.`)} />
            )
          }
        </Loading>
      )}
      {preview.error && (
        <p>
          <a href="/">Go to Roster</a>
        </p>
      )}
    </main>
  );
}

type Preview = Awaited<ReturnType<typeof loadPreview>>;
function loadPreview(token: string) {
  return call(api.GET('/invitations/{token}', { params: { path: { token } } }));
}

function InvitationBody({ token, preview, onDeclined }: { token: string; preview: Preview; onDeclined: () => void }) {
  const app = useApp();
  const { route } = useLocation();
  const act = useForm({});
  const [confirmDecline, setConfirmDecline] = useState(false);
  const signedInEmail = app.me?.user.email.trim().toLowerCase();
  const sameUser = signedInEmail === preview.email.trim().toLowerCase();

  const enter = async (practiceId: string) => {
    app.choosePractice(practiceId);
    await app.refresh();
    route(`/practices/${practiceId}`);
  };
  const accept = () =>
    attempt(act, async () => {
      const member = await call(api.POST('/invitations/{token}/accept', { params: { path: { token } } }));
      await enter(member.practice_id);
    });
  const decline = () =>
    attempt(act, async () => {
      await call(api.POST('/invitations/{token}/decline', { params: { path: { token } } }));
      onDeclined();
    });

  return (
    <>
      <p>
        <strong>{preview.invited_by.name}</strong> invited <strong>{preview.email}</strong> to join <strong>{preview.practice_name}</strong> as{' '}
        {preview.kind === 'practitioner' ? 'a practitioner' : 'staff'} (role: {roleWords(preview.role_id)}).
      </p>
      <p class="muted">The invitation expires {formatDate(preview.expires_at)}.</p>
      <ErrorSummary errors={act.errors} />
      {app.signedIn && app.me ? (
        sameUser ? (
          <div class="buttons">
            <button type="button" class="primary" onClick={accept} disabled={act.busy}>
              Accept invitation
            </button>
          </div>
        ) : (
          <div class="alert" role="alert">
            <p>
              You are signed in as {app.me.user.email}, but this invitation is for {preview.email}. Sign out, then open the link again.
            </p>
          </div>
        )
      ) : preview.account_exists ? (
        <p>
          You already have an account. <a href={`/login?next=${encodeURIComponent(`/invite/${token}`)}`}>Sign in to accept</a>
        </p>
      ) : (
        <Register token={token} preview={preview} onDone={enter} />
      )}
      <h2>Not for you?</h2>
      {confirmDecline ? (
        <div class="buttons">
          <button type="button" class="danger" onClick={decline} disabled={act.busy}>
            Yes, decline
          </button>
          <button type="button" onClick={() => setConfirmDecline(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <button type="button" onClick={() => setConfirmDecline(true)}>
          Decline invitation
        </button>
      )}
    </>
  );
}

function Register({ token, preview, onDone }: { token: string; preview: Preview; onDone: (pid: string) => Promise<void> }) {
  const app = useApp();
  const form = useForm({
    title: preview.title ?? '',
    first_name: preview.first_name ?? '',
    last_name: preview.last_name ?? '',
    password: '',
    accept_terms: false,
  });
  const v = form.values;
  const submit = async () => {
    const res = await call(
      api.POST('/invitations/{token}/register', {
        params: { path: { token } },
        body: {
          first_name: v.first_name,
          last_name: v.last_name,
          title: v.title || null,
          password: v.password,
          // The contract takes only `true`; unticked, the API answers 422 naming the field.
          accept_terms: v.accept_terms as true,
        },
      }),
    );
    await app.signIn(res.session.token);
    await onDone(res.member.practice_id);
  };
  return (
    <>
      <h2>Create your account</h2>
      <Form form={form} onSubmit={submit} submitLabel="Create account and join">
        <p>
          Email: <strong>{preview.email}</strong>
        </p>
        <Field form={form} name="title" label="Title (optional)" autoComplete="honorific-prefix" />
        <Field form={form} name="first_name" label="First name" autoComplete="given-name" required />
        <Field form={form} name="last_name" label="Last name" autoComplete="family-name" required />
        <Field form={form} name="password" label="Password" type="password" autoComplete="new-password" hint="At least 10 characters." required />
        <Field form={form} name="accept_terms" label="I accept the terms of use" type="checkbox" required />
      </Form>
    </>
  );
}

export function VerifyEmail() {
  const { params } = useRoute();
  const app = useApp();
  const [state, setState] = useState<'working' | 'done' | FormErrors>('working');
  const [attemptNo, setAttemptNo] = useState(0);
  useEffect(() => {
    setState('working');
    call(api.POST('/auth/verify-email', { body: { token: params.token ?? '' } })).then(
      () => {
        setState('done');
        if (app.signedIn) void app.refresh();
      },
      (err) => setState(errorsOf(err)),
    );
  }, [params.token, attemptNo]);
  return (
    <main id="main" tabIndex={-1} class="narrow">
      <h1>Verify email</h1>
      {state === 'working' && <p aria-live="polite">Verifying…</p>}
      {state === 'done' && (
        <p class="notice" role="status">
          Your email is verified. <a href={app.signedIn ? '/' : '/login'}>Continue</a>
        </p>
      )}
      {typeof state === 'object' && isRetryable(state) && <LoadFailed errors={state} onRetry={() => setAttemptNo((n) => n + 1)} />}
      {typeof state === 'object' && !isRetryable(state) && (
        <div class="alert" role="alert">
          <p>{state.summary}</p>
          <p>
            {app.signedIn ? <a href="/account">Ask for a new link under My account</a> : <a href="/login">Sign in to ask for a new link</a>}
          </p>
        </div>
      )}
    </main>
  );
}

export function ForgotPassword() {
  const form = useForm({ email: '' });
  const [sent, setSent] = useState(false);
  const submit = async () => {
    await call(api.POST('/auth/password-reset', { body: { email: form.values.email } }));
    setSent(true);
  };
  return (
    <main id="main" tabIndex={-1} class="narrow">
      <h1>Reset your password</h1>
      {sent ? (
        <p class="notice" role="status">
          If an account exists for {form.values.email}, we have emailed it a link to choose a new password. The link works for one hour.
        </p>
      ) : (
        <>
          <p>Enter your account's email and we will send you a link to choose a new password. This also unlocks a locked account.</p>
          <Form form={form} onSubmit={submit} submitLabel="Send reset link">
            <Field form={form} name="email" label="Email" type="email" autoComplete="username" required />
          </Form>
        </>
      )}
      <p>
        <a href="/login">Back to sign in</a>
      </p>
    </main>
  );
}

export function ResetPassword() {
  const { params } = useRoute();
  const form = useForm({ new_password: '' });
  const [done, setDone] = useState(false);
  const submit = async () => {
    await call(api.POST('/auth/password-reset/confirm', { body: { token: params.token ?? '', new_password: form.values.new_password } }));
    setDone(true);
  };
  return (
    <main id="main" tabIndex={-1} class="narrow">
      <h1>Choose a new password</h1>
      {done ? (
        <p class="notice" role="status">
          Your password is changed and you are signed out everywhere. <a href="/login">Sign in</a>
        </p>
      ) : (
        <Form form={form} onSubmit={submit} submitLabel="Set new password" alertExtra={form.errors?.code === 'token_gone' ? <a href="/reset-password">Ask for a new link</a> : null}>
          <Field form={form} name="new_password" label="New password" type="password" autoComplete="new-password" hint="At least 10 characters." required />
        </Form>
      )}
    </main>
  );
}

