/** Golden attributes a profile can carry (the survivorship output). */
export const ATTRIBUTE_FIELDS = [
  'givenName', 'familyName', 'fullName', 'birthDate', 'gender', 'street', 'houseNumber', 'postcode', 'city', 'region', 'country', 'locale',
] as const;

/** Everything a policy can allow: attributes, contact points, and the data office's views. */
export const POLICY_FIELDS = [
  ...ATTRIBUTE_FIELDS,
  'email', 'phone',
  /** Consent and suppression state per channel. */
  'consent',
  /** Which source, record and time gave each returned attribute. */
  'lineage',
  /** Why the records are one profile: the links with their evidence. */
  'links',
  /** The source records (system and record id) the profile is made of. */
  'sourceRecords',
  /** Every identifier of every record (emails, phones, external ids, customer numbers). */
  'identifiers',
] as const;
export type PolicyField = (typeof POLICY_FIELDS)[number];

/** Consent channels, as in the event contract. */
export const CONSENT_CHANNEL_NAMES = ['email', 'sms', 'phone', 'postal'] as const;

/** How a field is shown when it is allowed but not in clear. */
export const MASKS = ['partial', 'hash', 'year'] as const;
export type Mask = (typeof MASKS)[number];

export function isPolicyField(value: string): value is PolicyField {
  return (POLICY_FIELDS as readonly string[]).includes(value);
}

export function isMask(value: unknown): value is Mask {
  return typeof value === 'string' && (MASKS as readonly string[]).includes(value);
}

/** Fields whose values can be masked: plain strings. */
export const MASKABLE_FIELDS: readonly string[] = [...ATTRIBUTE_FIELDS, 'email', 'phone'];
