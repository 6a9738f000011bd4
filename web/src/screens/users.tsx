// User Management: tabs Users (active), Invitations, Inactive, Locked.
import { useRef, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { api, call, type Invitation, type Member, type Role } from '../api/client';
import { allLocations, allRoles } from '../api/lists';
import { activeMemberships, can, useApp } from '../app';
import { roleName } from '../components/access-editor';
import { ConfirmButton } from '../components/confirm';
import { ErrorSummary, attempt, useForm } from '../components/form';
import { Page } from '../components/shell';
import { accessFacts } from '../lib/access';
import { errorsOf } from '../lib/problem';
import { addsPractitionerSeat, visibleSelection } from '../lib/selection';
import { temporaryPasswordErrors } from '../lib/temporary';
import { Email, EmptyRow, MoreButton, TitleRow, Notice, formatDate, fullName, memberName, useLoad, usePaged, useSettled, shortDate } from '../components/ui';

const TABS = [
  ['users', 'Users'],
  ['invitations', 'Invitations'],
  ['inactive', 'Inactive'],
  ['locked', 'Locked'],
] as const;
type Tab = (typeof TABS)[number][0];

export function UserManagement() {
  const { params } = useRoute();
  const { query, route, path } = useLocation();
  const pid = params.pid ?? '';
  const app = useApp();
  const membership = activeMemberships(app.me).find((m) => m.practice_id === pid) ?? null;
  const manage = can(membership, 'users.manage');
  const tab: Tab = TABS.some(([t]) => t === query.tab) ? (query.tab as Tab) : 'users';
  const roles = useLoad(() => allRoles(pid), [pid]);
  // The practice's seat counts are its active members (R20): the Users tab's count at no extra cost per tab.
  const practice = useLoad(() => call(api.GET('/practices/{pid}', { params: { path: { pid } } })), [pid]);
  const activeCount = practice.data ? practice.data.seats.practitioner + practice.data.seats.staff : null;
  const tabRefs = useRef<(HTMLButtonElement | null)[]>([]);
  const select = (t: Tab) => route(`${path}?tab=${t}`, true);
  // Arrow keys move between tabs (the WAI-ARIA tabs pattern).
  const onKey = (e: KeyboardEvent, i: number) => {
    const next = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : null;
    if (next === null) return;
    const j = (next + TABS.length) % TABS.length;
    const t = TABS[j];
    if (!t) return;
    select(t[0]);
    tabRefs.current[j]?.focus();
  };
  const roleList = roles.data ?? [];
  // Without users.view every list would be refused: say so once, without empty tables (W14).
  if (!can(membership, 'users.view')) {
    return (
      <Page pid={pid}>
        <h1>User Management</h1>
        <p>You do not have permission to see this practice's users. A director can give it to you.</p>
      </Page>
    );
  }
  return (
    <Page pid={pid}>
      <TitleRow title="User Management">
        {manage && (
          <div class="buttons">
            <a class="button" href={`/practices/${pid}/users/import`}>
              Import CSV
            </a>
            <a class="button primary" href={`/practices/${pid}/users/invite`}>
              + Invite
            </a>
          </div>
        )}
      </TitleRow>
      <div role="tablist" aria-label="Users by status">
        {TABS.map(([t, label], i) => (
          <button
            key={t}
            type="button"
            role="tab"
            id={`tab-${t}`}
            aria-selected={tab === t}
            aria-controls={`panel-${t}`}
            tabIndex={tab === t ? 0 : -1}
            ref={(el) => {
              tabRefs.current[i] = el;
            }}
            onClick={() => select(t)}
            onKeyDown={(e) => onKey(e, i)}
          >
            {label}
            {t === 'users' && activeCount !== null && <span class="count"> ({activeCount})</span>}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'users' && <MemberTab pid={pid} status="active" roles={roleList} />}
        {tab === 'invitations' && <InvitationsTab pid={pid} roles={roleList} manage={manage} />}
        {tab === 'inactive' && <InactiveTab pid={pid} roles={roleList} manage={manage} onReactivated={practice.reload} />}
        {tab === 'locked' && <LockedTab pid={pid} roles={roleList} manage={manage} />}
      </div>
    </Page>
  );
}

function SearchBox({ id, label, value, onInput }: { id: string; label: string; value: string; onInput: (v: string) => void }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} type="search" value={value} onInput={(e) => onInput(e.currentTarget.value)} />
    </div>
  );
}

function useMembers(pid: string, status: 'active' | 'deactivated' | 'locked', q: string) {
  return usePaged(
    (cursor) => call(api.GET('/practices/{pid}/members', { params: { path: { pid }, query: { status, q: q || undefined, cursor, limit: 50 } } })),
    [pid, status, q],
  );
}

function MemberLink({ pid, m }: { pid: string; m: Member }) {
  return <a href={`/practices/${pid}/members/${m.user_id}`}>{memberName(m)}</a>;
}

function MemberTab({ pid, status, roles }: { pid: string; status: 'active'; roles: Role[] }) {
  const [q, setQ] = useState('');
  const list = useMembers(pid, status, useSettled(q));
  return (
    <>
      <div class="toolbar">
        <SearchBox id="search-users" label="Search users" value={q} onInput={setQ} />
      </div>
      <table>
        <caption class="sr-only">Active users</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Kind</th>
            <th scope="col">Joined</th>
          </tr>
        </thead>
        <tbody>
          {list.items.map((m) => (
            <tr key={m.user_id}>
              <td>
                <MemberLink pid={pid} m={m} /> {m.locked && <span class="badge warn">locked</span>}
              </td>
              <td class="email">
                <Email address={m.email} />
              </td>
              <td>{roleName(roles, m.role_id)}</td>
              <td>{m.kind}</td>
              <td class="when">{shortDate(m.joined_at)}</td>
            </tr>
          ))}
          <EmptyRow show={!list.loading && list.items.length === 0} cols={5} text="No users match." />
        </tbody>
      </table>
      <MoreButton list={list} />
    </>
  );
}

const INVITATION_STATUSES = ['all', 'pending', 'accepted', 'declined', 'revoked', 'expired'] as const;
type InvitationStatus = (typeof INVITATION_STATUSES)[number];

function InvitationsTab({ pid, roles, manage }: { pid: string; roles: Role[]; manage: boolean }) {
  // Location names for "what it grants" (W7); loaded with the tab, not per row.
  const locations = useLoad(() => allLocations(pid), [pid]);
  const locationName = (id: string) => locations.data?.find((l) => l.id === id)?.name ?? 'a location';
  const [status, setStatus] = useState<InvitationStatus>('all');
  const [q, setQ] = useState('');
  const settled = useSettled(q);
  const list = usePaged(
    (cursor) => call(api.GET('/practices/{pid}/invitations', { params: { path: { pid }, query: { status, q: settled || undefined, cursor, limit: 50 } } })),
    [pid, status, settled],
  );
  const act = useForm({});
  const [notice, setNotice] = useState<string | null>(null);
  const resend = (inv: Invitation) =>
    attempt(act, async () => {
      const again = await call(api.POST('/practices/{pid}/invitations/{iid}/resend', { params: { path: { pid, iid: inv.id } } }));
      setNotice(`Invitation to ${inv.email} sent again; it now expires ${formatDate(again.expires_at)}.`);
      list.reload();
    });
  const revoke = (inv: Invitation) =>
    attempt(act, async () => {
      await call(api.DELETE('/practices/{pid}/invitations/{iid}', { params: { path: { pid, iid: inv.id } } }));
      setNotice(`Invitation to ${inv.email} revoked.`);
      list.reload();
    });
  return (
    <>
      <div class="toolbar">
        <div class="field">
          <label for="invitation-status">Status</label>
          <select id="invitation-status" value={status} onChange={(e) => setStatus(e.currentTarget.value as InvitationStatus)}>
            {INVITATION_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s === 'all' ? 'All' : s.charAt(0).toUpperCase() + s.slice(1)}
              </option>
            ))}
          </select>
        </div>
        <SearchBox id="search-invitations" label="Search invitations" value={q} onInput={setQ} />
      </div>
      <Notice message={notice} />
      <ErrorSummary errors={act.errors} />
      <table>
        <caption class="sr-only">Invitations</caption>
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Status</th>
            <th scope="col">Invited</th>
            <th scope="col">Expires</th>
            {manage && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {list.items.map((inv) => (
            <tr key={inv.id} class={inv.status === 'pending' ? 'pending' : undefined}>
              <td id={`inv-${inv.id}`} class="email">
                <Email address={inv.email} /> {inv.delivery === 'bounced' && <span class="badge warn">bounced</span>}
              </td>
              <td>{fullName({ ...inv, email: '' }) === '—' ? '' : fullName({ ...inv, email: '' })}</td>
              <td>
                {roleName(roles, inv.role_id)} ({inv.kind})
                <details>
                  <summary>What it grants</summary>
                  <ul class="facts-list">
                    {accessFacts(inv, locationName).map((f) => (
                      <li key={f}>{f}</li>
                    ))}
                  </ul>
                </details>
              </td>
              <td>
                <span class="badge">{inv.status}</span>
                {inv.resend_count > 0 && <span class="muted"> · sent {inv.resend_count + 1}×</span>}
              </td>
              <td>
                <span class="when">{shortDate(inv.created_at)}</span>
                <br />
                <span class="muted">by {inv.invited_by.name}</span>
              </td>
              <td class="when">{shortDate(inv.expires_at)}</td>
              {manage && (
                <td>
                  {inv.status === 'pending' && (
                    <div class="row-actions">
                      <button type="button" onClick={() => resend(inv)} disabled={act.busy} aria-describedby={`inv-${inv.id}`}>
                        Resend
                      </button>
                      <ConfirmButton
                        label="Revoke"
                        question={`Revoke the invitation to ${inv.email}? Its link stops working at once.`}
                        confirmLabel="Yes, revoke"
                        onConfirm={() => revoke(inv)}
                        busy={act.busy}
                        describedBy={`inv-${inv.id}`}
                      />
                    </div>
                  )}
                </td>
              )}
            </tr>
          ))}
          <EmptyRow show={!list.loading && list.items.length === 0} cols={manage ? 7 : 6} text="No invitations match." />
        </tbody>
      </table>
      <MoreButton list={list} />
    </>
  );
}

function InactiveTab({ pid, roles, manage, onReactivated }: { pid: string; roles: Role[]; manage: boolean; onReactivated: () => void }) {
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

function LockedTab({ pid, roles, manage }: { pid: string; roles: Role[]; manage: boolean }) {
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
