import { customerEventId, CustomerEventV1, IdentifierV1, Parsed } from '@tandem/contracts';
import { CrmContactRecord } from './crm-source.port';

/** When a contact last changed: its archive time for a deleted one, else its update time. */
export function contactChangedAt(contact: CrmContactRecord): string {
  return contact.archived && contact.archivedAt ? contact.archivedAt : contact.updatedAt;
}

/** The contract's limits on what a CRM contact fills in (`CustomerEventV1`); the spec keeps them equal. */
export const CRM_CONTRACT_LIMITS = {
  sourceRecordId: 200,
  identifier: 320,
  attributes: { givenName: 200, familyName: 200, birthDate: 40, street: 300, city: 200, postcode: 40, country: 100 },
} as const;

const MAX_ISO_MS = Date.parse('9999-12-31T23:59:59.999Z');

const ATTRIBUTE_PROPERTIES = { givenName: 'firstname', familyName: 'lastname', birthDate: 'date_of_birth', street: 'address', city: 'city', postcode: 'zip', country: 'country' } as const;

/**
 * One CRM contact version as a canonical event: `customer.upserted`, or `customer.deleted` for an
 * archived contact. The version is the change time in ms, so a re-pulled contact is the same event.
 * Returns the reasons rather than throwing: the caller dead-letters those.
 *
 * The contract's rules that CRM data can break are checked here by hand, not by class-validator:
 * per contact that cost more than everything else the connector does. The spec checks that both
 * always agree.
 */
export function mapCrmContact(source: string, contact: CrmContactRecord): Parsed<CustomerEventV1> {
  const built = buildCrmEvent(source, contact);
  if (!built.ok) return built;
  const errors = checkCrmEvent(built.value);
  return errors.length ? { ok: false, errors } : built;
}

/** The event a contact becomes, before the contract's checks (exported for the spec). */
export function buildCrmEvent(source: string, contact: CrmContactRecord): Parsed<CustomerEventV1> {
  if (!contact || typeof contact.id !== 'string' || !contact.id) return { ok: false, errors: ['contact has no id'] };
  const changedAt = Date.parse(contactChangedAt(contact));
  if (Number.isNaN(changedAt)) return { ok: false, errors: ['contact has no valid updatedAt/archivedAt'] };
  const p = (contact.properties ?? {}) as Record<string, unknown>;
  const deleted = contact.archived === true;
  const identifiers: IdentifierV1[] = [{ type: 'externalId', value: `${source}:${contact.id}` }];
  if (present(p.email)) identifiers.push({ type: 'email', value: p.email as string });
  if (present(p.phone)) identifiers.push({ type: 'phone', value: p.phone as string });
  const attributes: Record<string, unknown> = {};
  if (!deleted) for (const [attribute, property] of Object.entries(ATTRIBUTE_PROPERTIES)) if (present(p[property])) attributes[attribute] = p[property];
  const event = {
    schemaVersion: 1,
    eventId: customerEventId(source, contact.id, changedAt, deleted ? 'deleted' : ''),
    source,
    sourceRecordId: contact.id,
    recordVersion: changedAt,
    kind: deleted ? 'customer.deleted' : 'customer.upserted',
    occurredAt: new Date(changedAt).toISOString(),
    identifiers: deleted ? identifiers.slice(0, 1) : identifiers,
    attributes,
  };
  return { ok: true, value: event as CustomerEventV1 };
}

// Empty text means "not filled in" in a CRM; anything else, text or not, goes to the checks.
function present(value: unknown): boolean {
  return value !== undefined && value !== null && !(typeof value === 'string' && value.trim() === '');
}

function checkCrmEvent(event: CustomerEventV1): string[] {
  const errors: string[] = [];
  const limits = CRM_CONTRACT_LIMITS;
  if (event.sourceRecordId.length > limits.sourceRecordId) errors.push(`sourceRecordId is longer than ${limits.sourceRecordId} characters`);
  if (event.recordVersion < 0) errors.push('recordVersion: the change time is before 1970');
  // Past year 9999 an ISO string needs the extended year form, which the contract refuses.
  if (event.recordVersion > MAX_ISO_MS) errors.push('occurredAt: the change time is after the year 9999');
  event.identifiers.forEach((identifier, i) => {
    if (typeof identifier.value !== 'string') errors.push(`identifiers.${i}.value: ${identifier.type} is not text`);
    else if (identifier.value.length > limits.identifier) errors.push(`identifiers.${i}.value: ${identifier.type} is longer than ${limits.identifier} characters`);
  });
  for (const [name, value] of Object.entries(event.attributes as Record<string, unknown>)) {
    const max = limits.attributes[name as keyof typeof limits.attributes];
    if (typeof value !== 'string') errors.push(`attributes.${name} is not text`);
    else if (value.length > max) errors.push(`attributes.${name} is longer than ${max} characters`);
  }
  return errors;
}
