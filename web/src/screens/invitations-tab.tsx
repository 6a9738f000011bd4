// User Management, Invitations tab: pending greyed, resend, revoke, status filter.
import { useState } from 'preact/hooks';
import { api, call, type Invitation, type Role } from '../api/client';
import { allLocations } from '../api/lists';
import { roleName } from '../components/access-editor';
import { ConfirmButton } from '../components/confirm';
import { ErrorSummary, attempt, useForm } from '../components/form';
import { accessFacts } from '../lib/access';
import { Email, EmptyRow, MoreButton, Notice, formatDate, fullName, useLoad, usePaged, useSettled, shortDate } from '../components/ui';
import { SearchBox } from './user-parts';

const INVITATION_STATUSES = ['all', 'pending', 'accepted', 'declined', 'revoked', 'expired'] as const;
type InvitationStatus = (typeof INVITATION_STATUSES)[number];

export function InvitationsTab({ pid, roles, manage }: { pid: string; roles: Role[]; manage: boolean }) {
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
