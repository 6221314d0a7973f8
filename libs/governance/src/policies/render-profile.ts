import { ATTRIBUTE_FIELDS, PolicyField } from './fields';
import { ConsentRow, channelsOf, consentState, contactAllowed } from './consent';
import { maskValue } from './masking';
import { EffectivePolicy } from './policy-store';

/** A profile as stored, with what the policy may need of it. */
export interface StoredProfile {
  id: string;
  version: number;
  updatedAt: Date | string;
  golden: Record<string, unknown>;
  lineage: Record<string, unknown>;
  consents: ConsentRow[];
  /** Loaded only when the policy allows `links`. */
  links?: unknown[];
  /** Loaded only when the policy allows `identifiers`. */
  identifiers?: unknown[];
}

/** What a client receives: only allowed fields, masked as the policy says, contact points only with consent. */
export interface RenderedProfile {
  body: Record<string, unknown>;
  /** Names of the fields present in the body: what the audit entry records. */
  fields: string[];
}

const CHANNELS = ['email', 'sms', 'phone', 'postal'];

export function renderProfile(profile: StoredProfile, policy: EffectivePolicy, pseudonymKey: Buffer): RenderedProfile {
  const allowed = (field: PolicyField) => policy.fields.has(field);
  const show = (field: PolicyField, value: string) => {
    const mask = policy.masking.get(field);
    return mask ? maskValue(field, value, mask, pseudonymKey) : value;
  };
  const fields: string[] = [];
  const attributes: Record<string, string> = {};
  const lineage: Record<string, unknown> = {};
  for (const field of ATTRIBUTE_FIELDS) {
    const value = profile.golden[field];
    if (!allowed(field) || typeof value !== 'string' || value === '') continue;
    attributes[field] = show(field, value);
    fields.push(field);
    if (profile.lineage[field]) lineage[field] = profile.lineage[field];
  }
  const body: Record<string, unknown> = {
    id: profile.id,
    version: profile.version,
    updatedAt: typeof profile.updatedAt === 'string' ? profile.updatedAt : profile.updatedAt.toISOString(),
    purpose: policy.purpose.name,
    policy: policy.versions,
    attributes,
  };
  for (const field of ['email', 'phone'] as const) {
    if (!allowed(field)) continue;
    const best = bestContact(profile.golden[`${field}s`]);
    if (!best) continue;
    if (!channelsOf(field, policy.purpose).every((channel) => contactAllowed(profile.consents, channel, policy.purpose))) continue;
    body[field] = show(field, best);
    fields.push(field);
    if (profile.lineage[`${field}s`]) lineage[field] = profile.lineage[`${field}s`];
  }
  if (allowed('consent')) {
    const consent: Record<string, string> = {};
    for (const channel of CHANNELS) consent[channel] = consentState(profile.consents, channel, policy.purpose.name);
    body.consent = consent;
    fields.push('consent');
  }
  if (allowed('lineage')) {
    body.lineage = lineage;
    fields.push('lineage');
  }
  if (allowed('sourceRecords') && Array.isArray(profile.golden.sourceRecords)) {
    body.sourceRecords = profile.golden.sourceRecords;
    fields.push('sourceRecords');
  }
  if (allowed('links') && profile.links) {
    body.links = profile.links;
    fields.push('links');
  }
  if (allowed('identifiers') && profile.identifiers) {
    body.identifiers = profile.identifiers;
    fields.push('identifiers');
  }
  return { body, fields };
}

/** The first contact point of the golden record (verified ones come first). */
export function bestContact(values: unknown): string | undefined {
  if (!Array.isArray(values)) return undefined;
  for (const item of values) {
    const value = typeof item === 'string' ? item : (item as { value?: unknown })?.value;
    if (typeof value === 'string' && value) return value;
  }
  return undefined;
}
