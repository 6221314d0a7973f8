import { customerEventId, CustomerEventV1, IdentifierV1, Parsed, parseCustomerEvent } from '@tandem/contracts';

/** A Segment HTTP tracking API message (identify, track, …) as sent by any Segment SDK. */
export type SegmentMessage = Record<string, unknown> & { type?: string; messageId?: string };

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : typeof value === 'number' ? String(value) : undefined);
const obj = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : undefined);

export type MappedMessage = { outcome: 'event'; event: CustomerEventV1 } | { outcome: 'ignored' } | { outcome: 'invalid'; recordId: string; errors: string[] };

/**
 * identify → customer.upserted (traits per Segment's reserved-traits spec), track "Order Completed"
 * → order.placed (Segment's e-commerce spec); other types and events are accepted and not turned
 * into customer events. The record is the user (`userId`, else `anonymousId`), or `order:<id>` for
 * an order; the event id also
 * depends on `messageId`, so a message sent twice is one event downstream.
 */
export function mapSegmentMessage(source: string, message: SegmentMessage, receivedAt: Date): MappedMessage {
  const type = message.type;
  if (type !== 'identify' && type !== 'track') return { outcome: 'ignored' };
  if (type === 'track' && message.event !== 'Order Completed') return { outcome: 'ignored' };
  const userId = text(message.userId);
  const anonymousId = text(message.anonymousId);
  const userRecord = userId ?? (anonymousId ? `anonymous:${anonymousId}` : '');
  if (!userRecord) return { outcome: 'invalid', recordId: 'unknown', errors: ['userId or anonymousId is required'] };
  // An order is its own record, linked to the person by its identifiers: were it the user's record,
  // the hub (which keeps the latest state per record) would lose the traits the identify brought.
  const orderId = type === 'track' ? text(obj(message.properties).order_id) ?? text(obj(message.properties).orderId) : undefined;
  if (type === 'track' && !orderId) return { outcome: 'invalid', recordId: userRecord, errors: ['Order Completed needs properties.order_id'] };
  const recordId = orderId ? `order:${orderId}` : userRecord;
  const at = Date.parse(text(message.timestamp) ?? text(message.sentAt) ?? receivedAt.toISOString());
  if (Number.isNaN(at)) return { outcome: 'invalid', recordId, errors: ['timestamp is not an ISO 8601 date'] };

  const traits = obj(type === 'identify' ? message.traits : obj(message.context).traits);
  const identifiers: IdentifierV1[] = [];
  if (userId) identifiers.push({ type: 'userId', value: userId });
  if (anonymousId) identifiers.push({ type: 'anonymousId', value: anonymousId });
  if (text(traits.email)) identifiers.push({ type: 'email', value: text(traits.email)! });
  if (text(traits.phone)) identifiers.push({ type: 'phone', value: text(traits.phone)! });
  const address = obj(traits.address);
  const attributes = dropEmpty({
    givenName: text(traits.firstName) ?? text(traits.first_name),
    familyName: text(traits.lastName) ?? text(traits.last_name),
    fullName: text(traits.name),
    birthDate: text(traits.birthday),
    gender: text(traits.gender),
    street: text(address.street),
    postcode: text(address.postalCode) ?? text(address.postal_code),
    city: text(address.city),
    region: text(address.state),
    country: text(address.country),
  });

  let order: Record<string, unknown> | undefined;
  if (type === 'track') {
    const properties = obj(message.properties);
    const products = Array.isArray(properties.products) ? properties.products.map(obj) : [];
    order = {
      orderId,
      placedAt: new Date(at).toISOString(),
      total: num(properties.total) ?? num(properties.revenue),
      currency: (text(properties.currency) ?? 'USD').toUpperCase(),
      lines: products.map((product) => ({ sku: text(product.sku) ?? text(product.product_id), category: text(product.category), quantity: num(product.quantity) ?? 1, unitPrice: num(product.price) ?? 0 })),
    };
  }
  const parsed: Parsed<CustomerEventV1> = parseCustomerEvent({
    schemaVersion: 1,
    eventId: customerEventId(source, recordId, at, text(message.messageId) ?? ''),
    source,
    sourceRecordId: recordId,
    recordVersion: at,
    kind: type === 'identify' ? 'customer.upserted' : 'order.placed',
    occurredAt: new Date(at).toISOString(),
    identifiers,
    attributes,
    ...(order ? { order } : {}),
  });
  return parsed.ok ? { outcome: 'event', event: parsed.value } : { outcome: 'invalid', recordId, errors: parsed.errors };
}

function dropEmpty(values: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
