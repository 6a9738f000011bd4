// Locations and support access of one practice.
import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { api, call, type Location } from '../api/client';
import { allLocations } from '../api/lists';
import { activeMemberships, can, useApp } from '../app';
import { ConfirmButton } from '../components/confirm';
import { ErrorSummary, Field, Form, attempt, useForm } from '../components/form';
import { Page } from '../components/shell';
import { Loading, Notice, TitleRow, formatDate, useLoad } from '../components/ui';

function usePid(): string {
  return useRoute().params.pid ?? '';
}

function useCan(pid: string, permission: string): boolean {
  const app = useApp();
  return can(activeMemberships(app.me).find((m) => m.practice_id === pid) ?? null, permission);
}

export function LocationsScreen() {
  const pid = usePid();
  const manage = useCan(pid, 'practice.settings');
  const list = useLoad(() => allLocations(pid), [pid]);
  const [editing, setEditing] = useState<Location | 'new' | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <Page pid={pid}>
      <TitleRow title="Locations">
        {manage && (
          <button type="button" class="primary" onClick={() => setEditing('new')}>
            Add location
          </button>
        )}
      </TitleRow>
      <Notice message={notice} />
      <Loading state={list}>
        {(l) => (
          <table>
            <caption class="sr-only">Locations</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Address</th>
                <th scope="col">Time zone</th>
                <th scope="col">Status</th>
                {manage && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {l.map((loc) => (
                <tr key={loc.id} class={loc.active ? undefined : 'pending'}>
                  <td id={`loc-${loc.id}`}>{loc.name}</td>
                  <td>{loc.address ?? '—'}</td>
                  <td>{loc.time_zone ?? '—'}</td>
                  <td>{loc.active ? 'Active' : 'Inactive'}</td>
                  {manage && (
                    <td>
                      <button type="button" onClick={() => setEditing(loc)} aria-describedby={`loc-${loc.id}`}>
                        Edit
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loading>
      {editing && (
        <LocationForm
          key={editing === 'new' ? 'new' : editing.id}
          pid={pid}
          location={editing === 'new' ? null : editing}
          onCancel={() => setEditing(null)}
          onDone={(msg) => {
            setNotice(msg);
            setEditing(null);
            list.reload();
          }}
        />
      )}
    </Page>
  );
}

function LocationForm({ pid, location, onDone, onCancel }: { pid: string; location: Location | null; onDone: (m: string) => void; onCancel: () => void }) {
  const form = useForm({ name: location?.name ?? '', address: location?.address ?? '', time_zone: location?.time_zone ?? '', active: location?.active ?? true });
  const v = form.values;
  const submit = async () => {
    const body = { name: v.name, address: v.address || null, time_zone: v.time_zone || null };
    if (location) {
      await call(api.PATCH('/practices/{pid}/locations/{lid}', { params: { path: { pid, lid: location.id } }, body: { ...body, active: v.active } }));
      onDone(`Location ${v.name} saved.`);
    } else {
      await call(api.POST('/practices/{pid}/locations', { params: { path: { pid } }, body }));
      onDone(`Location ${v.name} added.`);
    }
  };
  return (
    <section aria-labelledby="location-form-heading">
      <h2 id="location-form-heading">{location ? `Edit ${location.name}` : 'New location'}</h2>
      <Form
        form={form}
        onSubmit={submit}
        submitLabel={location ? 'Save location' : 'Add location'}
        extraButtons={
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        }
      >
        <Field form={form} name="name" label="Location name" autoFocus required />
        <Field form={form} name="address" label="Address (optional)" />
        <Field form={form} name="time_zone" label="Time zone (optional)" hint="An IANA name such as Europe/London." />
        {location && <Field form={form} name="active" type="checkbox" label="Active" />}
      </Form>
    </section>
  );
}

export function SupportAccessScreen() {
  const pid = usePid();
  const state = useLoad(() => call(api.GET('/practices/{pid}/support-access', { params: { path: { pid } } })), [pid]);
  const act = useForm({});
  const [notice, setNotice] = useState<string | null>(null);
  const grant = () =>
    attempt(act, async () => {
      await call(api.PUT('/practices/{pid}/support-access', { params: { path: { pid } } }));
      setNotice('Support access granted for 7 days.');
      state.reload();
    });
  const revoke = () =>
    attempt(act, async () => {
      await call(api.DELETE('/practices/{pid}/support-access', { params: { path: { pid } } }));
      setNotice('Support access revoked.');
      state.reload();
    });
  return (
    <Page pid={pid}>
      <h1>Support access</h1>
      <p>Let the Roster support team read this practice (read-only) to help you. Access ends on its own after 7 days.</p>
      <Notice message={notice} />
      <ErrorSummary errors={act.errors} />
      <Loading state={state}>
        {(s) =>
          s.active ? (
            <div class="card">
              <p>
                <strong>Support access is on</strong>, granted by {s.granted_by?.name ?? 'a director'} on {formatDate(s.granted_at)}.
              </p>
              <p>It expires {formatDate(s.expires_at)}.</p>
              <div class="buttons">
                <ConfirmButton
                  label="Revoke support access"
                  question="Revoke support access? The support team loses access to this practice at once."
                  confirmLabel="Yes, revoke support access"
                  onConfirm={revoke}
                  busy={act.busy}
                />
                <button type="button" onClick={grant} disabled={act.busy}>
                  Extend to 7 days from now
                </button>
              </div>
            </div>
          ) : (
            <div class="card">
              <p>Support access is off.</p>
              <button type="button" class="primary" onClick={grant} disabled={act.busy}>
                Grant support access for 7 days
              </button>
            </div>
          )
        }
      </Loading>
    </Page>
  );
}
