// Emergency access (R50): open it with a reason, see when it ends, end it.
// The contract has no list to read back, so the page shows the one it opened.
import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { api, call } from '../api/client';
import { ErrorSummary, Field, Form, attempt, useForm } from '../components/form';
import { Page } from '../components/shell';
import { formatDate } from '../components/ui';
import type { components } from '../api/schema';

type Emergency = components['schemas']['EmergencyAccess'];

export function EmergencyScreen() {
  const { params } = useRoute();
  const pid = params.pid ?? '';
  const form = useForm({ reason: '' });
  const end = useForm({});
  const [open, setOpen] = useState<Emergency | null>(null);
  const [ended, setEnded] = useState(false);
  const submit = async () => {
    setOpen(await call(api.POST('/practices/{pid}/emergency-access', { params: { path: { pid } }, body: { reason: form.values.reason } })));
    setEnded(false);
  };
  const close = () =>
    attempt(end, async () => {
      if (!open) return;
      await call(api.DELETE('/practices/{pid}/emergency-access/{id}', { params: { path: { pid, id: open.id } } }));
      setEnded(true);
    });
  return (
    <Page pid={pid}>
      <h1>Emergency access</h1>
      <p>In an emergency you can open wider access for a short time. Directors are told at once, and everything you read is recorded in the audit log.</p>
      {open && !ended ? (
        <div class="card">
          <p>
            <strong>Emergency access is open</strong> until {formatDate(open.ends_at)}.
          </p>
          <p>Reason: {open.reason}</p>
          <ErrorSummary errors={end.errors} />
          <button type="button" class="danger" onClick={close} disabled={end.busy}>
            End emergency access
          </button>
        </div>
      ) : (
        <>
          {ended && (
            <p class="notice" role="status">
              Emergency access ended.
            </p>
          )}
          <Form form={form} onSubmit={submit} submitLabel="Open emergency access">
            <Field form={form} name="reason" label="Reason" hint="Why you need it now; directors see this." required />
          </Form>
        </>
      )}
    </Page>
  );
}
