// A temporary password hands its setter the account, so the API refuses it
// (`403 forbidden`, R26) for a user who belongs to another practice, has an
// invitation elsewhere, or holds a permission the setter lacks. The setter
// has users.manage (the form is shown only then), so "no permission" would
// mislead: say what the refusal means and what to do instead (W16).
import type { FormErrors } from './problem';

export function temporaryPasswordErrors(errors: FormErrors, name: string, passwordGiven: boolean): FormErrors {
  if (!passwordGiven || errors.code !== 'forbidden') return errors;
  return {
    ...errors,
    summary: `Roster cannot give ${name} a temporary password: they belong to another practice, have an invitation elsewhere, or hold permissions you lack. Leave the password empty; they can reset their own by email.`,
    fields: { ...errors.fields, temporary_password: 'Not allowed for this user: leave it empty.' },
  };
}
