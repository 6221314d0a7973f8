import { customerEventId, CustomerEventV1, IdentifierV1, Parsed, parseCustomerEvent } from '@tandem/contracts';
import { CrmContactRecord } from './crm-source.port';

/** When a contact last changed: its archive time for a deleted one, else its update time. */
export function contactChangedAt(contact: CrmContactRecord): string {
  return contact.archived && contact.archivedAt ? contact.archivedAt : contact.updatedAt;
}

/**
 * One CRM contact version as a canonical event: `customer.upserted`, or `customer.deleted` for an
 * archived contact. The version is the change time in ms, so a re-pulled contact is the same event.
 * Returns the contract's validation errors rather than throwing: the caller dead-letters those.
 */
export function mapCrmContact(source: string, contact: CrmContactRecord): Parsed<CustomerEventV1> {
  if (!contact || typeof contact.id !== 'string' || !contact.id) return { ok: false, errors: ['contact has no id'] };
  const changedAt = Date.parse(contactChangedAt(contact));
  if (Number.isNaN(changedAt)) return { ok: false, errors: ['contact has no valid updatedAt/archivedAt'] };
  const p = contact.properties ?? {};
  const deleted = contact.archived === true;
  const identifiers: IdentifierV1[] = [{ type: 'externalId', value: `${source}:${contact.id}` }];
  if (p.email) identifiers.push({ type: 'email', value: p.email });
  if (p.phone) identifiers.push({ type: 'phone', value: p.phone });
  const attributes = deleted
    ? {}
    : dropEmpty({ givenName: p.firstname, familyName: p.lastname, birthDate: p.date_of_birth, street: p.address, city: p.city, postcode: p.zip, country: p.country });
  return parseCustomerEvent({
    schemaVersion: 1,
    eventId: customerEventId(source, contact.id, changedAt, deleted ? 'deleted' : ''),
    source,
    sourceRecordId: contact.id,
    recordVersion: changedAt,
    kind: deleted ? 'customer.deleted' : 'customer.upserted',
    occurredAt: new Date(changedAt).toISOString(),
    identifiers: deleted ? identifiers.slice(0, 1) : identifiers,
    attributes,
  });
}

function dropEmpty(values: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1].trim() !== ''));
}
