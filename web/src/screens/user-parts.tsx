// What the User Management tabs share: the search box and the members list.
import { api, call, type Member } from '../api/client';
import { memberName, usePaged } from '../components/ui';

export function SearchBox({ id, label, value, onInput }: { id: string; label: string; value: string; onInput: (v: string) => void }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} type="search" value={value} onInput={(e) => onInput(e.currentTarget.value)} />
    </div>
  );
}

export function useMembers(pid: string, status: 'active' | 'deactivated' | 'locked', q: string) {
  return usePaged(
    (cursor) => call(api.GET('/practices/{pid}/members', { params: { path: { pid }, query: { status, q: q || undefined, cursor, limit: 50 } } })),
    [pid, status, q],
  );
}

export function MemberLink({ pid, m }: { pid: string; m: Member }) {
  return <a href={`/practices/${pid}/members/${m.user_id}`}>{memberName(m)}</a>;
}
