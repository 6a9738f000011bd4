// Emergency access (R50): open it with a reason, see who used it and until
// when, end it; directors review each use once it has ended.
import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { api, call } from '../api/client';
import { allMembers } from '../api/lists';
import { activeMemberships, can, useApp } from '../app';
import { ErrorSummary, Field, Form, attempt, useForm } from '../components/form';
import { Page } from '../components/shell';
import { EmptyRow, MoreButton, Notice, formatDate, memberName, useLoad, usePaged, shortDate } from '../components/ui';
import type { components } from '../api/schema';

type Emergency = components['schemas']['EmergencyAccess'];
const FILTERS = [
  ['unreviewed', 'To review'],
  ['open', 'Open'],
  ['all', 'All'],
] as const;
type Filter = (typeof FILTERS)[number][0];

export function EmergencyScreen() {
  const { params } = useRoute();
  const pid = params.pid ?? '';
  const app = useApp();
  const me = app.me?.user.id;
  const membership = activeMemberships(app.me).find((m) => m.practice_id === pid) ?? null;
  const director = membership?.role_id === 'director';
  // Offer the form only when it can work: the permission, and the policy on (W19).
  const policy = useLoad(() => call(api.GET('/practices/{pid}/security-policy', { params: { path: { pid } } })), [pid]);
  const form = useForm({ reason: '' });
  const act = useForm({});
  const [filter, setFilter] = useState<Filter>('unreviewed');
  const [notice, setNotice] = useState<string | null>(null);
  const list = usePaged((cursor) => call(api.GET('/practices/{pid}/emergency-access', { params: { path: { pid }, query: { status: filter, cursor } } })), [pid, filter]);
  // Names for the member column, where the caller may list members (directors).
  const members = useLoad(() => (director ? allMembers(pid) : Promise.resolve([])), [pid, director]);
  const who = (e: Emergency) => {
    if (e.user_id === me) return 'You';
    const m = members.data?.find((x) => x.user_id === e.user_id);
    return m ? memberName(m) : e.user_id;
  };
  const running = (e: Emergency) => !e.ended_at && new Date(e.ends_at).getTime() > Date.now();
  const open = async () => {
    const e = await call(api.POST('/practices/{pid}/emergency-access', { params: { path: { pid } }, body: { reason: form.values.reason } }));
    form.reset({ reason: '' });
    setNotice(`Emergency access is open until ${formatDate(e.ends_at)}.`);
    list.reload();
  };
  const end = (e: Emergency) =>
    attempt(act, async () => {
      await call(api.DELETE('/practices/{pid}/emergency-access/{id}', { params: { path: { pid, id: e.id } } }));
      setNotice('Emergency access ended.');
      list.reload();
    });
  return (
    <Page pid={pid}>
      <h1>Emergency access</h1>
      <p>In an emergency you can open wider access for a short time, when the practice's security policy allows it. Directors are told at once, and everything read under it is recorded in the audit log.</p>
      <Notice message={notice} />
      {director ? (
        <p class="muted">As a director you already hold every permission; here you see and review the other members' uses.</p>
      ) : !can(membership, 'emergency_access.use') ? (
        <p>Your role does not include emergency access. Ask a director if you need it.</p>
      ) : policy.data && !policy.data.emergency_access.enabled ? (
        <p>The practice's security policy has emergency access turned off. A director can turn it on under Settings.</p>
      ) : (
        <Form form={form} onSubmit={open} submitLabel="Open emergency access">
          <Field form={form} name="reason" label="Reason" hint="Why you need it now, in at least 10 characters; directors see this." required />
        </Form>
      )}
      <h2>Uses</h2>
      <div class="toolbar">
        <div class="field">
          <label for="emergency-filter">Show</label>
          <select id="emergency-filter" value={filter} onChange={(e) => setFilter(e.currentTarget.value as Filter)}>
            {FILTERS.map(([v, label]) => (
              <option key={v} value={v}>
                {label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorSummary errors={act.errors} />
      <table>
        <caption class="sr-only">Emergency access uses, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Member</th>
            <th scope="col">Reason</th>
            <th scope="col">Opened</th>
            <th scope="col">Ends</th>
            <th scope="col">Review</th>
          </tr>
        </thead>
        <tbody>
          {list.items.map((e) => (
            <tr key={e.id}>
              <td id={`em-${e.id}`}>{who(e)}</td>
              <td>{e.reason}</td>
              <td class="when">{shortDate(e.opened_at)}</td>
              <td>
                {running(e) ? (
                  <>
                    <span class="when">{shortDate(e.ends_at)}</span>
                    <br />
                    <button type="button" class="danger" onClick={() => end(e)} disabled={act.busy} aria-describedby={`em-${e.id}`}>
                      End now
                    </button>
                  </>
                ) : (
                  <span class="when">Ended {shortDate(e.ended_at ?? e.ends_at)}</span>
                )}
              </td>
              <td>
                {e.review ? (
                  <>
                    {e.review.note} <span class="muted">({formatDate(e.review.at)})</span>
                  </>
                ) : director && !running(e) ? (
                  <ReviewForm
                    pid={pid}
                    e={e}
                    onDone={() => {
                      setNotice('Review saved.');
                      list.reload();
                    }}
                  />
                ) : (
                  <span class="muted">Not reviewed</span>
                )}
              </td>
            </tr>
          ))}
          <EmptyRow show={!list.loading && list.items.length === 0} cols={5} text="No uses to show." />
        </tbody>
      </table>
      <MoreButton list={list} />
    </Page>
  );
}

function ReviewForm({ pid, e, onDone }: { pid: string; e: Emergency; onDone: () => void }) {
  const form = useForm({ note: '' });
  const id = `note-${e.id}`;
  const error = form.errors?.fields.note;
  const submit = (ev: Event) => {
    ev.preventDefault();
    void attempt(form, async () => {
      await call(api.POST('/practices/{pid}/emergency-access/{id}/review', { params: { path: { pid, id: e.id } }, body: { note: form.values.note } }));
      onDone();
    });
  };
  return (
    <form class="unlock" onSubmit={submit} noValidate>
      {form.errors && !error && (
        <p class="field-error" role="alert">
          {form.errors.summary}
        </p>
      )}
      <label for={id}>Review note</label>
      <input id={id} type="text" value={form.values.note} onInput={(ev) => form.set('note', ev.currentTarget.value)} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} />
      {error && (
        <p id={`${id}-error`} class="field-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" disabled={form.busy}>
        Save review
      </button>
    </form>
  );
}
