import { mapSegmentMessage } from './segment-message.mapper';

const now = new Date('2026-11-20T10:00:00Z');

describe('mapSegmentMessage', () => {
  it('should map identify traits (reserved names, nested address) to the contract', () => {
    const mapped = mapSegmentMessage('segment', { type: 'identify', userId: 'u1', anonymousId: 'a1', messageId: 'm1', timestamp: '2026-11-19T09:00:00Z', traits: { email: 'Ann@Example.invalid', firstName: 'Ann', last_name: 'Lee', address: { city: 'Leeds', postalCode: 'LS1 1AA' } } }, now);
    if (mapped.outcome !== 'event') throw new Error(JSON.stringify(mapped));
    expect(mapped.event).toMatchObject({ kind: 'customer.upserted', sourceRecordId: 'u1', recordVersion: Date.parse('2026-11-19T09:00:00Z'), attributes: { givenName: 'Ann', familyName: 'Lee', city: 'Leeds', postcode: 'LS1 1AA' } });
    expect(mapped.event.identifiers).toEqual([{ type: 'userId', value: 'u1' }, { type: 'anonymousId', value: 'a1' }, { type: 'email', value: 'Ann@Example.invalid' }]);
  });

  it('should give the same event id to the same message and another to another messageId', () => {
    const message = { type: 'identify', userId: 'u1', messageId: 'm1', timestamp: '2026-11-19T09:00:00Z' };
    const id = (m: Record<string, unknown>) => {
      const mapped = mapSegmentMessage('segment', m, now);
      return mapped.outcome === 'event' ? mapped.event.eventId : null;
    };
    expect(id(message)).toBe(id({ ...message }));
    expect(id({ ...message, messageId: 'm2' })).not.toBe(id(message));
  });

  it('should make an Order Completed its own order record, and ignore other events and types', () => {
    const order = mapSegmentMessage('segment', { type: 'track', event: 'Order Completed', userId: 'u1', properties: { order_id: 'o9', total: 30, currency: 'gbp', products: [{ sku: 's1', quantity: 2, price: 15 }] } }, now);
    if (order.outcome !== 'event') throw new Error(JSON.stringify(order));
    expect(order.event).toMatchObject({ kind: 'order.placed', sourceRecordId: 'order:o9', order: { orderId: 'o9', total: 30, currency: 'GBP', lines: [{ sku: 's1', quantity: 2, unitPrice: 15 }] } });
    expect(mapSegmentMessage('segment', { type: 'track', event: 'Product Viewed', userId: 'u1' }, now)).toEqual({ outcome: 'ignored' });
    expect(mapSegmentMessage('segment', { type: 'page', userId: 'u1' }, now)).toEqual({ outcome: 'ignored' });
  });

  it('should refuse a message without a user, or with a bad timestamp, with the reason', () => {
    expect(mapSegmentMessage('segment', { type: 'identify', traits: {} }, now)).toMatchObject({ outcome: 'invalid', errors: ['userId or anonymousId is required'] });
    expect(mapSegmentMessage('segment', { type: 'identify', userId: 'u1', timestamp: 'soon' }, now)).toMatchObject({ outcome: 'invalid' });
  });
});
