import { CustomerAttributesV1, IdentifierV1 } from '@tandem/contracts';
import { DebeziumEnvelope, DebeziumMessage } from './debezium-envelope';

/** A customer row change, mapped to the contract's identifiers and attributes. */
export interface ErpCustomerChange {
  table: 'customers';
  customerId: string;
  lsn: number;
  /** Commit time of the change in the ERP, ISO. */
  occurredAt: string;
  deleted: boolean;
  identifiers: IdentifierV1[];
  attributes: CustomerAttributesV1;
}

/** An order row change: what the personalization aggregates need. */
export interface ErpOrderChange {
  table: 'orders';
  orderId: string;
  orderNumber: string;
  customerId: string;
  lsn: number;
  occurredAt: string;
  deleted: boolean;
  /** A row seen for the first time (insert or snapshot read), as opposed to an update. */
  created: boolean;
  placedAt: string;
  totalCents: number;
  currency: string;
  category: string | null;
}

/** Tombstones, truncates and tables the connector does not know: nothing to do. */
export interface ErpIgnored {
  table: 'ignored';
  why: string;
}

export type ErpChange = ErpCustomerChange | ErpOrderChange | ErpIgnored;
export type MappedChange = { ok: true; value: ErpChange } | { ok: false; errors: string[] };

export interface ErpMappingOptions {
  source: string;
  /** The ERP's own currency codes that are not ISO 4217 (`EURO` → `EUR`), upper-case keys. */
  currencyAliases: Record<string, string>;
}

/**
 * Maps a decoded Debezium message of `customers` or `orders` to what the connector applies.
 * Everything a bad row could break is checked here, so such a row goes to the dead letters with
 * its reason before any state changes.
 */
export function mapErpChange(message: DebeziumMessage, options: ErpMappingOptions): MappedChange {
  if (message.kind === 'tombstone') return { ok: true, value: { table: 'ignored', why: 'tombstone' } };
  const envelope = message.envelope;
  if (envelope.op === 't') return { ok: true, value: { table: 'ignored', why: 'truncate' } };
  switch (envelope.source.table) {
    case 'customers':
      return mapCustomer(envelope, options);
    case 'orders':
      return mapOrder(envelope, options);
    default:
      return { ok: true, value: { table: 'ignored', why: `table ${envelope.source.table}` } };
  }
}

function mapCustomer(envelope: DebeziumEnvelope, options: ErpMappingOptions): MappedChange {
  const deleted = envelope.op === 'd';
  const row = (deleted ? envelope.before : envelope.after) as Record<string, unknown>;
  const errors: string[] = [];
  const customerId = idOf(row.id);
  if (!customerId) errors.push('customers.id is missing');
  const customerNumber = text(row.customer_number);
  if (!customerNumber) errors.push('customers.customer_number is missing');
  if (errors.length) return { ok: false, errors };
  const identifiers: IdentifierV1[] = [{ type: 'customerNumber', value: customerNumber! }];
  const email = text(row.email);
  const phone = text(row.phone);
  if (email) identifiers.push({ type: 'email', value: email });
  if (phone) identifiers.push({ type: 'phone', value: phone });
  const attributes: CustomerAttributesV1 = {};
  const tooLong: string[] = identifiers.filter((i) => i.value.length > IDENTIFIER_MAX).map((i) => `identifier ${i.type} is longer than ${IDENTIFIER_MAX} characters`);
  // The contract's length limits, checked by hand: class-validator per row would cost more than
  // everything else the mapping does (the spec checks these limits against the contract's).
  const attribute = (name: keyof typeof ATTRIBUTE_MAX, value: string | undefined) => {
    if (value === undefined) return;
    if (value.length > ATTRIBUTE_MAX[name]) tooLong.push(`${name} is longer than ${ATTRIBUTE_MAX[name]} characters`);
    attributes[name] = value;
  };
  attribute('givenName', text(row.first_name));
  attribute('familyName', text(row.last_name));
  attribute('street', text(row.street));
  attribute('postcode', text(row.postcode));
  attribute('city', text(row.city));
  attribute('country', text(row.country));
  attribute('birthDate', dateOf(row.birth_date));
  const occurredAt = new Date(envelope.source.ts_ms).toISOString();
  if (customerId!.length > 200) tooLong.push('customers.id is longer than 200 characters');
  if (tooLong.length) return { ok: false, errors: tooLong };
  return { ok: true, value: { table: 'customers', customerId: customerId!, lsn: envelope.source.lsn, occurredAt, deleted, identifiers, attributes } };
}

