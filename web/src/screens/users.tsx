// User Management: tabs Users (active), Invitations, Inactive, Locked.
// Each tab but Users has its own file: invitations-tab.tsx, member-tabs.tsx.
import { useRef, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { api, call, type Role } from '../api/client';
import { allRoles } from '../api/lists';
import { activeMemberships, can, useApp } from '../app';
import { roleName } from '../components/access-editor';
import { Page } from '../components/shell';
import { Email, EmptyRow, MoreButton, TitleRow, useLoad, useSettled, shortDate } from '../components/ui';
import { InvitationsTab } from './invitations-tab';
import { InactiveTab, LockedTab } from './member-tabs';
import { MemberLink, SearchBox, useMembers } from './user-parts';

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
