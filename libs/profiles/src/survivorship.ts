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

/** Every attribute survivorship reads (the population keeps these per record: see SurvivorColumns). */
export const SURVIVORSHIP_FIELDS: readonly string[] = [...PERSON_FIELDS, ...ADDRESS_FIELDS];

export interface GoldenRecord {
  golden: Record<string, unknown>;
  lineage: Record<string, AttributeLineage>;
}

/** A member with its instant read once (survivorship compares and cites it many times). */
interface Dated {
  r: SurvivorshipRecord;
  at: number;
  iso: string;
}

/** Most recent first; ties by (source, record id) so the result never depends on arrival order. */
function byRecency(a: Dated, b: Dated): number {
  const t = b.at - a.at;
  return t !== 0 ? t : a.r.sortKey < b.r.sortKey ? -1 : a.r.sortKey > b.r.sortKey ? 1 : 0;
}

function lineageOf(d: Dated, rule: string): AttributeLineage {
  return { source: d.r.stored.source, sourceRecordId: d.r.stored.sourceRecordId, occurredAt: d.iso, rule };
}

/**
 * The golden record of a cluster: each person attribute from the most recent record that has it; the
 * address as a whole from the most recent record with an address (never a street from one record and a
 * postcode from another); every distinct email and phone, verified ones first.
 */
export function survivorship(records: readonly SurvivorshipRecord[]): GoldenRecord {
  const sorted = records
    .map((r) => {
      const at = Date.parse(r.stored.occurredAt);
      return { r, at, iso: new Date(at).toISOString() };
    })
    .sort(byRecency);
  const golden: Record<string, unknown> = {};
  const lineage: Record<string, AttributeLineage> = {};
  for (const field of PERSON_FIELDS) {
    const from = sorted.find((d) => nonBlank(d.r.stored.attributes[field]));
    if (from) {
      golden[field] = from.r.stored.attributes[field]!.trim();
      lineage[field] = lineageOf(from, 'most-recent');
    }
  }
  const address = sorted.find((d) => ADDRESS_FIELDS.some((f) => nonBlank(d.r.stored.attributes[f])));
  if (address) {
    for (const field of ADDRESS_FIELDS) {
      if (!nonBlank(address.r.stored.attributes[field])) continue;
      golden[field] = address.r.stored.attributes[field]!.trim();
      lineage[field] = lineageOf(address, 'most-recent-address');
    }
  }
  for (const type of ['email', 'phone'] as const) {
    const seen = new Map<string, { verified: boolean; from: Dated }>();
    for (const d of sorted) {
      for (const id of d.r.identifiers) {
        if (id.type !== type) continue;
        const prev = seen.get(id.value);
        if (!prev) seen.set(id.value, { verified: Boolean(id.verified), from: d });
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

/** Whether survivorship takes an attribute value at all (it takes it trimmed). */
export function nonBlank(v: string | undefined): v is string {
  return typeof v === 'string' && v.trim().length > 0;
}
