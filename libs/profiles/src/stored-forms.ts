import type { FieldEvidence, FieldKind } from '@tandem/identity-engine';
import type { AttributeLineage } from '@tandem/persistence';

// How lineage and link evidence are stored: compact JSON that the resolver writes for every profile and
// link it changes (PostgreSQL parses every byte of jsonb it is given, and these were most of the bytes:
// ~1.2 KB of lineage per profile and ~1.3 KB of evidence per link, now ~0.3 KB each). Readers expand
// them to the shapes users see, which are unchanged; rows written in the older, expanded shape are
// read as they are.

/** Lineage as stored: each source record once, then per attribute the record's index and the rule. */
export interface StoredLineage {
  records: Array<[source: string, sourceRecordId: string, occurredAt: string]>;
  fields: Record<string, [record: number, rule: string]>;
}

/** Field evidence as stored: `[field]` when missing, else `[field, level, weight]`, then the kind if it is not the field's name and the TF adjustment if any. */
export type StoredEvidence = Array<[string] | [string, string, number] | [string, string, number, string] | [string, string, number, string, number]>;

export function compactLineage(lineage: Record<string, AttributeLineage>): StoredLineage {
  const records: StoredLineage['records'] = [];
  const index = new Map<string, number>();
  const fields: StoredLineage['fields'] = {};
  for (const [field, l] of Object.entries(lineage)) {
    const key = `${l.source}\u0000${l.sourceRecordId}\u0000${l.occurredAt}`;
    let at = index.get(key);
    if (at === undefined) {
      at = records.push([l.source, l.sourceRecordId, l.occurredAt]) - 1;
      index.set(key, at);
    }
    fields[field] = [at, l.rule];
  }
  return { records, fields };
}

/** The lineage users see, per attribute (only `wanted` attributes when given). */
export function expandLineage(stored: unknown, wanted?: (field: string) => boolean): Record<string, AttributeLineage> {
  if (!isStoredLineage(stored)) {
    const legacy = (stored ?? {}) as Record<string, AttributeLineage>;
    if (!wanted) return legacy;
    return Object.fromEntries(Object.entries(legacy).filter(([field]) => wanted(field)));
  }
  const out: Record<string, AttributeLineage> = {};
  for (const [field, [at, rule]] of Object.entries(stored.fields)) {
    if (wanted && !wanted(field)) continue;
    const [source, sourceRecordId, occurredAt] = stored.records[at];
    out[field] = { source, sourceRecordId, occurredAt, rule };
  }
  return out;
}

/**
 * `JSON.stringify(expandLineage(JSON.parse(text)))`, written out directly: the change relay sends every
 * profile's lineage per attribute, and building the objects first took it about twice as long.
 */
export function expandedLineageJson(text: string | null): string {
  const stored: unknown = text === null ? {} : JSON.parse(text);
  if (!isStoredLineage(stored)) return JSON.stringify(expandLineage(stored));
  const heads = stored.records.map(([source, sourceRecordId, occurredAt]) => `{"source":${JSON.stringify(source)},"sourceRecordId":${JSON.stringify(sourceRecordId)},"occurredAt":${JSON.stringify(occurredAt)},"rule":`);
  let out = '';
  for (const [field, [at, rule]] of Object.entries(stored.fields)) out += `,${JSON.stringify(field)}:${heads[at]}${JSON.stringify(rule)}}`;
  return `{${out.slice(1)}}`;
}

export function compactEvidence(evidence: readonly FieldEvidence[]): StoredEvidence {
  return evidence.map((e) => {
    if (e.level === 'missing' && e.weight === 0 && e.tfAdjustment === 0 && e.kind === e.field) return [e.field];
    if (e.tfAdjustment !== 0) return [e.field, e.level, e.weight, e.kind, e.tfAdjustment];
    if (e.kind !== e.field) return [e.field, e.level, e.weight, e.kind];
    return [e.field, e.level, e.weight];
  });
}

/** The evidence users see: one object per field. */
export function expandEvidence(stored: unknown): FieldEvidence[] {
  if (!Array.isArray(stored)) return [];
  return stored.map((e: unknown) => {
    if (!Array.isArray(e)) return e as FieldEvidence;
    const [field, level = 'missing', weight = 0, kind = field, tfAdjustment = 0] = e as [string, string?, number?, string?, number?];
    return { field, kind: kind as FieldKind, level, weight, tfAdjustment };
  });
}

function isStoredLineage(value: unknown): value is StoredLineage {
  return typeof value === 'object' && value !== null && Array.isArray((value as StoredLineage).records) && typeof (value as StoredLineage).fields === 'object';
}
