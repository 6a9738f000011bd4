// Roles: built-in and custom, with a permission editor grouped by module.
import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { api, call, versionOf, type Role } from '../api/client';
import { allRoles } from '../api/lists';
import { activeMemberships, can, useApp } from '../app';
import { ConfirmButton } from '../components/confirm';
import { ErrorSummary, Field, Form, StaleReload, attempt, useForm } from '../components/form';
import { Page } from '../components/shell';
import { Loading, Notice, TitleRow, useLoad } from '../components/ui';
import { groupByModule, groupState, toggle, type CatalogueEntry } from '../lib/permissions';
import type { PermissionKey } from '../lib/access';

export function RolesScreen() {
  const { params } = useRoute();
  const pid = params.pid ?? '';
  const app = useApp();
  const manage = can(activeMemberships(app.me).find((m) => m.practice_id === pid) ?? null, 'practice.settings');
  const roles = useLoad(() => allRoles(pid), [pid]);
  const catalogue = useLoad(() => call(api.GET('/permissions')), []);
  // By id, so a reload after a stale save (412) opens the role as it now is.
  const [editingId, setEditingId] = useState<string | 'new' | null>(null);
  const editing = editingId === 'new' ? 'new' : (roles.data?.find((r) => r.id === editingId) ?? null);
  const setEditing = (r: Role | 'new' | null) => setEditingId(r === 'new' || r === null ? r : r.id);
  const [notice, setNotice] = useState<string | null>(null);
  const done = (msg: string) => {
    setNotice(msg);
    setEditing(null);
    roles.reload();
  };
  return (
    <Page pid={pid}>
      <TitleRow title="Roles">
        {manage && (
          <button type="button" class="primary" onClick={() => setEditing('new')}>
            New role
          </button>
        )}
      </TitleRow>
      <Notice message={notice} />
      <Loading state={roles}>
        {(r) => (
          <table>
            <caption class="sr-only">Roles</caption>
            <thead>
              <tr>
                <th scope="col">Role</th>
                <th scope="col">Type</th>
                <th scope="col">Permissions</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {r.map((role) => (
                <tr key={role.id}>
                  <td id={`role-${role.id}`}>{role.name}</td>
                  <td>{role.built_in ? (role.customized ? 'Built-in (adjusted)' : 'Built-in') : 'Custom'}</td>
                  <td>{role.permissions.length}</td>
                  <td>
                    <button type="button" onClick={() => setEditing(role)} aria-describedby={`role-${role.id}`}>
                      {manage && role.id !== 'director' ? 'Edit' : 'View'}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loading>
      {editing && (
        <Loading state={catalogue}>
          {(c) => (
            <RoleEditor
              key={editing === 'new' ? 'new' : `${editing.id}-${editing.version ?? 0}`}
              pid={pid}
              role={editing === 'new' ? null : editing}
              catalogue={c}
              readOnly={!manage || (editing !== 'new' && editing.id === 'director')}
              onDone={done}
              onCancel={() => setEditing(null)}
              onReload={roles.reload}
            />
          )}
        </Loading>
      )}
    </Page>
  );
}

interface EditorProps {
  pid: string;
  role: Role | null;
  catalogue: CatalogueEntry[];
  readOnly: boolean;
  onDone: (message: string) => void;
  onCancel: () => void;
  /** Reads the roles again after a stale save. */
  onReload: () => void;
}

function RoleEditor({ pid, role, catalogue, readOnly, onDone, onCancel, onReload }: EditorProps) {
  const form = useForm({ name: role?.name ?? '' });
  const [keys, setKeys] = useState<string[]>([...(role?.permissions ?? [])].sort());
  const extra = useForm({});
  const builtIn = role?.built_in ?? false;
  const permissions = keys as PermissionKey[];
  const submit = async () => {
    if (!role) {
      await call(api.POST('/practices/{pid}/roles', { params: { path: { pid } }, body: { name: form.values.name, permissions } }));
      onDone(`Role ${form.values.name} created.`);
      return;
    }
    const header = role.version === null ? {} : { 'If-Match': versionOf({ version: role.version }) };
    await call(
      api.PATCH('/practices/{pid}/roles/{rid}', {
        params: { path: { pid, rid: role.id }, header },
        body: builtIn ? { permissions } : { name: form.values.name, permissions },
      }),
    );
    onDone(`Role ${form.values.name} saved.`);
  };
  const reset = () =>
    attempt(extra, async () => {
      if (!role) return;
      await call(api.POST('/practices/{pid}/roles/{rid}/reset', { params: { path: { pid, rid: role.id } } }));
      onDone(`Role ${role.name} reset to the catalogue's permissions.`);
    });
  const remove = () =>
    attempt(extra, async () => {
      if (!role) return;
      await call(api.DELETE('/practices/{pid}/roles/{rid}', { params: { path: { pid, rid: role.id } } }));
      onDone(`Role ${role.name} deleted.`);
    });
  return (
    <section aria-labelledby="role-editor-heading">
      <h2 id="role-editor-heading">{role ? `${readOnly ? '' : 'Edit '}${role.name}` : 'New role'}</h2>
      <ErrorSummary errors={extra.errors} />
      <Form
        form={form}
        onSubmit={submit}
        submitLabel={role ? 'Save role' : 'Create role'}
        alertExtra={<StaleReload errors={form.errors} onReload={onReload} />}
        extraButtons={
          <>
            {role?.built_in && role.customized && !readOnly && (
              <button type="button" onClick={reset} disabled={extra.busy}>
                Reset to default
              </button>
            )}
            {role && !role.built_in && !readOnly && (
              <ConfirmButton
                label="Delete role"
                question={`Delete the role ${role.name}? This cannot be undone.`}
                confirmLabel="Yes, delete role"
                onConfirm={remove}
                busy={extra.busy}
              />
            )}
            <button type="button" onClick={onCancel}>
              Close
            </button>
          </>
        }
      >
        <Field form={form} name="name" label="Role name" readOnly={builtIn || readOnly} autoFocus={!builtIn && !readOnly} required />
        <PermissionPicker catalogue={catalogue} keys={keys} onChange={setKeys} readOnly={readOnly} error={form.errors?.fields.permissions} />
      </Form>
    </section>
  );
}

export function PermissionPicker({ catalogue, keys, onChange, readOnly, error }: { catalogue: CatalogueEntry[]; keys: string[]; onChange: (k: string[]) => void; readOnly: boolean; error?: string }) {
  return (
    <div class="permission-groups">
      {error && <p class="field-error">{error}</p>}
      {groupByModule(catalogue).map((g) => {
        const state = groupState(g, keys);
        return (
          <fieldset key={g.module}>
            <legend>
              <input
                type="checkbox"
                id={`group-${g.module}`}
                checked={state === 'all'}
                ref={(el) => {
                  if (el) el.indeterminate = state === 'some';
                }}
                disabled={readOnly}
                onChange={(e) => {
                  let next = keys;
                  for (const entry of g.entries) next = toggle(next, entry.key, e.currentTarget.checked);
                  onChange(next);
                }}
              />{' '}
              <label for={`group-${g.module}`}>{g.label}</label>
            </legend>
            {g.entries.map((entry) => (
              <div class="field checkbox" key={entry.key}>
                <input type="checkbox" id={`perm-${entry.key}`} checked={keys.includes(entry.key)} disabled={readOnly} onChange={(e) => onChange(toggle(keys, entry.key, e.currentTarget.checked))} />
                <label for={`perm-${entry.key}`}>
                  {entry.description} <code class="muted">{entry.key}</code>
                  {entry.restrictive && <span class="badge">restricts</span>}
                </label>
              </div>
            ))}
          </fieldset>
        );
      })}
    </div>
  );
}
