import { customerEventId, CustomerEventV1 } from '@tandem/contracts';
import { generateRecords, type SyntheticRecord } from '@tandem/synthetic';

// The benchmarks' synthetic stream: seeded people from @tandem/synthetic as canonical events of three
// sources. bench:pipeline puts it on Kafka; bench:planner reads the same events as the identity app does.

export const SOURCES = ['bench-crm', 'bench-erp', 'bench-mkt'];

export function toEvent(r: SyntheticRecord, index: number, version = 1): CustomerEventV1 {
  const source = SOURCES[index % SOURCES.length];
  const identifiers: CustomerEventV1['identifiers'] = [];
  if (r.email) identifiers.push({ type: 'email', value: r.email });
  if (r.phone) identifiers.push({ type: 'phone', value: r.phone });
  const attributes: Record<string, string> = {};
  for (const k of ['givenName', 'familyName', 'birthDate', 'street', 'houseNumber', 'city', 'postcode'] as const) if (r[k]) attributes[k] = r[k];
  return {
    schemaVersion: 1,
    eventId: customerEventId(source, r.recordId, version),
    source,
    sourceRecordId: r.recordId,
    recordVersion: version,
    kind: 'customer.upserted',
    occurredAt: new Date(1_763_800_000_000 + index * 1000).toISOString(),
    identifiers,
    attributes,
  } as CustomerEventV1;
}

/** Events `skip` to `skip + count` of the seeded stream (the generator's first records do not depend on how many it makes). */
export function* syntheticEvents(count: number, seed: number, offset = 0, skip = 0): Generator<CustomerEventV1> {
  let i = 0;
  for (const r of generateRecords({ records: skip + count, seed })) {
    if (i++ < skip) continue;
    yield toEvent({ ...r, recordId: `${r.recordId}-${seed}` }, offset + i - 1);
  }
}
