import { parseCustomerEvent } from '@tandem/contracts';
import { generateCustomerBase } from '@tandem/sandbox';
import { buildCrmEvent, CRM_CONTRACT_LIMITS, mapCrmContact } from './crm-contact.mapper';
import { formatCrmCursor, InvalidCursorError, isAtOrBefore, parseCrmCursor, updatedAfterFor } from './crm-cursor';

const contact = { id: '51', properties: { email: 'Anna.Berg@Example.com', firstname: 'Anna', lastname: 'Berg', phone: '+44 7700 900123', city: '' }, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-02-01T10:00:00.000Z', archived: false };

describe('mapCrmContact', () => {
  it('should map a contact to customer.upserted with a version and id that repeat when pulled again', () => {
    const first = mapCrmContact('crm', contact);
    const again = mapCrmContact('crm', { ...contact, properties: { ...contact.properties } });
    if (!first.ok || !again.ok) throw new Error('expected valid events');
    expect(first.value).toMatchObject({ kind: 'customer.upserted', sourceRecordId: '51', recordVersion: Date.parse(contact.updatedAt), attributes: { givenName: 'Anna', familyName: 'Berg' } });
    expect(first.value.attributes.city).toBeUndefined();
    expect(first.value.identifiers).toContainEqual({ type: 'email', value: 'Anna.Berg@Example.com' });
    expect(again.value.eventId).toBe(first.value.eventId);
  });

  it('should map an archived contact to customer.deleted at its archive time', () => {
    const deleted = mapCrmContact('crm', { ...contact, archived: true, archivedAt: '2026-03-01T00:00:00.000Z' });
    if (!deleted.ok) throw new Error('expected a valid event');
    expect(deleted.value).toMatchObject({ kind: 'customer.deleted', recordVersion: Date.parse('2026-03-01T00:00:00.000Z'), attributes: {} });
  });

  it('should return the contract errors when a contact cannot become a valid event', () => {
    const bad = mapCrmContact('crm', { ...contact, properties: { email: 'x'.repeat(400) } });
    expect(bad.ok).toBe(false);
    expect(mapCrmContact('crm', { ...contact, updatedAt: 'yesterday' })).toEqual({ ok: false, errors: ['contact has no valid updatedAt/archivedAt'] });
  });
});

describe('mapCrmContact and the contract', () => {
  it('should accept and refuse exactly what class-validator accepts and refuses', () => {
    const long = (n: number) => 'x'.repeat(n);
    const { attributes } = CRM_CONTRACT_LIMITS;
    const corpus = [
      ...generateCustomerBase({ people: 150, seed: 5 }).crmContacts,
      { ...contact, id: long(CRM_CONTRACT_LIMITS.sourceRecordId) },
      { ...contact, id: long(CRM_CONTRACT_LIMITS.sourceRecordId + 1) },
      { ...contact, properties: { email: long(CRM_CONTRACT_LIMITS.identifier) } },
      { ...contact, properties: { email: long(CRM_CONTRACT_LIMITS.identifier + 1) } },
      { ...contact, properties: { phone: long(CRM_CONTRACT_LIMITS.identifier + 1) } },
      { ...contact, properties: { email: '   ', firstname: '' } },
      ...Object.entries(attributes).flatMap(([name, max]) => {
        const property = { givenName: 'firstname', familyName: 'lastname', birthDate: 'date_of_birth', street: 'address', city: 'city', postcode: 'zip', country: 'country' }[name]!;
        return [{ ...contact, properties: { [property]: long(max) } }, { ...contact, properties: { [property]: long(max + 1) } }];
      }),
      { ...contact, properties: { firstname: 42 as unknown as string } },
      { ...contact, properties: { email: { address: 'a@b' } as unknown as string } },
      { ...contact, updatedAt: '1969-12-31T23:59:59.000Z' },
      { ...contact, updatedAt: '+010000-01-01T00:00:00.000Z' },
      { ...contact, archived: true, archivedAt: '2026-03-01T00:00:00.000Z', properties: { firstname: long(500) } },
    ];
    for (const c of corpus) {
      const built = buildCrmEvent('crm', c);
      if (!built.ok) continue;
      expect({ id: c.id.slice(0, 20), ok: mapCrmContact('crm', c).ok }).toEqual({ id: c.id.slice(0, 20), ok: parseCustomerEvent(JSON.parse(JSON.stringify(built.value))).ok });
    }
  });
});

describe('CRM cursor', () => {
  it('should round-trip and accept a bare instant for both lists', () => {
    const cursor = { contacts: { at: '2026-02-01T10:00:00.000Z', id: '51' }, archived: null };
    expect(formatCrmCursor(cursor)).toBe('contacts=2026-02-01T10:00:00.000Z/51');
    expect(parseCrmCursor(formatCrmCursor(cursor))).toEqual(cursor);
    expect(parseCrmCursor('2026-02-01')).toEqual({ contacts: { at: '2026-02-01T00:00:00.000Z', id: null }, archived: { at: '2026-02-01T00:00:00.000Z', id: null } });
    expect(parseCrmCursor(null)).toEqual({ contacts: null, archived: null });
  });

  it('should ask again for the mark\'s millisecond and skip only what was taken in it', () => {
    const mark = { at: '2026-02-01T10:00:00.000Z', id: '51' };
    const at = Date.parse(mark.at);
    expect(updatedAfterFor(mark)).toBe('2026-02-01T09:59:59.999Z');
    expect(updatedAfterFor({ ...mark, id: null })).toBe(mark.at);
    expect([isAtOrBefore(mark, at, '9'), isAtOrBefore(mark, at, '51'), isAtOrBefore(mark, at, '100'), isAtOrBefore(mark, at + 1, '1'), isAtOrBefore(mark, at - 1, '999')]).toEqual([true, true, false, false, true]);
  });

  it('should refuse a cursor that is not made of instants', () => {
    expect(() => parseCrmCursor('contacts=soon')).toThrow(InvalidCursorError);
  });
});
