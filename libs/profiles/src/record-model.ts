import { defaultModel, ValueNormalizer, normalizeIdentifier, type FieldSpec, type MatchModel, type RecordIdentifier } from '@tandem/identity-engine';

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
  identifiers: ReadonlyArray<{ type: string; value: string; verified?: boolean }>;
  profileId: string | null;
}

/**
 * The default model of the hub (engine priors for PROFILE_SCHEMA); a stored model replaces it. An email
 * or phone carried by more people than the guardrail allows weighs nothing (see crowdedIdentifiersWeighNothing).
 */
export function hubModel(): MatchModel {
  const model = defaultModel(PROFILE_SCHEMA);
  return { ...model, guardrails: { ...model.guardrails, crowdedIdentifiersWeighNothing: true } };
}

/** Normalizes records' identifiers the same way for every caller (the resolver, erasure, tests). */
export class RecordNormalizer {
  private readonly values: ValueNormalizer;

  constructor(readonly model: MatchModel) {
    this.values = new ValueNormalizer(model.normalization);
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
