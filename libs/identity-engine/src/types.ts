/** The kinds of attribute the engine understands. A field declared with a kind gets that kind's normalizer, comparator, blocking keys and priors. */
export const FIELD_KINDS = [
  'givenName',
  'familyName',
  'fullName',
  'email',
  'phone',
  'birthDate',
  'street',
  'houseNumber',
  'city',
  'postcode',
  'region',
  'country',
  'externalId',
  'gender',
  'text',
] as const;

export type FieldKind = (typeof FIELD_KINDS)[number];

export function isFieldKind(value: string): value is FieldKind {
  return (FIELD_KINDS as readonly string[]).includes(value);
}

/** One declared field: an attribute name and the kind of value it holds. */
export interface FieldSpec {
  name: string;
  kind: FieldKind;
}

/** A strong identifier carried by a record besides its attributes (a CRM id, a verified email, a loyalty number). */
export interface RecordIdentifier {
  type: string;
  value: string;
  /** Declared unique per person: two different values of this type on one profile are a conflict that vetoes a link. */
  unique?: boolean;
  verified?: boolean;
}

/** The generic record shape every caller hands to the engine. */
export interface InputRecord {
  id: string;
  source?: string;
  /** ISO timestamp of the source record's last change, used by survivorship. */
  updatedAt?: string;
  /** Raw attribute values keyed by field name (for a schema-less call, by kind). */
  attributes: Readonly<Record<string, string | null | undefined>>;
  identifiers?: readonly RecordIdentifier[];
  /** Attribute names whose values the source has verified (a confirmed email, a checked address). */
  verifiedAttributes?: readonly string[];
}

/** A record after normalization: one normalized string (or null) per schema field, in schema order. */
export interface NormalizedRecord {
  id: string;
  source: string;
  values: (string | null)[];
  identifiers: RecordIdentifier[];
}

export type Decision = 'link' | 'review' | 'no-link';

/** Why a field scored what it did. */
export interface FieldEvidence {
  field: string;
  kind: FieldKind;
  level: string;
  /** Log2 Bayes factor contributed by this field (0 when a value is missing). */
  weight: number;
  /** Term-frequency adjustment included in weight (exact matches on rare values weigh more). */
  tfAdjustment: number;
}

export interface MatchResult {
  /** Log2 posterior odds that the two records are the same person. */
  score: number;
  probability: number;
  /** 'deterministic:<identifier>' when a strong identifier decided, 'fellegi-sunter' otherwise, 'veto:<identifier>' when a unique identifier conflicts. */
  rule: string;
  decision: Decision;
  evidence: FieldEvidence[];
}
