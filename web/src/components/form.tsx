// Forms: every control has a visible <label>; a failed request shows its
// problem+json summary in a role="alert" box and each field's message next to
// the field (aria-invalid, aria-describedby).
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorsOf, isStale, type FormErrors } from '../lib/problem';
import { fieldId } from '../lib/ids';

export type Values = Record<string, string | boolean>;

export interface FormState<V extends Values> {
  values: V;
  set: <K extends keyof V>(name: K, value: V[K]) => void;
  reset: (values: V) => void;
  errors: FormErrors | null;
  setErrors: (e: FormErrors | null) => void;
  busy: boolean;
  setBusy: (b: boolean) => void;
  /** Prefixes the ids of this form's controls, so two forms on one page may share field names. */
  id?: string;
}

/** `false` literals in an initial value widened to boolean, so a checkbox can turn true. */
type Widen<V extends Values> = { [K in keyof V]: V[K] extends boolean ? boolean : V[K] extends string ? string : V[K] };

/** `id` names the form when a page has two forms with a field of the same name (see fieldId). */
export function useForm<I extends Values>(initial: I, id?: string): FormState<Widen<I>> {
  type V = Widen<I>;
  const [values, setValues] = useState<V>(initial as V);
  const [errors, setErrors] = useState<FormErrors | null>(null);
  const [busy, setBusy] = useState(false);
  return {
    values,
    set: (name, value) => setValues((v) => ({ ...v, [name]: value })),
    reset: setValues,
    errors,
    setErrors,
    busy,
    setBusy,
    id,
  };
}

/** Runs `action`, turning a thrown error into the form's errors; true when it succeeded. */
export async function attempt(form: { setErrors: (e: FormErrors | null) => void; setBusy: (b: boolean) => void }, action: () => Promise<unknown>): Promise<boolean> {
  form.setBusy(true);
  form.setErrors(null);
  try {
    await action();
    return true;
  } catch (err) {
    form.setErrors(errorsOf(err));
    return false;
  } finally {
    form.setBusy(false);
  }
}

export function ErrorSummary({ errors, children }: { errors: FormErrors | null; children?: ComponentChildren }) {
  const box = useRef<HTMLDivElement>(null);
  // The summary sits above the form, often out of view of the button just
  // pressed: move focus (and so the view) to it, as the GOV.UK pattern does.
  useEffect(() => {
    if (errors) box.current?.focus();
  }, [errors]);
  if (!errors) return null;
  const list = Object.entries(errors.fields);
  return (
    <div class="alert" role="alert" tabIndex={-1} ref={box}>
      <p>{errors.summary}</p>
      {list.length > 0 && (
        <ul>
          {list.map(([field, message]) => (
            <li key={field}>
              {humanise(field)}: {message}
            </li>
          ))}
        </ul>
      )}
      {children}
    </div>
  );
}

interface FormProps<V extends Values> {
  form: FormState<V>;
  onSubmit: () => Promise<unknown>;
  submitLabel: string;
  children: ComponentChildren;
  extraButtons?: ComponentChildren;
  /** Shown inside the alert box, e.g. a Reload button on a stale version. */
  alertExtra?: ComponentChildren;
  class?: string;
}

export function Form<V extends Values>({ form, onSubmit, submitLabel, children, extraButtons, alertExtra, class: cls }: FormProps<V>) {
  const submit = (e: Event) => {
    e.preventDefault();
    void attempt(form, onSubmit);
  };
  return (
    <form class={cls ?? 'form'} onSubmit={submit} noValidate>
      <ErrorSummary errors={form.errors}>{alertExtra}</ErrorSummary>
      {children}
      <div class="buttons">
        <button type="submit" class="primary" disabled={form.busy}>
          {submitLabel}
        </button>
        {extraButtons}
      </div>
    </form>
  );
}

/** The few input attributes the console's fields use. */
interface InputProps {
  type?: 'text' | 'email' | 'password' | 'search' | 'checkbox' | 'number' | 'date' | 'datetime-local';
  autoComplete?: string;
  required?: boolean;
  autoFocus?: boolean;
  inputMode?: 'numeric' | 'text' | 'email';
  placeholder?: string;
  disabled?: boolean;
  readOnly?: boolean;
}

interface FieldProps<V extends Values> extends InputProps {
  form: FormState<V>;
  name: keyof V & string;
  label: string;
  /** The field's name in the API's errors when it differs from `name` (e.g. `location.name`). */
  apiField?: string;
  hint?: string;
}

/** A labelled text-like input bound to the form, with its error. */
export function Field<V extends Values>({ form, name, label, apiField, hint, type, ...rest }: FieldProps<V>) {
  const id = fieldId(form.id, name);
  const error = form.errors?.fields[apiField ?? name];
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  if (type === 'checkbox') {
    return (
      <div class={`field checkbox${error ? ' invalid' : ''}`}>
        <input
          id={id}
          type="checkbox"
          checked={form.values[name] === true}
          onChange={(e) => form.set(name, e.currentTarget.checked as V[typeof name])}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          {...rest}
        />
        <label for={id}>{label}</label>
        {hint && <p id={`${id}-hint`} class="hint">{hint}</p>}
        {error && <p id={`${id}-error`} class="field-error">{error}</p>}
      </div>
    );
  }
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>{label}</label>
      {hint && <p id={`${id}-hint`} class="hint">{hint}</p>}
      <input
        id={id}
        type={type ?? 'text'}
        value={String(form.values[name] ?? '')}
        onInput={(e) => form.set(name, e.currentTarget.value as V[typeof name])}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        {...rest}
      />
      {error && <p id={`${id}-error`} class="field-error">{error}</p>}
    </div>
  );
}

interface SelectProps<V extends Values> {
  form: FormState<V>;
  name: keyof V & string;
  label: string;
  apiField?: string;
  options: { value: string; label: string }[];
  hint?: string;
}

export function Select<V extends Values>({ form, name, label, apiField, options, hint }: SelectProps<V>) {
  const id = fieldId(form.id, name);
  const error = form.errors?.fields[apiField ?? name];
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>{label}</label>
      {hint && <p id={`${id}-hint`} class="hint">{hint}</p>}
      <select
        id={id}
        value={String(form.values[name] ?? '')}
        onChange={(e) => form.set(name, e.currentTarget.value as V[typeof name])}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : hint ? `${id}-hint` : undefined}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {error && <p id={`${id}-error`} class="field-error">{error}</p>}
    </div>
  );
}

/** `practitioner.npi` as "Practitioner npi", for the alert's list. */
export function humanise(field: string): string {
  const s = field.replace(/[._]/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Inside a form's alert when the problem says the resource changed since it was read (412). */
export function StaleReload({ errors, onReload }: { errors: FormErrors | null; onReload: () => void }) {
  return isStale(errors) ? (
    <button type="button" onClick={onReload}>
      Reload
    </button>
  ) : null;
}
