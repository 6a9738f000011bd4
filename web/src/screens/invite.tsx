// The invite form: every field POST /practices/{pid}/invitations takes.
import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { api, call } from '../api/client';
import { AccessEditor, loadPracticeData, type PracticeData } from '../components/access-editor';
import { Field, Form, useForm } from '../components/form';
import { Page } from '../components/shell';
import { Loading, useLoad } from '../components/ui';
import { accessBody, newDraft, type AccessDraft } from '../lib/access';

export function InviteScreen() {
  const { params } = useRoute();
  const pid = params.pid ?? '';
  const data = useLoad(() => loadPracticeData(pid), [pid]);
  return (
    <Page pid={pid}>
      <h1>Invite a user</h1>
      <Loading state={data}>{(d) => <InviteForm pid={pid} data={d} />}</Loading>
    </Page>
  );
}

function InviteForm({ pid, data }: { pid: string; data: PracticeData }) {
  const firstLocation = data.locations.find((l) => l.active)?.id ?? '';
  const [draft, setDraft] = useState<AccessDraft>(newDraft(firstLocation));
  const form = useForm({ email: '', title: '', first_name: '', last_name: '', temporary_password: '', accept_license_terms: false });
  const [sent, setSent] = useState<string | null>(null);
  const v = form.values;
  const submit = async () => {
    const answer = await call(
      api.POST('/practices/{pid}/invitations', {
        params: { path: { pid } },
        body: {
          ...accessBody(draft),
          kind: draft.kind,
          primary_location_id: draft.primary_location_id,
          email: v.email,
          title: v.title || null,
          first_name: v.first_name || null,
          last_name: v.last_name || null,
          ...(v.temporary_password ? { temporary_password: v.temporary_password } : {}),
          ...(draft.kind === 'practitioner' ? { accept_license_terms: v.accept_license_terms } : {}),
        },
      }),
    );
    setSent('user_id' in answer ? `${v.email} can now sign in with the temporary password, and must change it at once.` : `Invitation sent to ${v.email}.`);
  };
  if (sent) {
    return (
      <div>
        <p class="notice" role="status">
          {sent}
        </p>
        <div class="buttons">
          <button
            type="button"
            class="primary"
            onClick={() => {
              setSent(null);
              form.reset({ ...form.values, email: '', title: '', first_name: '', last_name: '', temporary_password: '' });
            }}
          >
            Invite another
          </button>
          <a class="button" href={`/practices/${pid}/users?tab=invitations`}>
            See invitations
          </a>
        </div>
      </div>
    );
  }
  return (
    <Form form={form} onSubmit={submit} submitLabel="Send invitation">
      <fieldset>
        <legend>Who</legend>
        <Field form={form} name="email" label="Email" type="email" autoComplete="off" required />
        <Field form={form} name="title" label="Title (optional)" />
        <Field form={form} name="first_name" label="First name (optional)" />
        <Field form={form} name="last_name" label="Last name (optional)" />
      </fieldset>
      <AccessEditor draft={draft} onChange={setDraft} data={data} errors={form.errors} allowDefaultRole />
      <fieldset>
        <legend>Sign-in</legend>
        <Field
          form={form}
          name="temporary_password"
          label="Temporary password (optional)"
          type="password"
          autoComplete="new-password"
          hint="Creates the account at once instead of mailing an invitation; they must change it at first sign-in. Only for an email with no account yet."
        />
      </fieldset>
      {draft.kind === 'practitioner' && <Field form={form} name="accept_license_terms" type="checkbox" label="I accept the licence terms: a practitioner seat and its modules cost money" />}
    </Form>
  );
}
