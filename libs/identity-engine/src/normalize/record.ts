import type { FieldKind, FieldSpec, InputRecord, NormalizedRecord, RecordIdentifier } from '../types';
import { isBlank } from './text';
import { normalizeEmail, DEFAULT_EMAIL_RULES, type EmailRules } from './email';
import { PhoneNormalizer } from './phone';
import { normalizeFamilyName, normalizeFullName, normalizeGivenName } from './name';
import { normalizeCountry, normalizeGender, normalizeHouseNumber, normalizeIdentifier, normalizePlace, normalizePostcode, normalizeStreet } from './address';
import { normalizeDate, type DateOptions } from './date';

export interface NormalizationOptions {
  /** ISO 3166 region for national phone numbers. Default 'GB'. */
  phoneRegion?: string;
  /** Per-domain email rules merged over the defaults. */
  emailRules?: EmailRules;
  date?: DateOptions;
}

/** Normalizes raw values kind by kind with one set of options (phone parse results are memoized inside). */
export class ValueNormalizer {
  private readonly phones: PhoneNormalizer;
  private readonly emailRules: EmailRules;
  private readonly dateOptions: DateOptions;

  constructor(options: NormalizationOptions = {}) {
    this.phones = new PhoneNormalizer(options.phoneRegion ?? 'GB');
    this.emailRules = options.emailRules ? { ...DEFAULT_EMAIL_RULES, ...options.emailRules } : DEFAULT_EMAIL_RULES;
    this.dateOptions = options.date ?? {};
  }

  /** The normalized form of `raw` as a value of `kind`, or null when it is blank or not a valid value of that kind. */
  normalize(kind: FieldKind, raw: string | null | undefined): string | null {
    if (isBlank(raw)) return null;
    const v = raw as string;
    switch (kind) {
      case 'givenName':
        return normalizeGivenName(v);
      case 'familyName':
        return normalizeFamilyName(v);
      case 'fullName':
        return normalizeFullName(v);
      case 'email':
        return normalizeEmail(v, this.emailRules);
      case 'phone':
        return this.phones.normalize(v);
      case 'birthDate':
        return normalizeDate(v, this.dateOptions);
      case 'street':
        return normalizeStreet(v);
      case 'houseNumber':
        return normalizeHouseNumber(v);
      case 'postcode':
        return normalizePostcode(v);
      case 'city':
      case 'region':
      case 'text':
        return normalizePlace(v);
      case 'country':
        return normalizeCountry(v);
      case 'gender':
        return normalizeGender(v);
      case 'externalId':
        return normalizeIdentifier(v);
    }
  }
}

/** Schema for a record whose attributes are keyed by kind (the generic shape). */
export function schemaFromAttributes(attributes: Readonly<Record<string, unknown>>): FieldSpec[] {
  const out: FieldSpec[] = [];
  for (const name of Object.keys(attributes).sort()) {
    out.push({ name, kind: name as FieldKind });
  }
  return out;
}

/** Normalizes one record against a schema: one value per schema field, in schema order. */
export function normalizeRecord(record: InputRecord, schema: readonly FieldSpec[], normalizer: ValueNormalizer = new ValueNormalizer()): NormalizedRecord {
  const values = schema.map((f) => normalizer.normalize(f.kind, record.attributes[f.name] ?? null));
  const identifiers: RecordIdentifier[] = [];
  for (const id of record.identifiers ?? []) {
    const value = normalizeIdentifier(id.value);
    if (value) identifiers.push({ ...id, type: id.type.trim().toLowerCase(), value });
  }
  return { id: record.id, source: record.source ?? '', values, identifiers };
}
