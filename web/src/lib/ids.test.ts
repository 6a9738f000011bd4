import { describe, expect, it } from 'vitest';
import { fieldId } from './ids';

describe('form control ids', () => {
  it('keeps the plain id for a form without an id', () => {
    expect(fieldId(undefined, 'email')).toBe('f-email');
  });

  it('gives two forms with the same field name different ids', () => {
    const a = fieldId('password', 'current_password');
    const b = fieldId('mfa-off', 'current_password');
    expect(a).toBe('f-password-current_password');
    expect(b).toBe('f-mfa-off-current_password');
    expect(a).not.toBe(b);
  });
});
