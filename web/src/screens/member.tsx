// One member: details, access (saved with If-Match; a stale version says so
// and offers a reload), deactivate / reactivate / unlock.
import { useEffect, useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { api, call, versionOf, type Member } from '../api/client';
import { activeMemberships, can, useApp } from '../app';
import { AccessEditor, loadPracticeData, roleName, type PracticeData } from '../components/access-editor';
import { ConfirmButton } from '../components/confirm';
import { ErrorSummary, Field, Form, StaleReload, attempt, useForm } from '../components/form';
import { Page } from '../components/shell';
import { Loading, Notice, formatDate, memberName, useLoad } from '../components/ui';
import { errorsOf } from '../lib/problem';
import { temporaryPasswordErrors } from '../lib/temporary';
import { accessBody, addsPaidSeat, draftOf, type AccessDraft } from '../lib/access';
import { UnlockForm } from './member-tabs';

export function MemberScreen() {
  const { params } = useRoute();
  const pid = params.pid ?? '';
  const uid = params.uid ?? '';
  const app = useApp();
  const manage = can(activeMemberships(app.me).find((m) => m.practice_id === pid) ?? null, 'users.manage');
  const member = useLoad(() => call(api.GET('/practices/{pid}/members/{uid}', { params: { path: { pid, uid } } })), [pid, uid]);
  const data = useLoad(() => loadPracticeData(pid), [pid]);
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <Page pid={pid}>
      <p>
        <a href={`/practices/${pid}/users`}>← User Management</a>
      </p>
      <Loading state={member}>
        {(m) => (
          <Loading state={data}>
            {(d) => (
              <MemberBody
                key={`${m.user_id}-${m.version}`}
                pid={pid}
                member={m}
                data={d}
                manage={manage}
                notice={notice}
                onChanged={(msg) => {
                  setNotice(msg);
                  member.reload();
                }}
              />
            )}
          </Loading>
        )}
      </Loading>
    </Page>
  );
}

interface BodyProps {
  pid: string;
  member: Member;
  data: PracticeData;
  manage: boolean;
  notice: string | null;
  onChanged: (message: string | null) => void;
}

function MemberBody({ pid, member, data, manage, notice, onChanged }: BodyProps) {
  const name = memberName(member);
  return (
    <>
      <h1>{name}</h1>
      <Notice message={notice} />
      <dl class="facts">
        <dt>Email</dt>
        <dd>{member.email}</dd>
        <dt>Status</dt>
        <dd>
          {member.status === 'active' ? 'Active' : 'Deactivated'}
          {member.locked && <span class="badge warn"> locked</span>}
        </dd>
        <dt>Role</dt>
        <dd>
          {roleName(data.roles, member.role_id)} ({member.kind})
        </dd>
        <dt>Joined</dt>
        <dd>{formatDate(member.joined_at)}</dd>
        {member.deactivated_at && (
          <>
            <dt>Deactivated</dt>
            <dd>{formatDate(member.deactivated_at)}</dd>
          </>
        )}
      </dl>
      <details>
        <summary>Effective permissions ({member.permissions.length})</summary>
        <ul class="columns">
          {member.permissions.map((p) => (
            <li key={p}>
              <code>{p}</code>
            </li>
          ))}
        </ul>
      </details>
      {manage && (
        <>
          <StatusActions pid={pid} member={member} data={data} onChanged={onChanged} />
          {member.status === 'active' && <AccessForm pid={pid} member={member} data={data} onChanged={onChanged} />}
          {member.status === 'active' && <DetailsForm pid={pid} member={member} onChanged={onChanged} />}
        </>
      )}
    </>
  );
}

function AccessForm({ pid, member, data, onChanged }: { pid: string; member: Member; data: PracticeData; onChanged: (m: string | null) => void }) {
  const before = draftOf(member);
  const [draft, setDraft] = useState<AccessDraft>(before);
  useEffect(() => setDraft(draftOf(member)), [member.version]);
  const form = useForm({ accept_license_terms: false });
  const consent = addsPaidSeat(draft, before);
  const submit = async () => {
    await call(
      api.PATCH('/practices/{pid}/members/{uid}', {
        params: { path: { pid, uid: member.user_id }, header: { 'If-Match': versionOf(member) } },
        body: { ...accessBody(draft), ...(consent ? { accept_license_terms: form.values.accept_license_terms } : {}) },
      }),
    );
    onChanged('Access saved.');
  };
  return (
    <section aria-labelledby="access-heading">
      <h2 id="access-heading">Access</h2>
      <Form
        form={form}
        onSubmit={submit}
        submitLabel="Save access"
        alertExtra={<StaleReload errors={form.errors} onReload={() => onChanged(null)} />}
      >
        <AccessEditor draft={draft} onChange={setDraft} data={data} errors={form.errors} />
        {consent && <Field form={form} name="accept_license_terms" type="checkbox" label="I accept the licence terms for the seat or modules this adds (they cost money)" />}
      </Form>
    </section>
  );
}