function mapOrder(envelope: DebeziumEnvelope, options: ErpMappingOptions): MappedChange {
  const deleted = envelope.op === 'd';
  const row = (deleted ? envelope.before : envelope.after) as Record<string, unknown>;
  const errors: string[] = [];
  const orderId = idOf(row.id);
  if (!orderId) errors.push('orders.id is missing');
  const customerId = idOf(row.customer_id);
  if (!customerId) errors.push('orders.customer_id is missing');
  const placedAt = timestampOf(row.placed_at);
  if (!placedAt) errors.push('orders.placed_at is not a timestamp');
  const total = typeof row.total === 'number' ? row.total : typeof row.total === 'string' && /^\d+(\.\d+)?$/.test(row.total.trim()) ? Number(row.total) : NaN;
  if (!Number.isFinite(total) || total < 0) errors.push('orders.total is not a non-negative decimal');
  const rawCurrency = (text(row.currency) ?? '').toUpperCase();
  const currency = options.currencyAliases[rawCurrency] ?? rawCurrency;
  if (!/^[A-Z]{3}$/.test(currency)) errors.push(`orders.currency "${rawCurrency.slice(0, 20)}" is not an ISO 4217 code (map it with ERP_CURRENCY_ALIASES)`);
  const category = text(row.category);
  if (category && category.length > 100) errors.push('orders.category is longer than 100 characters');
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      table: 'orders',
      orderId: orderId!,
      orderNumber: text(row.order_number) ?? orderId!,
      customerId: customerId!,
      lsn: envelope.source.lsn,
      occurredAt: new Date(envelope.source.ts_ms).toISOString(),
      deleted,
      created: envelope.op === 'c' || envelope.op === 'r',
      placedAt: placedAt!,
      totalCents: Math.round(total * 100),
      currency,
      category: category ?? null,
    },
  };
}

/** The contract's limits (CustomerEventV1) for what the ERP mapping fills. */
export const IDENTIFIER_MAX = 320;
export const ATTRIBUTE_MAX = { givenName: 200, familyName: 200, street: 300, postcode: 40, city: 200, country: 100, birthDate: 40 } as const;

/** `EURO:EUR,KR:SEK` → `{ EURO: 'EUR', KR: 'SEK' }`. */
export function parseCurrencyAliases(setting: string): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const pair of setting.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [from, to] = pair.split(':').map((p) => p.trim().toUpperCase());
    if (from && to) aliases[from] = to;
  }
  return aliases;
}

function idOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return undefined;
}

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return typeof value === 'number' ? String(value) : undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** Debezium sends a PostgreSQL `date` as days since 1970-01-01; other producers send ISO strings. */
function dateOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return new Date(value * 86_400_000).toISOString().slice(0, 10);
  return text(value);
}

/** `timestamptz` arrives as an ISO string; `timestamp` as epoch microseconds (MicroTimestamp). */
function timestampOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return new Date(Math.floor(value / 1000)).toISOString();
  if (typeof value !== 'string') return undefined;
  // Already what toISOString would make of it (UTC, milliseconds, a day every month has): kept,
  // not parsed and printed again. Date.parse moves an overflowing day on (Feb 30 -> Mar 2), so
  // days 29-31 take that path.
  if (CANONICAL_INSTANT.test(value)) return value;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

const CANONICAL_INSTANT = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;
