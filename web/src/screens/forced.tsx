// The steps a session must take before anything else (R13, R28).
import { api, call } from '../api/client';
import { useApp } from '../app';
import { Field, Form, useForm } from '../components/form';
import { TotpEnroll } from '../components/totp';

export function ForcedPasswordChange() {
  const app = useApp();
  const form = useForm({ current_password: '', new_password: '' });
  const submit = async () => {
    await call(api.POST('/me/password', { body: { current_password: form.values.current_password, new_password: form.values.new_password } }));
    await app.refresh();
  };
  return (
    <main id="main" tabIndex={-1} class="narrow">
      <h1>Choose a new password</h1>
      <p>You signed in with a temporary password. Choose your own before you continue.</p>
      <Form form={form} onSubmit={submit} submitLabel="Change password">
        <Field form={form} name="current_password" label="Temporary password" type="password" autoComplete="current-password" required />
        <Field form={form} name="new_password" label="New password" type="password" autoComplete="new-password" hint="At least 10 characters." required />
      </Form>
    </main>
  );
}

export function ForcedTotp() {
  const app = useApp();
  return (
    <main id="main" tabIndex={-1} class="narrow">
      <h1>Set up two-factor authentication</h1>
      {app.mfaRequiredByPractice ? (
        <p>Your practice requires two-factor authentication for every member, and you have not set it up yet. Set it up to continue.</p>
      ) : (
        <p>Your practice requires a second factor. Set it up to continue.</p>
      )}
      <TotpEnroll onDone={() => void app.refresh()} />
    </main>
  );
}
