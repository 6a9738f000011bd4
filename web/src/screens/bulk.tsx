// Bulk invitations from a CSV file (R52): a dry run first, then the real
// run under one Idempotency-Key per file, so pressing twice invites once.
import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { api, call } from '../api/client';
import { ErrorSummary, attempt, humanise, useForm } from '../components/form';
import { asProblem, toFormErrors } from '../lib/problem';
import { Page } from '../components/shell';
import type { components } from '../api/schema';

type Result = components['schemas']['BulkInviteResult']['results'][number];

const EXAMPLE = 'email,kind,role_id,primary_location_id,first_name,last_name,accept_license_terms\nana@clinic.example,staff,front_desk,Main St,Ana,Silva,\n';

export function BulkImportScreen() {
  const { params } = useRoute();
  const pid = params.pid ?? '';
  const form = useForm({});
  const [csv, setCsv] = useState('');
  const [key, setKey] = useState(() => crypto.randomUUID());
  const [results, setResults] = useState<{ dryRun: boolean; rows: Result[] } | null>(null);
  const change = (text: string) => {
    setCsv(text);
    setKey(crypto.randomUUID());
    setResults(null);
  };
  const send = (dryRun: boolean) =>
    attempt(form, async () => {
      const answer = await call(
        api.POST('/practices/{pid}/invitations/bulk', {
          params: { path: { pid }, query: dryRun ? { dry_run: true } : {}, header: dryRun ? {} : { 'Idempotency-Key': key } },
          // The contract takes the file as it is, as text/csv.
          body: csv as never,
          bodySerializer: (b: unknown) => String(b),
          headers: { 'Content-Type': 'text/csv' },
        }),
      );
      setResults({ dryRun, rows: answer.results });
    });
  const ok = results?.rows.filter((r) => r.status < 300).length ?? 0;
  return (
    <Page pid={pid}>
      <h1>Import invitations</h1>
      <p>
        Upload a CSV file with a header row naming the invitation fields. Roles and locations may be named by id or by name; lists separate items with <code>;</code>. Up to 500 rows.
      </p>
      <details>
        <summary>Example</summary>
        <pre>{EXAMPLE}</pre>
      </details>
      <div class="form">
        <ErrorSummary errors={form.errors} />
        <div class="field">
          <label for="csv-file">CSV file</label>
          <input id="csv-file" type="file" accept=".csv,text/csv" onChange={async (e) => change((await e.currentTarget.files?.[0]?.text()) ?? '')} />
        </div>
        <div class="field">
          <label for="csv-text">Or paste the CSV</label>
          <textarea id="csv-text" rows={8} value={csv} onInput={(e) => change(e.currentTarget.value)} />
        </div>
        <div class="buttons">
          <button type="button" onClick={() => send(true)} disabled={form.busy || csv.trim() === ''}>
            Check the file
          </button>
          <button type="button" class="primary" onClick={() => send(false)} disabled={form.busy || csv.trim() === ''}>
            Send the invitations
          </button>
        </div>
      </div>
      {results && (
        <>
          <p class="notice" role="status">
            {results.dryRun ? `Check only, nothing sent: ${ok} of ${results.rows.length} rows are fine.` : `${ok} of ${results.rows.length} rows invited.`}
          </p>
          <table>
            <caption class="sr-only">Result per row</caption>
            <thead>
              <tr>
                <th scope="col">Row</th>
                <th scope="col">Result</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {results.rows.map((r) => (
                <tr key={r.row} class={r.status < 300 ? undefined : 'failed'}>
                  <td>{r.row}</td>
                  <td>{r.status < 300 ? (results.dryRun ? 'OK' : 'Invited') : 'Refused'}</td>
                  <td>
                    {r.invitation?.email ?? r.member?.email ?? ''}
                    {r.error && <RowProblem status={r.status} problem={r.error} />}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Page>
  );
}

/** A refused row in words: each field named with its message, else the problem's plain words (W21). */
function RowProblem({ status, problem }: { status: number; problem: unknown }) {
  const f = toFormErrors(asProblem(status, problem));
  const fields = Object.entries(f.fields);
  if (fields.length === 0) return <>{f.summary}</>;
  return (
    <ul>
      {fields.map(([field, message]) => (
        <li key={field}>
          {humanise(field)} {message}
        </li>
      ))}
    </ul>
  );
}
