// Small shared pieces: a loader hook, status messages, dates.
import { Fragment, type ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { emailParts } from '../lib/names';
import type { Page } from '../lib/paging';
import { errorsOf, isRetryable, type FormErrors } from '../lib/problem';

export interface Loaded<T> {
  data: T | null;
  error: FormErrors | null;
  loading: boolean;
  reload: () => void;
}

/** Loads on mount and whenever `deps` change; `reload` loads again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: FormErrors | null; loading: boolean }>({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    // A retry shows Loading… again rather than the old error.
    setState((s) => ({ ...s, error: null, loading: true }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (err) => live && setState({ data: null, error: errorsOf(err), loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** A failed load in an alert, with a Retry button when trying again may help (a network error, a 5xx). */
export function LoadFailed({ errors, onRetry }: { errors: FormErrors; onRetry: () => void }) {
  return (
    <div class="alert" role="alert">
      <p>{errors.summary}</p>
      {isRetryable(errors) && (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

/** Shows loading, or the error in an alert, or the children for the data. */
export function Loading<T>({ state, children }: { state: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (state.error) return <LoadFailed errors={state.error} onRetry={state.reload} />;
  if (state.data === null) return <p class="muted" aria-live="polite">Loading…</p>;
  return <>{children(state.data)}</>;
}

/** A polite status line for what just succeeded. */
export function Notice({ message }: { message: string | null }) {
  return (
    <p class={message ? 'notice' : 'sr-only'} role="status" aria-live="polite">
      {message ?? ''}
    </p>
  );
}

/** Every instant is shown with its time zone (lib/dates); `shortDate` in table cells. */
export { formatInstant as formatDate, formatInstantShort as shortDate } from '../lib/dates';

export { fullName, memberName, roleWords } from '../lib/names';

/** An email that a narrow column breaks at its "@" or a dot rather than mid-word. */
export function Email({ address }: { address: string }) {
  return (
    <>
      {emailParts(address).map((part, i) => (
        <Fragment key={i}>
          {i > 0 && <wbr />}
          {part}
        </Fragment>
      ))}
    </>
  );
}

export type { Page };

export interface Paged<T> {
  items: T[];
  error: FormErrors | null;
  loading: boolean;
  hasMore: boolean;
  more: () => void;
  reload: () => void;
}

/** A cursor-paged list: the first page on mount and when `deps` change, then "Load more". */
export function usePaged<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, deps: unknown[]): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<FormErrors | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const load = (after: string | undefined, append: boolean, live: () => boolean) => {
    setLoading(true);
    setError(null);
    fetchPage(after).then(
      (page) => {
        if (!live()) return;
        setItems((old) => (append ? [...old, ...page.items] : page.items));
        setCursor(page.next_cursor);
        setError(null);
        setLoading(false);
      },
      (err) => {
        if (!live()) return;
        setError(errorsOf(err));
        setLoading(false);
      },
    );
  };
  useEffect(() => {
    let live = true;
    load(undefined, false, () => live);
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  return {
    items,
    error,
    loading,
    hasMore: cursor !== null,
    more: () => cursor && load(cursor, true, () => true),
    reload: useCallback(() => setTick((t) => t + 1), []),
  };
}

/** The value of a search box, settled for a moment, so each keystroke is not a request. */
export function useSettled(value: string, ms = 250): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value]);
  return settled;
}

export function MoreButton<T>({ list }: { list: Paged<T> }) {
  if (list.error) return <LoadFailed errors={list.error} onRetry={list.items.length > 0 ? list.more : list.reload} />;
  if (list.loading) return <p class="muted" aria-live="polite">Loading…</p>;
  return list.hasMore ? (
    <button type="button" onClick={list.more}>
      Load more
    </button>
  ) : null;
}

/** The row a list table shows when it has nothing (once it has loaded). */
export function EmptyRow({ show, cols, text }: { show: boolean; cols: number; text: string }) {
  return show ? (
    <tr>
      <td colSpan={cols} class="muted">
        {text}
      </td>
    </tr>
  ) : null;
}

/** A page's one <h1> with the page's main action beside it. */
export function TitleRow({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="title-row">
      <h1>{title}</h1>
      {children}
    </div>
  );
}
