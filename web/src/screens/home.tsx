// Where a signed-in user lands: their practice, or the first step of a new one.
import { useEffect } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { api, call } from '../api/client';
import { activeMemberships, can, useApp } from '../app';
import { Field, Form, useForm } from '../components/form';
import { Page } from '../components/shell';
import { Loading, formatDate, roleWords, useLoad } from '../components/ui';

export function Home() {
  const app = useApp();
  const { route } = useLocation();
  const practice = app.practice;
  useEffect(() => {
    if (practice) route(`/practices/${practice.practice_id}`, true);
  }, [practice?.practice_id]);
  if (practice) return null;
  const pending = app.me?.pending_invitations ?? 0;
  return (
    <Page>
      <h1>Welcome to Roster</h1>
      {pending > 0 && (
        <p class="notice">
          You have {pending} pending invitation{pending === 1 ? '' : 's'}. <a href="/account/invitations">See my invitations</a>
        </p>
      )}
      <p>You do not belong to a practice yet.</p>
      <p>
        <a class="button primary" href="/practices/new">
          Create a practice
        </a>
      </p>
    </Page>
  );
}

export function CreatePractice() {
  const app = useApp();
  const { route } = useLocation();
  const form = useForm({ name: '', location_name: '', address: '', time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' });
  const v = form.values;
  const submit = async () => {
    const p = await call(
      api.POST('/practices', {
        body: { name: v.name, location: { name: v.location_name, address: v.address || null, time_zone: v.time_zone || null } },
      }),
    );
    app.choosePractice(p.id);
    await app.refresh();
    route(`/practices/${p.id}`);
  };
  return (
    <Page>
      <h1>Create a practice</h1>
      <p>You will be its first director. You can add more locations later.</p>
      <Form form={form} onSubmit={submit} submitLabel="Create practice">
        <Field form={form} name="name" label="Practice name" required />
        <fieldset>
          <legend>First location</legend>
          <Field form={form} name="location_name" apiField="location.name" label="Location name" required />
          <Field form={form} name="address" apiField="location.address" label="Address (optional)" autoComplete="street-address" />
          <Field form={form} name="time_zone" apiField="location.time_zone" label="Time zone" hint="An IANA name such as Europe/London or America/New_York." />
        </fieldset>
      </Form>
    </Page>
  );
}

export function PracticeHome() {
  const { params } = useRoute();
  const pid = params.pid ?? '';
  const app = useApp();
  const membership = activeMemberships(app.me).find((m) => m.practice_id === pid) ?? null;
  const practice = useLoad(() => call(api.GET('/practices/{pid}', { params: { path: { pid } } })), [pid]);
  return (
    <Page pid={pid}>
      <Loading state={practice}>
        {(p) => (
          <>
            <h1>{p.name}</h1>
            <dl class="facts">
              <dt>Practitioner seats</dt>
              <dd>{p.seats.practitioner}</dd>
              <dt>Staff seats</dt>
              <dd>{p.seats.staff}</dd>
              <dt>Created</dt>
              <dd>{formatDate(p.created_at)}</dd>
              {membership && (
                <>
                  <dt>Your role</dt>
                  <dd>{roleWords(membership.role_id)}</dd>
                </>
              )}
            </dl>
            {can(membership, 'users.manage') && (
              <p>
                <a class="button primary" href={`/practices/${pid}/users/invite`}>
                  + Invite
                </a>{' '}
                <a class="button" href={`/practices/${pid}/users`}>
                  User Management
                </a>
              </p>
            )}
          </>
        )}
      </Loading>
    </Page>
  );
}