function DetailsForm({ pid, member, onChanged }: { pid: string; member: Member; onChanged: (m: string | null) => void }) {
  const form = useForm({ display_name: member.display_name, title: member.title ?? '', first_name: member.first_name, last_name: member.last_name });
  const v = form.values;
  const submit = async () => {
    // Only what changed, so a user of several practices keeps their own names (R14: 403 otherwise).
    const body: { display_name?: string; title?: string | null; first_name?: string; last_name?: string } = {};
    if (v.display_name !== member.display_name) body.display_name = v.display_name;
    if (v.title !== (member.title ?? '')) body.title = v.title || null;
    if (v.first_name !== member.first_name) body.first_name = v.first_name;
    if (v.last_name !== member.last_name) body.last_name = v.last_name;
    await call(api.PATCH('/practices/{pid}/members/{uid}/details', { params: { path: { pid, uid: member.user_id }, header: { 'If-Match': versionOf(member) } }, body }));
    onChanged('Details saved.');
  };
  return (
    <section aria-labelledby="details-heading">
      <h2 id="details-heading">Details</h2>
      <Form
        form={form}
        onSubmit={submit}
        submitLabel="Save details"
        alertExtra={<StaleReload errors={form.errors} onReload={() => onChanged(null)} />}
      >
        <Field form={form} name="display_name" label="Display name in this practice" hint="The name on notes and signatures here." />
        <Field form={form} name="title" label="Title" />
        <Field form={form} name="first_name" label="First name" hint="The user's own; a practice can change it only for a user who belongs to it alone." />
        <Field form={form} name="last_name" label="Last name" />
      </Form>
    </section>
  );
}

function StatusActions({ pid, member, data, onChanged }: { pid: string; member: Member; data: PracticeData; onChanged: (m: string | null) => void }) {
  const act = useForm({ accept_license_terms: false, role_id: '' });
  const name = memberName(member);
  const path = { pid, uid: member.user_id };
  const deactivate = () =>
    attempt(act, async () => {
      await call(api.POST('/practices/{pid}/members/{uid}/deactivate', { params: { path } }));
      onChanged(`${name} is deactivated.`);
    });
  const reactivate = () =>
    attempt(act, async () => {
      await call(
        api.POST('/practices/{pid}/members/{uid}/reactivate', {
          params: { path },
          body: { ...(act.values.role_id ? { role_id: act.values.role_id } : {}), ...(act.values.accept_license_terms ? { accept_license_terms: true } : {}) },
        }),
      );
      onChanged(`${name} is active again.`);
    });
  return (
    <section aria-labelledby="status-heading">
      <h2 id="status-heading">Status</h2>
      <ErrorSummary errors={act.errors} />
      {member.locked && member.status === 'active' && <UnlockForm pid={pid} member={member} onDone={onChanged} />}
      {member.status === 'active' ? (
        <>
          <TemporaryPasswordForm pid={pid} member={member} onDone={onChanged} />
          <ConfirmButton
            label="Deactivate"
            question={`Deactivate ${name}? They lose access to this practice at once. You can reactivate them later.`}
            confirmLabel="Yes, deactivate"
            onConfirm={deactivate}
            busy={act.busy}
          />
        </>
      ) : (
        <div class="card">
          {act.errors?.code === 'role_required' && (
            <div class="field">
              <label for="reactivate-role">Role</label>
              <select id="reactivate-role" value={act.values.role_id} onChange={(e) => act.set('role_id', e.currentTarget.value)}>
                <option value="">Choose a role</option>
                {data.roles.map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name}
                  </option>
                ))}
              </select>
            </div>
          )}
          {member.kind === 'practitioner' && (
            <div class="field checkbox">
              <input type="checkbox" id="reactivate-consent" checked={act.values.accept_license_terms} onChange={(e) => act.set('accept_license_terms', e.currentTarget.checked)} />
              <label for="reactivate-consent">I accept the licence terms for the practitioner seat this adds (it costs money)</label>
            </div>
          )}
          <button type="button" class="primary" onClick={reactivate} disabled={act.busy}>
            Reactivate
          </button>
        </div>
      )}
    </section>
  );
}

/** A new password the member must change at their next sign-in (R13); it ends their sessions. */
function TemporaryPasswordForm({ pid, member, onDone }: { pid: string; member: Member; onDone: (m: string) => void }) {
  const form = useForm({ temporary_password: '' }, 'temporary');
  const name = memberName(member);
  const submit = async () => {
    try {
      await call(
        api.POST('/practices/{pid}/members/{uid}/temporary-password', {
          params: { path: { pid, uid: member.user_id } },
          body: { temporary_password: form.values.temporary_password },
        }),
      );
    } catch (err) {
      form.setErrors(temporaryPasswordErrors(errorsOf(err), name, true));
      return;
    }
    form.reset({ temporary_password: '' });
    onDone(`${name} has a temporary password: tell them, and they choose their own at their next sign-in. Their sessions are ended.`);
  };
  return (
    <details>
      <summary>Set a temporary password</summary>
      <Form form={form} onSubmit={submit} submitLabel="Set temporary password">
        <Field
          form={form}
          name="temporary_password"
          label={`Temporary password for ${name}`}
          type="password"
          autoComplete="new-password"
          hint="At least 10 characters. They must change it when they next sign in, and they are signed out everywhere now."
          required
        />
      </Form>
    </details>
  );
}
