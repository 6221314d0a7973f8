import { customerEventId, CustomerEventV1 } from '@tandem/contracts';

/** A canonical event for a made-up person; every name and address here is fictitious. */
export function customerEvent(overrides: Partial<CustomerEventV1> & { source: string; sourceRecordId: string; recordVersion: number }): CustomerEventV1 {
  const { source, sourceRecordId, recordVersion } = overrides;
  return {
    schemaVersion: 1,
    eventId: customerEventId(source, sourceRecordId, recordVersion),
    kind: 'customer.upserted',
    occurredAt: new Date(1_763_800_000_000 + recordVersion * 1000).toISOString(),
    identifiers: [{ type: 'email', value: 'test.person@example.invalid' }],
    attributes: { givenName: 'Testa', familyName: 'Personne', city: 'Nowhere' },
    ...overrides,
  } as CustomerEventV1;
}
