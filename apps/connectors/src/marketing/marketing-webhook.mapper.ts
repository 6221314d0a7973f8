import { createHash } from 'node:crypto';
import { customerEventId, CustomerEventKind, CustomerEventV1, IdentifierV1, Parsed, parseCustomerEvent } from '@tandem/contracts';

/** A Mailchimp-style webhook after form decoding: `data[merges][FNAME]` becomes `data.merges.FNAME`. */
export interface MarketingWebhookForm {
  type?: string;
  fired_at?: string;
  data?: Record<string, unknown>;
}

/** Decodes `application/x-www-form-urlencoded` with bracketed keys into nested objects. */
export function decodeWebhookForm(body: string): MarketingWebhookForm {
  const out: Record<string, unknown> = {};
  new URLSearchParams(body).forEach((value, key) => {
    const path = keyPath(key);
    if (path === null) return;
    let node = out;
    const last = path.length - 1;
    for (let i = 0; i < last; i++) {
      const part = path[i];
      node = (node[part] = typeof node[part] === 'object' && node[part] !== null ? node[part] : {}) as Record<string, unknown>;
    }
    if (last >= 0) node[path[last]] = value;
  });
  return out as MarketingWebhookForm;
}

// Every webhook repeats the same few keys (`data[merges][FNAME]`…): each is split once.
const KEY_PATHS = new Map<string, string[] | null>();
const KEY_PATHS_KEPT = 1000;

/** `data[merges][FNAME]` → ['data', 'merges', 'FNAME']; null for a key that would reach a prototype. */
function keyPath(key: string): string[] | null {
  const known = KEY_PATHS.get(key);
  if (known !== undefined) return known;
  const parts = key.split(/\]?\[|\]/).filter(Boolean);
  const path = parts.some((part) => part === '__proto__' || part === 'constructor' || part === 'prototype') ? null : parts;
  if (KEY_PATHS.size < KEY_PATHS_KEPT) KEY_PATHS.set(key, path);
  return path;
}

const KIND: Record<string, CustomerEventKind> = {
  subscribe: 'consent.changed',
  unsubscribe: 'email.unsubscribed',
  profile: 'customer.upserted',
  upemail: 'email.changed',
  cleaned: 'email.bounced',
};

/** A list member's id, Mailchimp's way: the MD5 of the lower-cased address. */
export function memberId(email: string): string {
  return createHash('md5').update(email.toLowerCase()).digest('hex');
}

/** A non-blank string, else undefined. */
export const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value : undefined);

/** What a member's address and merge fields say of the person, for a webhook and a pulled member alike. */
export function memberContact(address: string | undefined, merges: Record<string, unknown>): { identifiers: IdentifierV1[]; attributes: Record<string, string> } {
  const identifiers: IdentifierV1[] = [];
  if (address) identifiers.push({ type: 'email', value: address });
  if (text(merges.PHONE)) identifiers.push({ type: 'phone', value: String(merges.PHONE) });
  const attributes: Record<string, string> = {};
  if (text(merges.FNAME)) attributes.givenName = String(merges.FNAME);
  if (text(merges.LNAME)) attributes.familyName = String(merges.LNAME);
  return { identifiers, attributes };
}

/**
 * subscribe → consent.changed (email granted), unsubscribe → email.unsubscribed (withdrawn),
 * profile → customer.upserted, upemail → email.changed (same member, new address),
 * cleaned → email.bounced. Version = `fired_at` in ms.
 */
export function mapMarketingWebhook(source: string, form: MarketingWebhookForm): Parsed<CustomerEventV1> & { recordId: string } {
  const data = (form.data ?? {}) as Record<string, unknown>;
  const merges = (typeof data.merges === 'object' && data.merges !== null ? data.merges : {}) as Record<string, unknown>;
  const kind = form.type ? KIND[form.type] : undefined;
  const email = text(data.email) ?? text(merges.EMAIL);
  const recordId = form.type === 'upemail' ? (text(data.old_email) ? memberId(String(data.old_email)) : '') : text(data.id) ?? (email ? memberId(email) : '');
  if (!kind) return { ok: false, errors: [`unknown webhook type "${String(form.type ?? '').slice(0, 40)}"`], recordId: recordId || 'unknown' };
  if (!recordId) return { ok: false, errors: ['webhook names no list member (no id or email)'], recordId: 'unknown' };
  const firedAt = Date.parse(`${text(form.fired_at) ?? ''}Z`.replace(' ', 'T'));
  if (Number.isNaN(firedAt)) return { ok: false, errors: ['fired_at is not a "YYYY-MM-DD HH:MM:SS" time'], recordId };

  const { identifiers, attributes } = memberContact(form.type === 'upemail' ? text(data.new_email) : email, merges);
  const consents =
    form.type === 'subscribe' ? [{ channel: 'email', status: 'granted' }] : form.type === 'unsubscribe' ? [{ channel: 'email', status: 'withdrawn' }] : undefined;

  const parsed = parseCustomerEvent({
    schemaVersion: 1,
    eventId: customerEventId(source, recordId, firedAt, form.type),
    source,
    sourceRecordId: recordId,
    recordVersion: firedAt,
    kind,
    occurredAt: new Date(firedAt).toISOString(),
    identifiers,
    attributes,
    ...(consents ? { consents } : {}),
  });
  return { ...parsed, recordId };
}
