import { createHmac } from 'node:crypto';
import { Mask } from './fields';

/**
 * A value as a policy lets it be seen. `partial` keeps what helps a person recognise it
 * (`+46******12`, `a***@example.com`, `SW******`); `year` keeps the year of a date; `hash` is a
 * keyed pseudonym, stable within one database, that joins records without revealing the value.
 */
export function maskValue(field: string, value: string, mask: Mask, pseudonymKey: Buffer): string {
  switch (mask) {
    case 'year': {
      const year = /^(\d{4})/.exec(value);
      return year ? year[1] : '****';
    }
    case 'hash':
      return createHmac('sha256', pseudonymKey).update(`${field}:${value}`).digest('base64url').slice(0, 22);
    case 'partial':
      if (field === 'phone') return maskPhone(value);
      if (field === 'email') return maskEmail(value);
      return value.length <= 2 ? '*'.repeat(value.length) : value.slice(0, 2) + '*'.repeat(value.length - 2);
  }
}

/** `+46701234512` → `+46*******12`: the country code and the last two digits stay. */
export function maskPhone(value: string): string {
  if (value.length <= 5) return '*'.repeat(value.length);
  return value.slice(0, 3) + '*'.repeat(value.length - 5) + value.slice(-2);
}

/** `anna.berg@example.com` → `a***@example.com`. */
export function maskEmail(value: string): string {
  const at = value.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${value[0]}***${value.slice(at)}`;
}
