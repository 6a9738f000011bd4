// Small shared pieces: a loader hook, status messages, dates.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { errorsOf, type FormErrors } from '../lib/problem';

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
    setState((s) => ({ ...s, loading: true }));
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

/** Shows loading, or the error in an alert, or the children for the data. */
export function Loading<T>({ state, children }: { state: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (state.error) return <div class="alert" role="alert"><p>{state.error.summary}</p></div>;
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

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function fullName(p: { title?: string | null; first_name?: string | null; last_name?: string | null; email?: string }): string {
  const name = [p.title, p.first_name, p.last_name].filter((s) => s && s.trim()).join(' ');
  return name || p.email || '—';
}
