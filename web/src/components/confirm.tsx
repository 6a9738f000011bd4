// A second step before an action that cannot be taken back: the question in
// words, the action named again on the button, and Cancel. Inline rather than
// a modal, so nothing traps focus; focus moves to the question and back.
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';

interface Props {
  /** The button that asks, e.g. "Revoke". */
  label: string;
  /** The question, e.g. "Revoke the invitation to a@b.c? Its link stops working at once." */
  question: ComponentChildren;
  /** The button that acts, e.g. "Yes, revoke". */
  confirmLabel: string;
  onConfirm: () => Promise<unknown> | void;
  busy?: boolean;
  danger?: boolean;
  /** Names the row the button acts on, for a screen reader (aria-describedby). */
  describedBy?: string;
}

export function ConfirmButton({ label, question, confirmLabel, onConfirm, busy, danger = true, describedBy }: Props) {
  const [asking, setAsking] = useState(false);
  const questionId = useId();
  const box = useRef<HTMLDivElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  useEffect(() => {
    if (asking) box.current?.focus();
    else if (wasAsking.current) opener.current?.focus();
    wasAsking.current = asking;
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" ref={opener} class={danger ? 'danger' : undefined} onClick={() => setAsking(true)} disabled={busy} aria-describedby={describedBy}>
        {label}
      </button>
    );
  }
  const confirm = async () => {
    await onConfirm();
    setAsking(false);
  };
  return (
    <div class="confirm" role="group" aria-labelledby={questionId} tabIndex={-1} ref={box} onKeyDown={(e) => e.key === 'Escape' && setAsking(false)}>
      <p id={questionId}>{question}</p>
      <div class="buttons">
        <button type="button" class={danger ? 'danger' : 'primary'} onClick={() => void confirm()} disabled={busy}>
          {confirmLabel}
        </button>
        <button type="button" onClick={() => setAsking(false)}>
          Cancel
        </button>
      </div>
    </div>
  );
}
