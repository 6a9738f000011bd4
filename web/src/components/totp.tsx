// TOTP enrollment (R28): ask the API for a secret, show its otpauth:// URI as
// a QR code (drawn by uqr, with the secret as text beside it for manual
// entry), then confirm with a code from the app.
import { useState } from 'preact/hooks';
import { encode } from 'uqr';
import { api, call } from '../api/client';
import { ErrorSummary, Field, Form, attempt, useForm } from './form';

export function QrCode({ text, label }: { text: string; label: string }) {
  const { data, size } = encode(text, { ecc: 'M', border: 2 });
  let d = '';
  data.forEach((row, y) =>
    row.forEach((on, x) => {
      if (on) d += `M${x} ${y}h1v1h-1z`;
    }),
  );
  return (
    <svg class="qr" role="img" aria-label={label} viewBox={`0 0 ${size} ${size}`} width={size * 5} height={size * 5} shape-rendering="crispEdges">
      <rect width={size} height={size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}

export function TotpEnroll({ onDone }: { onDone: () => void }) {
  const [enrollment, setEnrollment] = useState<{ secret: string; otpauth_uri: string } | null>(null);
  const start = useForm({});
  const confirm = useForm({ code: '' }, 'totp');
  const begin = () => attempt(start, async () => setEnrollment(await call(api.POST('/me/mfa/totp'))));
  const finish = async () => {
    await call(api.POST('/me/mfa/totp/confirm', { body: { code: confirm.values.code.trim() } }));
    onDone();
  };
  if (!enrollment) {
    return (
      <div>
        <ErrorSummary errors={start.errors} />
        <button type="button" class="primary" onClick={begin} disabled={start.busy}>
          Set up two-factor authentication
        </button>
      </div>
    );
  }
  return (
    <div class="totp">
      <ol>
        <li>Scan this QR code with an authenticator app (or type the key below into it).</li>
        <li>Enter the 6-digit code the app shows.</li>
      </ol>
      <QrCode text={enrollment.otpauth_uri} label="QR code for your authenticator app" />
      <p>
        Key: <code class="secret">{enrollment.secret}</code>
      </p>
      <Form form={confirm} onSubmit={finish} submitLabel="Turn on two-factor authentication">
        <Field form={confirm} name="code" label="Authentication code" inputMode="numeric" autoComplete="one-time-code" required />
      </Form>
    </div>
  );
}
