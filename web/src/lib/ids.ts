// Element ids for form controls. Two forms on one page may have a field of
// the same name (change password and turn two-factor off both ask for the
// current password), so a form with an id prefixes its controls' ids with it;
// a label's `for` and the hint's and error's ids derive from the same value.

/** The id of a form's control: `f-<name>`, or `f-<form id>-<name>` when the form has an id. */
export function fieldId(formId: string | undefined, name: string): string {
  return formId ? `f-${formId}-${name}` : `f-${name}`;
}
