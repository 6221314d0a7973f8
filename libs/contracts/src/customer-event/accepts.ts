import { CONSENT_CHANNELS, CUSTOMER_EVENT_KINDS, IDENTIFIER_TYPES, type CustomerEventV1 } from './customer-event.v1';

// A hand-written check of the v1 contract for the hot path (every consumed event). It is conservative:
// whatever it accepts, the class-validator rules of CustomerEventV1 accept too (a spec fuzzes both
// against each other); whatever it does not accept goes through class-validator, which decides and
// words the errors. So it changes the cost of a valid event (about 40 µs less), never a verdict.

const KINDS: ReadonlySet<string> = new Set(CUSTOMER_EVENT_KINDS);
const IDENTIFIER_KINDS: ReadonlySet<string> = new Set(IDENTIFIER_TYPES);
const CHANNELS: ReadonlySet<string> = new Set(CONSENT_CHANNELS);
const TOP = new Set(['schemaVersion', 'eventId', 'source', 'sourceRecordId', 'recordVersion', 'kind', 'occurredAt', 'identifiers', 'attributes', 'consents', 'order', 'personalization']);
/** Attribute names with their maximum lengths. */
const ATTRIBUTES = new Map<string, number>([
  ['givenName', 200],
  ['familyName', 200],
  ['fullName', 400],
  ['birthDate', 40],
  ['gender', 40],
  ['street', 300],
  ['houseNumber', 40],
  ['postcode', 40],
  ['city', 200],
  ['region', 200],
  ['country', 100],
  ['locale', 40],
]);
const UUID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$/i;
const SOURCE = /^[a-z][a-z0-9-]{0,39}$/;
const CURRENCY = /^[A-Z]{3}$/;
/** The instants toISOString writes (a subset of strict ISO 8601). */
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?Z$/;
const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** True only when `input` certainly satisfies the v1 contract (see the note above). */
export function acceptsCustomerEvent(input: unknown): input is CustomerEventV1 {
  if (!isPlainObject(input)) return false;
  for (const key of Object.keys(input)) if (!TOP.has(key)) return false;
  const e = input as Record<string, unknown>;
  if (e.schemaVersion !== 1) return false;
  if (typeof e.eventId !== 'string' || !UUID.test(e.eventId)) return false;
  if (typeof e.source !== 'string' || !SOURCE.test(e.source)) return false;
  if (!isText(e.sourceRecordId, 1, 200)) return false;
  if (!isNonNegativeInt(e.recordVersion)) return false;
  if (typeof e.kind !== 'string' || !KINDS.has(e.kind)) return false;
  if (!isInstant(e.occurredAt)) return false;
  if (!Array.isArray(e.identifiers) || e.identifiers.length > 50) return false;
  for (const id of e.identifiers) {
    if (!isPlainObject(id)) return false;
    for (const key of Object.keys(id)) if (key !== 'type' && key !== 'value' && key !== 'verified') return false;
    const i = id as Record<string, unknown>;
    if (typeof i.type !== 'string' || !IDENTIFIER_KINDS.has(i.type)) return false;
    if (!isText(i.value, 1, 320)) return false;
    if (i.verified !== undefined && i.verified !== null && typeof i.verified !== 'boolean') return false;
  }
  if (!isPlainObject(e.attributes)) return false;
  for (const [key, value] of Object.entries(e.attributes)) {
    const max = ATTRIBUTES.get(key);
    if (max === undefined) return false;
    if (value !== undefined && value !== null && !isText(value, 0, max)) return false;
  }
  if (e.consents !== undefined && e.consents !== null) {
    if (!Array.isArray(e.consents) || e.consents.length > 20) return false;
    for (const consent of e.consents) {
      if (!isPlainObject(consent)) return false;
      for (const key of Object.keys(consent)) if (key !== 'channel' && key !== 'purpose' && key !== 'status') return false;
      const c = consent as Record<string, unknown>;
      if (typeof c.channel !== 'string' || !CHANNELS.has(c.channel)) return false;
      if (c.purpose !== undefined && c.purpose !== null && !isText(c.purpose, 0, 80)) return false;
      if (c.status !== 'granted' && c.status !== 'withdrawn') return false;
    }
  }
  if (e.order !== undefined && e.order !== null && !acceptsOrder(e.order)) return false;
  if (e.personalization !== undefined && e.personalization !== null && !acceptsPersonalization(e.personalization)) return false;
  return true;
}

function acceptsOrder(order: unknown): boolean {
  if (!isPlainObject(order)) return false;
  for (const key of Object.keys(order)) if (key !== 'orderId' && key !== 'placedAt' && key !== 'total' && key !== 'currency' && key !== 'lines') return false;
  const o = order as Record<string, unknown>;
  if (!isText(o.orderId, 1, 100) || !isInstant(o.placedAt) || !isNonNegativeNumber(o.total) || typeof o.currency !== 'string' || !CURRENCY.test(o.currency)) return false;
  if (o.lines === undefined || o.lines === null) return true;
  if (!Array.isArray(o.lines) || o.lines.length > 500) return false;
  for (const line of o.lines) {
    if (!isPlainObject(line)) return false;
    for (const key of Object.keys(line)) if (key !== 'sku' && key !== 'category' && key !== 'quantity' && key !== 'unitPrice') return false;
    const l = line as Record<string, unknown>;
    if (!isText(l.sku, 0, 100)) return false;
    if (l.category !== undefined && l.category !== null && !isText(l.category, 0, 100)) return false;
    if (typeof l.quantity !== 'number' || !Number.isInteger(l.quantity) || l.quantity < 1) return false;
    if (!isNonNegativeNumber(l.unitPrice)) return false;
  }
  return true;
}

function acceptsPersonalization(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  const p = value as Record<string, unknown>;
  for (const [key, v] of Object.entries(p)) {
    if (v === undefined || v === null) {
      if (key === 'lastOrderAt' || key === 'orderCount' || key === 'lifetimeValue' || key === 'currency' || key === 'favouriteCategory') continue;
      return false;
    }
    switch (key) {
      case 'lastOrderAt':
        if (!isInstant(v)) return false;
        break;
      case 'orderCount':
        if (!isNonNegativeInt(v)) return false;
        break;
      case 'lifetimeValue':
        if (!isNonNegativeNumber(v)) return false;
        break;
      case 'currency':
        if (typeof v !== 'string' || !CURRENCY.test(v)) return false;
        break;
      case 'favouriteCategory':
        if (!isText(v, 0, 100)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A string whose length, counted as class-validator counts it, is within [min, max]. */
function isText(value: unknown, min: number, max: number): boolean {
  if (typeof value !== 'string') return false;
  let length = value.length;
  // Surrogate pairs and variation selectors count as one character (validator's isLength).
  if (/[\uD800-\uDFFF\uFE0E\uFE0F]/.test(value)) {
    length -= (value.match(/[^\uFE0F\uFE0E][\uFE0F\uFE0E]/g) ?? []).length + (value.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g) ?? []).length;
  }
  return length >= min && length <= max;
}

function isNonNegativeInt(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isNonNegativeNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isInstant(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const m = INSTANT.exec(value);
  if (!m) return false;
  const year = Number(m[1]);
  if (year < 1000) return false;
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > DAYS[month - 1]) return false;
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return false;
  return true;
}
