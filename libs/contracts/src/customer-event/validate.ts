import { plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';
import { acceptsCustomerEvent } from './accepts';
import { CustomerEventV1 } from './customer-event.v1';

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/**
 * Validates a decoded message against the v1 contract. Unknown fields are refused rather than
 * silently dropped: a producer that sends them has a bug worth seeing in the dead letters.
 */
export function parseCustomerEvent(input: unknown): Parsed<CustomerEventV1> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: ['event must be a JSON object'] };
  }
  // The common case, valid, without class-validator's cost; anything else is decided (and its errors worded) by it.
  if (acceptsCustomerEvent(input)) return { ok: true, value: input };
  const event = plainToInstance(CustomerEventV1, input);
  const errors = validateSync(event, { whitelist: true, forbidNonWhitelisted: true });
  return errors.length ? { ok: false, errors: flatten(errors) } : { ok: true, value: event };
}

/** Parses raw message bytes: not JSON and not the contract are both reported, never thrown. */
export function decodeCustomerEvent(bytes: Buffer | null): Parsed<CustomerEventV1> {
  if (!bytes || bytes.length === 0) return { ok: false, errors: ['message has no value'] };
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return { ok: false, errors: ['message is not valid JSON'] };
  }
  return parseCustomerEvent(json);
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => (message.startsWith(error.property) ? `${prefix ? prefix + '.' : ''}${message}` : `${path}: ${message}`));
    return [...own, ...flatten(error.children ?? [], path)];
  });
}
