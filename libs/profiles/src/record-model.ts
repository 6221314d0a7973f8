import { hash } from 'node:crypto';
import {
  blockingKeys,
  defaultModel,
  ValueNormalizer,
  normalizeIdentifier,
  type FieldSpec,
  type MatchModel,
  type NormalizedRecord,
  type RecordIdentifier,
} from '@tandem/identity-engine';

/** The attributes of a canonical customer event the engine compares, with their kinds. */
export const PROFILE_SCHEMA: readonly FieldSpec[] = [
  { name: 'givenName', kind: 'givenName' },
  { name: 'familyName', kind: 'familyName' },
  { name: 'birthDate', kind: 'birthDate' },
  { name: 'gender', kind: 'gender' },
  { name: 'email', kind: 'email' },
  { name: 'phone', kind: 'phone' },
  { name: 'street', kind: 'street' },
  { name: 'houseNumber', kind: 'houseNumber' },
  { name: 'postcode', kind: 'postcode' },
  { name: 'city', kind: 'city' },
  { name: 'country', kind: 'country' },
];

/** Identifier types that mean the same thing in every source; other types are scoped to their source. */
const GLOBAL_IDENTIFIER_TYPES = new Set(['email', 'phone']);

/** A source record as stored: what the resolver needs of it. */
export interface StoredRecord {
  id: string;
  source: string;
  sourceRecordId: string;
  occurredAt: string;
  attributes: Record<string, string | undefined>;
  identifiers: Array<{ type: string; value: string; verified?: boolean }>;
  profileId: string | null;
}

/** A stored record after normalization, with its index keys. */
export interface ResolvedRecord {
  stored: StoredRecord;
  /** `source\u0000sourceRecordId`: the order-independent sort key of the record. */
  sortKey: string;
  normalized: NormalizedRecord;
  identifiers: RecordIdentifier[];
  blockingKeys: string[];
  /** The blocking keys as stored and looked up: 64-bit hashes, in decimal (see blockingKeyHash). */
  keyHashes: string[];
}

/** The default model of the hub (engine priors for PROFILE_SCHEMA); a stored model replaces it. */
export function hubModel(): MatchModel {
  return defaultModel(PROFILE_SCHEMA);
}

/** Normalizes stored records and derives their identifiers and blocking keys, the same way for every caller. */
export class RecordNormalizer {
  private readonly values: ValueNormalizer;

  constructor(readonly model: MatchModel) {
    this.values = new ValueNormalizer(model.normalization);
  }

  resolve(stored: StoredRecord): ResolvedRecord {
    const identifiers = this.identifiers(stored);
    const firstOf = (type: string) => identifiers.filter((i) => i.type === type).map((i) => i.value).sort()[0];
    const raw: Record<string, string | null | undefined> = { ...stored.attributes };
    const values = this.model.fields.map((f) => {
      if (f.kind === 'email') return firstOf('email') ?? null;
      if (f.kind === 'phone') return firstOf('phone') ?? null;
      if (f.kind === 'givenName' && !raw.givenName && raw.fullName) return this.values.normalize('givenName', raw.fullName.split(/\s+/)[0]);
      if (f.kind === 'familyName' && !raw.familyName && raw.fullName) return this.values.normalize('familyName', raw.fullName.split(/\s+/).slice(1).join(' '));
      return this.values.normalize(f.kind, raw[f.name] ?? null);
    });
    const normalized: NormalizedRecord = { id: stored.id, source: stored.source, values, identifiers };
    // Exact email and phone are found through the identifiers already.
    const keys = [...new Set(blockingKeys(normalized, this.model).filter((k) => !k.startsWith('id:') && !IDENTIFIER_KEY.test(k)))].sort();
    return { stored, sortKey: `${stored.source}\u0000${stored.sourceRecordId}`, normalized, identifiers, blockingKeys: keys, keyHashes: keys.map(blockingKeyHash) };
  }

  /** A record's identifiers normalized as they are stored and looked up (email and phone global, other types scoped to the source). */
  identifiers(stored: Pick<StoredRecord, 'source' | 'identifiers'>): RecordIdentifier[] {
    const out = new Map<string, RecordIdentifier>();
    for (const id of stored.identifiers ?? []) {
      let value: string | null;
      let type: string;
      if (id.type === 'email') value = this.values.normalize('email', id.value);
      else if (id.type === 'phone') value = this.values.normalize('phone', id.value);
      else value = normalizeIdentifier(id.value);
      if (!value) continue;
      type = GLOBAL_IDENTIFIER_TYPES.has(id.type) ? id.type : `${stored.source}:${id.type}`;
      const key = `${type}=${value}`;
      const seen = out.get(key);
      out.set(key, { type, value, verified: Boolean(id.verified) || Boolean(seen?.verified) });
    }
    return [...out.values()].sort((a, b) => (a.type + a.value < b.type + b.value ? -1 : 1));
  }
}

/** Blocking keys that repeat an identifier exactly (the identifiers table finds those). */
const IDENTIFIER_KEY = /^(email|phone)\.value=/;

/**
 * A blocking key as stored: the first 8 bytes of its MD5 as a signed 64-bit integer, in decimal; in SQL
 * `('x' || substr(md5(key), 1, 16))::bit(64)::bigint`. Two keys that collide only add a candidate pair.
 */
export function blockingKeyHash(key: string): string {
  return BigInt.asIntN(64, BigInt(`0x${hash('md5', key).slice(0, 16)}`)).toString();
}

/** The lock and lookup key of an identifier. */
export function identifierKey(id: { type: string; value: string }): string {
  return `id:${id.type}=${id.value}`;
}
