// The audit log (newest first, paged) and its export by date range (R51).
import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { answer, api, call } from '../api/client';
import { Field, Form, Select, useForm } from '../components/form';
import { Page } from '../components/shell';
import { allMembers } from '../api/lists';
import { EmptyRow, MoreButton, Notice, memberName, useLoad, usePaged, shortDate } from '../components/ui';
import { actionWords, joinCsvPages, nextCursor } from '../lib/audit';
import { dayRange } from '../lib/dates';

export function AuditScreen() {
  const pid = useRoute().params.pid ?? '';
  // Names for actors and user targets (every status); a viewer without users.view gets emails and short ids (W17, W24).
  const members = useLoad(() => allMembers(pid).catch(() => []), [pid]);
  const nameOf = (id: string) => {
    const m = members.data?.find((x) => x.user_id === id);
    return m ? memberName(m) : null;
  };
  const list = usePaged((cursor) => call(api.GET('/practices/{pid}/audit', { params: { path: { pid }, query: { cursor, limit: 50 } } })), [pid]);
  return (
    <Page pid={pid}>
      <h1>Audit log</h1>
      <ExportForm pid={pid} />
      <h2>Events</h2>
      <p class="muted">Newest first.</p>
      <table>
        <caption class="sr-only">Audit events, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Change</th>
          </tr>
        </thead>
        <tbody>
          {list.items.map((e) => (
            <tr key={e.id}>
              <td class="when">{shortDate(e.at)}</td>
              <td>
                {(e.actor.user_id && nameOf(e.actor.user_id)) ?? e.actor.email ?? 'system'}
                {e.actor.user_id && nameOf(e.actor.user_id) && e.actor.email && (
                  <>
                    <br />
                    <span class="muted small">{e.actor.email}</span>
                  </>
                )}
                {e.actor.support && <span class="badge"> support</span>}
                {e.actor.emergency_access_id && <span class="badge warn"> emergency</span>}
              </td>
              <td>
                {actionWords(e.action)}
                <br />
                <code class="muted small">{e.action}</code>
              </td>
              <td>
                {/* Ids are UUIDv7: their start is a timestamp, alike for a day's events; the end tells them apart. */}
                {e.target.type} {nameOf(e.target.id) ?? <code class="muted" title={e.target.id}>…{e.target.id.slice(-8)}</code>}
              </td>
              <td>
                {(e.before != null || e.after != null) && (
                  <details>
                    <summary>Show</summary>
                    <pre>{JSON.stringify({ before: e.before, after: e.after }, null, 2)}</pre>
                  </details>
                )}
              </td>
            </tr>
          ))}
          <EmptyRow show={!list.loading && list.items.length === 0} cols={5} text="Nothing yet." />
        </tbody>
      </table>
      <MoreButton list={list} />
    </Page>
  );
}

type Format = 'csv' | 'ndjson';

/** Every page of the export (each at most 5,000 events), followed through its `Link` headers, as one file. */
async function exportAudit(pid: string, range: { from?: string; to?: string }, format: Format): Promise<string> {
  const pages: string[] = [];
  let cursor: string | undefined;
  // Bounded, so a cursor that never ends cannot loop for ever (1,000 pages is 5 million events).
  for (let i = 0; i < 1000; i++) {
    const { data, response } = await answer(api.GET('/practices/{pid}/audit/export', { params: { path: { pid }, query: { ...range, format, cursor } }, parseAs: 'text' }));
    pages.push(data);
    const next = nextCursor(response.headers.get('Link'));
    if (!next) break;
    cursor = next;
  }
  return format === 'csv' ? joinCsvPages(pages) : pages.join('');
}

function download(text: string, filename: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  // After the click has handed the file to the browser.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

function ExportForm({ pid }: { pid: string }) {
  const form = useForm({ from: '', to: '', format: 'csv' }, 'export');
  const [notice, setNotice] = useState<string | null>(null);
  const submit = async () => {
    const v = form.values;
    const format: Format = v.format === 'ndjson' ? 'ndjson' : 'csv';
    const text = await exportAudit(pid, dayRange(v.from, v.to), format);
    const span = `${v.from || 'start'}_to_${v.to || 'now'}`;
    download(text, `audit-${span}.${format}`, format === 'csv' ? 'text/csv' : 'application/x-ndjson');
    setNotice('Audit log exported: see your downloads.');
  };
  return (
    <section aria-labelledby="export-heading">
      <h2 id="export-heading">Export</h2>
      <Notice message={notice} />
      <Form form={form} onSubmit={submit} submitLabel="Download export">
        <p class="hint">Whole days in your time zone, oldest event first. Leave a date empty for the practice's start or for now.</p>
        <div class="toolbar">
          <Field form={form} name="from" type="date" label="From (first day)" />
          <Field form={form} name="to" type="date" label="To (last day, included)" />
          <Select
            form={form}
            name="format"
            label="Format"
            options={[
              { value: 'csv', label: 'CSV (spreadsheet)' },
              { value: 'ndjson', label: 'NDJSON (one JSON event a line)' },
            ]}
          />
        </div>
      </Form>
    </section>
  );
}
