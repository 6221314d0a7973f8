import type { RecordIdentifier } from '@tandem/identity-engine';
import type { AttributeLineage } from '@tandem/persistence';
import type { StoredRecord } from './record-model';

/** What survivorship reads of a member record (a ResolvedRecord is one). */
export interface SurvivorshipRecord {
  stored: Pick<StoredRecord, 'source' | 'sourceRecordId' | 'occurredAt' | 'attributes'>;
  /** `source NUL sourceRecordId`. */
  sortKey: string;
  /** Normalized identifiers (email, phone, …) with their verified flag. */
  identifiers: readonly RecordIdentifier[];
}

const PERSON_FIELDS = ['givenName', 'familyName', 'fullName', 'birthDate', 'gender', 'locale'] as const;
const ADDRESS_FIELDS = ['street', 'houseNumber', 'postcode', 'city', 'region', 'country'] as const;

export interface GoldenRecord {
  golden: Record<string, unknown>;
  lineage: Record<string, AttributeLineage>;
}

/** Most recent first; ties by (source, record id) so the result never depends on arrival order. */
function byRecency(a: SurvivorshipRecord, b: SurvivorshipRecord): number {
  const t = Date.parse(b.stored.occurredAt) - Date.parse(a.stored.occurredAt);
  return t !== 0 ? t : a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0;
}

function lineageOf(r: SurvivorshipRecord, rule: string): AttributeLineage {
  return { source: r.stored.source, sourceRecordId: r.stored.sourceRecordId, occurredAt: new Date(r.stored.occurredAt).toISOString(), rule };
}

/**
 * The golden record of a cluster: each person attribute from the most recent record that has it; the
 * address as a whole from the most recent record with an address (never a street from one record and a
 * postcode from another); every distinct email and phone, verified ones first.
 */
export function survivorship(records: readonly SurvivorshipRecord[]): GoldenRecord {
  const sorted = [...records].sort(byRecency);
  const golden: Record<string, unknown> = {};
  const lineage: Record<string, AttributeLineage> = {};
  for (const field of PERSON_FIELDS) {
    const from = sorted.find((r) => nonBlank(r.stored.attributes[field]));
    if (from) {
      golden[field] = from.stored.attributes[field]!.trim();
      lineage[field] = lineageOf(from, 'most-recent');
    }
  }
  const address = sorted.find((r) => ADDRESS_FIELDS.some((f) => nonBlank(r.stored.attributes[f])));
  if (address) {
    for (const field of ADDRESS_FIELDS) {
      if (!nonBlank(address.stored.attributes[field])) continue;
      golden[field] = address.stored.attributes[field]!.trim();
      lineage[field] = lineageOf(address, 'most-recent-address');
    }
  }
  for (const type of ['email', 'phone'] as const) {
    const seen = new Map<string, { verified: boolean; from: SurvivorshipRecord }>();
    for (const r of sorted) {
      for (const id of r.identifiers) {
        if (id.type !== type) continue;
        const prev = seen.get(id.value);
        if (!prev) seen.set(id.value, { verified: Boolean(id.verified), from: r });
        else if (id.verified) prev.verified = true;
      }
    }
    const values = [...seen.entries()].sort((x, y) => Number(y[1].verified) - Number(x[1].verified) || (x[0] < y[0] ? -1 : 1));
    if (values.length) {
      golden[`${type}s`] = values.map(([value, v]) => ({ value, verified: v.verified }));
      lineage[`${type}s`] = lineageOf(values[0][1].from, 'verified-then-all');
    }
  }
  golden.sourceRecords = [...records]
    .sort((a, b) => (a.sortKey < b.sortKey ? -1 : 1))
    .map((r) => ({ source: r.stored.source, sourceRecordId: r.stored.sourceRecordId }));
  return { golden, lineage };
}

function nonBlank(v: string | undefined): v is string {
  return typeof v === 'string' && v.trim().length > 0;
}
