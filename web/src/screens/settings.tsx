// Practice settings (R43: default roles, onboarding mails) and security
// policy (R48, R50: second factor, idle limit, emergency access), each saved
// with If-Match.
import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { api, call, versionOf, type Role } from '../api/client';
import { allRoles } from '../api/lists';
import { Field, Form, Select, StaleReload, useForm } from '../components/form';
import { useApp } from '../app';
import { Page } from '../components/shell';
import { Loading, Notice, useLoad } from '../components/ui';
import type { PermissionKey } from '../lib/access';
import type { CatalogueEntry } from '../lib/permissions';
import { PermissionPicker } from './roles';

type Settings = Awaited<ReturnType<typeof loadAll>>;

async function loadAll(pid: string) {
  const path = { params: { path: { pid } } };
  const [practice, settings, policy, roles, catalogue] = await Promise.all([
    call(api.GET('/practices/{pid}', path)),
    call(api.GET('/practices/{pid}/settings', path)),
    call(api.GET('/practices/{pid}/security-policy', path)),
    allRoles(pid),
    call(api.GET('/permissions')),
  ]);
  return { practice, settings, policy, roles, catalogue };
}

export function SettingsScreen() {
  const { params } = useRoute();
  const pid = params.pid ?? '';
  const all = useLoad(() => loadAll(pid), [pid]);
  const [notice, setNotice] = useState<string | null>(null);
  const saved = (msg: string | null) => {
    setNotice(msg);
    all.reload();
  };
  return (
    <Page pid={pid}>
      <h1>Settings</h1>
      <Notice message={notice} />
      <Loading state={all}>
        {(s) => (
          <>
            <NameForm key={`n${s.practice.version}`} pid={pid} s={s} onSaved={saved} />
            <DefaultsForm key={`d${s.settings.version}`} pid={pid} s={s} onSaved={saved} />
            <PolicyForm key={`p${s.policy.version}`} pid={pid} s={s} onSaved={saved} />
          </>
        )}
      </Loading>
    </Page>
  );
}

const roleOptions = (roles: Role[]) => roles.map((r) => ({ value: r.id, label: r.name }));

function NameForm({ pid, s, onSaved }: { pid: string; s: Settings; onSaved: (m: string | null) => void }) {
  const app = useApp();
  const form = useForm({ name: s.practice.name }, 'practice');
  const submit = async () => {
    await call(
      api.PATCH('/practices/{pid}', {
        params: { path: { pid }, header: { 'If-Match': versionOf(s.practice) } },
        body: { name: form.values.name },
      }),
    );
    // The switcher and the overview show the name from /me.
    await app.refresh();
    onSaved('Practice name saved.');
  };
  return (
    <section aria-labelledby="name-heading">
      <h2 id="name-heading">Practice</h2>
      <Form form={form} onSubmit={submit} submitLabel="Save name" alertExtra={<StaleReload errors={form.errors} onReload={() => onSaved(null)} />}>
        <Field form={form} name="name" label="Practice name" autoComplete="organization" required />
      </Form>
    </section>
  );
}

function DefaultsForm({ pid, s, onSaved }: { pid: string; s: Settings; onSaved: (m: string | null) => void }) {
  const form = useForm({
    practitioner: s.settings.default_roles.practitioner,
    staff: s.settings.default_roles.staff,
    onboarding_mails: s.settings.onboarding_mails,
  });
  const submit = async () => {
    await call(
      api.PUT('/practices/{pid}/settings', {
        params: { path: { pid }, header: { 'If-Match': versionOf(s.settings) } },
        body: { default_roles: { practitioner: form.values.practitioner, staff: form.values.staff }, onboarding_mails: form.values.onboarding_mails },
      }),
    );
    onSaved('Settings saved.');
  };
  return (
    <section aria-labelledby="defaults-heading">
      <h2 id="defaults-heading">Invitations</h2>
      <Form form={form} onSubmit={submit} submitLabel="Save settings" alertExtra={<StaleReload errors={form.errors} onReload={() => onSaved(null)} />}>
        <Select form={form} name="practitioner" apiField="default_roles.practitioner" label="Default role for practitioners" options={roleOptions(s.roles)} />
        <Select form={form} name="staff" apiField="default_roles.staff" label="Default role for staff" options={roleOptions(s.roles)} />
        <Field form={form} name="onboarding_mails" type="checkbox" label="Send onboarding mails to new members (day 1, 3 and 7)" />
      </Form>
    </section>
  );
}

function PolicyForm({ pid, s, onSaved }: { pid: string; s: Settings; onSaved: (m: string | null) => void }) {
  const p = s.policy;
  const form = useForm({
    require_mfa: p.require_mfa,
    session_idle_minutes: String(p.session_idle_minutes),
    emergency_enabled: p.emergency_access.enabled,
    max_minutes: String(p.emergency_access.max_minutes),
  });
  const [keys, setKeys] = useState<string[]>([...p.emergency_access.permissions].sort());
  const catalogue = s.catalogue.filter((e: CatalogueEntry) => !e.restrictive);
  const submit = async () => {
    await call(
      api.PUT('/practices/{pid}/security-policy', {
        params: { path: { pid }, header: { 'If-Match': versionOf(p) } },
        body: {
          require_mfa: form.values.require_mfa,
          session_idle_minutes: Number(form.values.session_idle_minutes),
          emergency_access: { enabled: form.values.emergency_enabled, permissions: keys as PermissionKey[], max_minutes: Number(form.values.max_minutes) },
        },
      }),
    );
    onSaved('Security policy saved.');
  };
  return (
    <section aria-labelledby="policy-heading">
      <h2 id="policy-heading">Security policy</h2>
      <Form form={form} onSubmit={submit} submitLabel="Save security policy" alertExtra={<StaleReload errors={form.errors} onReload={() => onSaved(null)} />}>
        <Field form={form} name="require_mfa" type="checkbox" label="Require two-factor authentication for every member" />
        <Field form={form} name="session_idle_minutes" label="Sign out after this many idle minutes" inputMode="numeric" hint="5 to 1440." />
        <fieldset>
          <legend>Emergency access</legend>
          <Field form={form} name="emergency_enabled" apiField="emergency_access.enabled" type="checkbox" label="Members may open emergency access" />
          <Field form={form} name="max_minutes" apiField="emergency_access.max_minutes" label="Longest emergency access, in minutes" inputMode="numeric" hint="1 to 480." />
          <p class="field-label">Permissions granted during emergency access</p>
          <PermissionPicker catalogue={catalogue} keys={keys} onChange={setKeys} readOnly={false} error={form.errors?.fields['emergency_access.permissions']} />
        </fieldset>
      </Form>
    </section>
  );
}
