// User Management, Inactive and Locked tabs, and the unlock form the member page uses too.
import { useState } from 'preact/hooks';
import { api, call, type Member, type Role } from '../api/client';
import { roleName } from '../components/access-editor';
import { ErrorSummary, attempt, useForm } from '../components/form';
import { errorsOf } from '../lib/problem';
import { addsPractitionerSeat, visibleSelection } from '../lib/selection';
import { temporaryPasswordErrors } from '../lib/temporary';
import { Email, EmptyRow, MoreButton, Notice, memberName, useSettled, shortDate } from '../components/ui';
import { MemberLink, SearchBox, useMembers } from './user-parts';

export function InactiveTab({ pid, roles, manage, onReactivated }: { pid: string; roles: Role[]; manage: boolean; onReactivated: () => void }) {
  const [q, setQ] = useState('');
  const list = useMembers(pid, 'deactivated', useSettled(q));
  const [selected, setSelected] = useState<string[]>([]);
  const form = useForm({ accept_license_terms: false });
  const [notice, setNotice] = useState<string | null>(null);
  const [failures, setFailures] = useState<string[]>([]);
  const toggle = (id: string, on: boolean) => setSelected((s) => (on ? [...s, id] : s.filter((x) => x !== id)));
  // A search may hide ticked rows: only the ticked rows still listed are sent and counted.
  const chosen = visibleSelection(selected, list.items.map((m) => m.user_id));
  const consent = addsPractitionerSeat(chosen, list.items);
  const allSelected = list.items.length > 0 && list.items.every((m) => selected.includes(m.user_id));
  const reactivate = () =>
    attempt(form, async () => {
      const res = await call(
        api.POST('/practices/{pid}/members/reactivate', {
          params: { path: { pid } },
          body: { user_ids: chosen, accept_license_terms: (consent && form.values.accept_license_terms) || undefined },
        }),
      );
      const ok = res.results.filter((r) => r.status < 300);
      const names = new Map(list.items.map((m) => [m.user_id, memberName(m)]));
      setFailures(res.results.filter((r) => r.status >= 300).map((r) => `${names.get(r.user_id) ?? r.user_id}: ${r.error?.detail ?? r.error?.code ?? r.status}`));
      setNotice(ok.length > 0 ? `${ok.length} user${ok.length === 1 ? '' : 's'} reactivated.` : null);
      setSelected(res.results.filter((r) => r.status >= 300).map((r) => r.user_id));
      list.reload();
      onReactivated();
    });
  return (
    <>
      <div class="toolbar">
        <SearchBox id="search-inactive" label="Search inactive users" value={q} onInput={setQ} />
      </div>
      <Notice message={notice} />
      <ErrorSummary errors={form.errors} />
      {failures.length > 0 && (
        <div class="alert" role="alert">
          <p>Some users were not reactivated:</p>
          <ul>
            {failures.map((f) => (
              <li key={f}>{f}</li>
            ))}
          </ul>
        </div>
      )}
      <table>
        <caption class="sr-only">Inactive users</caption>
        <thead>
          <tr>
            {manage && (
              <th scope="col">
                <input
                  type="checkbox"
                  id="select-all-inactive"
                  aria-label="Select all"
                  checked={allSelected}
                  onChange={(e) => setSelected(e.currentTarget.checked ? list.items.map((m) => m.user_id) : [])}
                />
              </th>
            )}
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Kind</th>
            <th scope="col">Deactivated</th>
          </tr>
        </thead>
        <tbody>
          {list.items.map((m) => {
            const name = memberName(m);
            return (
              <tr key={m.user_id}>
                {manage && (
                  <td>
                    <input type="checkbox" id={`sel-${m.user_id}`} aria-label={`Select ${name}`} checked={selected.includes(m.user_id)} onChange={(e) => toggle(m.user_id, e.currentTarget.checked)} />
                  </td>
                )}
                <td>
                  <MemberLink pid={pid} m={m} />
                </td>
                <td class="email">
                  <Email address={m.email} />
                </td>
                <td>{roleName(roles, m.role_id)}</td>
                <td>{m.kind}</td>
                <td class="when">{shortDate(m.deactivated_at)}</td>
              </tr>
            );
          })}
          <EmptyRow show={!list.loading && list.items.length === 0} cols={manage ? 6 : 5} text="No inactive users." />
        </tbody>
      </table>
      <MoreButton list={list} />
      {manage && (
        <div class="card action-bar">
          {consent && (
            <div class="field checkbox">
              <input
                type="checkbox"
                id="reactivate-consent"
                checked={form.values.accept_license_terms}
                onChange={(e) => form.set('accept_license_terms', e.currentTarget.checked)}
              />
              <label for="reactivate-consent">I accept the licence terms for the practitioner seats and modules this adds (they cost money)</label>
            </div>
          )}
          <button type="button" class="primary" onClick={reactivate} disabled={form.busy || chosen.length === 0}>
            Reactivate selected users ({chosen.length})
          </button>
        </div>
      )}
    </>
  );
}

export function LockedTab({ pid, roles, manage }: { pid: string; roles: Role[]; manage: boolean }) {
  const list = useMembers(pid, 'locked', '');
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <>
      <Notice message={notice} />
      <table>
        <caption class="sr-only">Locked users</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            {manage && <th scope="col">Unlock</th>}
          </tr>
        </thead>
        <tbody>
          {list.items.map((m) => (
            <tr key={m.user_id}>
              <td>
                <MemberLink pid={pid} m={m} />
              </td>
              <td class="email">
                <Email address={m.email} />
              </td>
              <td>{roleName(roles, m.role_id)}</td>
              {manage && (
                <td>
                  <UnlockForm
                    pid={pid}
                    member={m}
                    onDone={(msg) => {
                      setNotice(msg);
                      list.reload();
                    }}
                  />
                </td>
              )}
            </tr>
          ))}
          <EmptyRow show={!list.loading && list.items.length === 0} cols={manage ? 4 : 3} text="No locked users." />
        </tbody>
      </table>
      <MoreButton list={list} />
    </>
  );
}

/** Unlock a member (R25), optionally with a temporary password to change at next sign-in (R13). */
export function UnlockForm({ pid, member, onDone }: { pid: string; member: Member; onDone: (message: string) => void }) {
  const form = useForm({ temporary_password: '' });
  const name = memberName(member);
  const id = `tmp-${member.user_id}`;
  const error = form.errors?.fields.temporary_password;
  const submit = (e: Event) => {
    e.preventDefault();
    const pw = form.values.temporary_password;
    void attempt(form, async () => {
      try {
        await call(api.POST('/practices/{pid}/members/{uid}/unlock', { params: { path: { pid, uid: member.user_id } }, body: pw ? { temporary_password: pw } : {} }));
      } catch (err) {
        form.setErrors(temporaryPasswordErrors(errorsOf(err), name, pw !== ''));
        return;
      }
      onDone(pw ? `${name} is unlocked, with a temporary password to change at sign-in.` : `${name} is unlocked.`);
    });
  };
  return (
    <form class="unlock" onSubmit={submit} noValidate>
      {form.errors && !error && (
        <p class="field-error" role="alert">
          {form.errors.summary}
        </p>
      )}
      <label for={id}>Temporary password for {name} (optional)</label>
      <input id={id} type="password" autoComplete="new-password" value={form.values.temporary_password} onInput={(e) => form.set('temporary_password', e.currentTarget.value)} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} />
      {error && (
        <p id={`${id}-error`} class="field-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" disabled={form.busy} aria-describedby={id}>
        Unlock
      </button>
    </form>
  );
}
