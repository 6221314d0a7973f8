import type { FieldKind, FieldSpec } from '../types';
import { canonicalGivenName } from '../normalize/nicknames';
import { soundex } from '../normalize/name';
import { emailLocalPart } from '../normalize/email';

/** How a blocking rule derives a key part from a normalized value. */
export type KeyTransform = 'value' | 'canonical' | 'soundex' | 'first3' | 'year' | 'monthDay' | 'localPart' | 'last7' | 'sortedTokens' | 'firstToken';

export interface BlockingPart {
  field: string;
  transform: KeyTransform;
}

/** Records that share all parts of a rule's key become candidate pairs. */
export interface BlockingRule {
  name: string;
  parts: BlockingPart[];
  /** Parts are compared as a set, not in order: catches values written into each other's fields (swapped names). */
  unordered?: boolean;
  /** A weak rule: used only while the total candidate pairs stay within the pair budget. */
  optional?: boolean;
}

/** A derived key part; '' means "no key" (the record is not blocked by this rule). */
export function transformKey(transform: KeyTransform, value: string): string {
  switch (transform) {
    case 'value':
      return value;
    case 'canonical': {
      const first = value.indexOf(' ') < 0 ? value : value.slice(0, value.indexOf(' '));
      return canonicalGivenName(first);
    }
    case 'soundex':
      return soundex(value.replace(/ /g, ''));
    case 'first3':
      return value.replace(/ /g, '').slice(0, 3);
    case 'year':
      return value.length >= 4 ? value.slice(0, 4) : '';
    case 'monthDay':
      return value.length === 8 ? value.slice(4) : '';
    case 'localPart':
      return emailLocalPart(value);
    case 'last7':
      return value.length >= 7 ? value.slice(-7) : '';
    case 'sortedTokens':
      return value.split(' ').sort().join(' ');
    case 'firstToken':
      return value.indexOf(' ') < 0 ? value : value.slice(0, value.indexOf(' '));
  }
}

type Template = Array<[FieldKind, KeyTransform]> & { unordered?: boolean };

function unordered(t: Array<[FieldKind, KeyTransform]>): Template {
  return Object.assign(t, { unordered: true });
}

// Several independent rules so that an error in any one field still leaves the pair in some block.
// Each rule combines fields whose errors are independent; rules whose kinds are not declared are dropped.
const TEMPLATES: Template[] = [
  [['email', 'value']],
  [['phone', 'value']],
  [['externalId', 'value']],
  [['email', 'localPart']],
  unordered([['givenName', 'soundex'], ['familyName', 'soundex']]),
  [['givenName', 'canonical'], ['birthDate', 'value']],
  [['familyName', 'soundex'], ['birthDate', 'year']],
  [['familyName', 'value'], ['birthDate', 'monthDay']],
  [['birthDate', 'value'], ['postcode', 'value']],
  [['birthDate', 'value'], ['city', 'value']],
  [['familyName', 'value'], ['postcode', 'value']],
  [['givenName', 'canonical'], ['postcode', 'value']],
  [['street', 'value'], ['houseNumber', 'value']],
  [['street', 'soundex'], ['postcode', 'value']],
  [['fullName', 'sortedTokens']],
  [['fullName', 'firstToken'], ['birthDate', 'value']],
  [['fullName', 'soundex'], ['postcode', 'value']],
  [['phone', 'last7']],
];

const WEAK_TEMPLATES: Template[] = [
  [['givenName', 'first3'], ['city', 'value']],
  [['familyName', 'first3'], ['city', 'value']],
  [['givenName', 'first3'], ['familyName', 'first3']],
];

/**
 * Blocking rules for a schema, generated from the declared kinds (first field of each kind). When a
 * schema has too few kinds for any template, every declared field blocks on its exact value.
 */
export function defaultBlockingRules(schema: readonly FieldSpec[]): BlockingRule[] {
  const byKind = new Map<FieldKind, string>();
  for (const f of schema) if (!byKind.has(f.kind)) byKind.set(f.kind, f.name);
  const rules: BlockingRule[] = [];
  for (const t of TEMPLATES) {
    if (!t.every(([k]) => byKind.has(k))) continue;
    const parts = t.map(([k, transform]) => ({ field: byKind.get(k) as string, transform }));
    const name = parts.map((p) => `${p.field}.${p.transform}`).join(t.unordered ? '&' : '+');
    rules.push(t.unordered ? { name, parts, unordered: true } : { name, parts });
  }
  // Fallback for schemas outside the templates (e.g. only text fields): exact value per field, and
  // pairs of fields so a typo in one field still meets the other.
  // Weak rules (name prefixes within a city) find pairs with errors in several fields at once but cost
  // many pairs; they run only while the pair budget allows (small and medium inputs).
  for (const t of WEAK_TEMPLATES) {
    if (!t.every(([k]) => byKind.has(k))) continue;
    const parts = t.map(([k, transform]) => ({ field: byKind.get(k) as string, transform }));
    rules.push({ name: parts.map((p) => `${p.field}.${p.transform}`).join('+'), parts, optional: true });
  }
  if (rules.length < 2) {
    for (const f of schema) {
      if (f.kind === 'gender' || f.kind === 'country' || f.kind === 'region') continue;
      rules.push({ name: `${f.name}.value`, parts: [{ field: f.name, transform: 'value' }] });
    }
  }
  return rules;
}
