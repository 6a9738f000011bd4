// Where a signed-in user lands: their practice, or the first step of a new one.
import { useEffect } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { api, call } from '../api/client';
import { activeMemberships, can, useApp } from '../app';
import { allRoles } from '../api/lists';
import { roleName } from '../components/access-editor';
import { ConfirmButton } from '../components/confirm';
import { ErrorSummary, Field, Form, attempt, useForm } from '../components/form';
import { Page } from '../components/shell';
import { Loading, formatDate, useLoad } from '../components/ui';
import { moduleSeatWords, seatWords } from '../lib/seats';

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
  const practice = useLoad(() => Promise.all([call(api.GET('/practices/{pid}', { params: { path: { pid } } })), allRoles(pid)]), [pid]);
  return (
    <Page pid={pid}>
      <Loading state={practice}>
        {([p, roles]) => (
          <>
            <h1>{p.name}</h1>
            <PendingInvitations />
            <dl class="facts">
              <dt>Practitioners</dt>
              <dd>{seatWords(p.seats.practitioner, 'active practitioner')}, each a paid practitioner seat</dd>
              <dt>Staff</dt>
              <dd>{seatWords(p.seats.staff, 'active staff member')}</dd>
              <dt>Licensed modules</dt>
              <dd>{moduleSeatWords(p.module_seats)}</dd>
              <dt>Created</dt>
              <dd>{formatDate(p.created_at)}</dd>
              {membership && (
                <>
                  <dt>Your role</dt>
                  <dd>{roleName(roles, membership.role_id)}</dd>
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
            {membership && <LeaveSection pid={pid} name={p.name} />}
          </>
        )}
      </Loading>
    </Page>
  );
}

/** Someone already in a practice may be invited to another: say so where they land (W11). */
function PendingInvitations() {
  const pending = useApp().me?.pending_invitations ?? 0;
  return pending > 0 ? (
    <p class="notice">
      You have {pending} pending invitation{pending === 1 ? '' : 's'} to {pending === 1 ? 'another practice' : 'other practices'}. <a href="/account/invitations">See my invitations</a>
    </p>
  ) : null;
}

/** Leaving deactivates the caller's own membership; the last director cannot (409 last_director). */
function LeaveSection({ pid, name }: { pid: string; name: string }) {
  const app = useApp();
  const { route } = useLocation();
  const act = useForm({});
  const leave = () =>
    attempt(act, async () => {
      await call(api.POST('/practices/{pid}/leave', { params: { path: { pid } } }));
      await app.refresh();
      route('/');
    });
  return (
    <section aria-labelledby="leave-heading">
      <h2 id="leave-heading">Leave this practice</h2>
      <ErrorSummary errors={act.errors} />
      <ConfirmButton
        label="Leave practice"
        question={`Leave ${name}? You lose access to it at once; a director can reactivate you later.`}
        confirmLabel="Yes, leave"
        onConfirm={leave}
        busy={act.busy}
      />
    </section>
  );
}
