import { hubModel, RecordNormalizer, type StoredRecord } from './record-model';
import { survivorship, type SurvivorshipRecord } from './survivorship';

const normalizer = new RecordNormalizer(hubModel());
const rec = (id: string, source: string, at: string, attributes: Record<string, string>, identifiers: StoredRecord['identifiers'] = []): SurvivorshipRecord => ({
  stored: { source, sourceRecordId: id, occurredAt: at, attributes },
  sortKey: `${source}\u0000${id}`,
  identifiers: normalizer.identifiers({ source, identifiers }),
});

describe('survivorship', () => {
  const older = rec('a', 'crm', '2025-01-01T00:00:00Z', { givenName: 'Kate', familyName: 'Pellow', street: 'Old Road', postcode: 'M1 1AA', city: 'Oldtown' }, [{ type: 'email', value: 'k@example.invalid', verified: true }]);
  const newer = rec('b', 'erp', '2025-06-01T00:00:00Z', { givenName: 'Katherine', city: 'Newtown' }, [{ type: 'email', value: 'kate@example.invalid' }]);

  it('should take each attribute from the most recent record that has it, with lineage', () => {
    const { golden, lineage } = survivorship([older, newer]);
    expect(golden.givenName).toBe('Katherine');
    expect(golden.familyName).toBe('Pellow');
    expect(lineage.givenName).toMatchObject({ source: 'erp', sourceRecordId: 'b', rule: 'most-recent' });
    expect(lineage.familyName).toMatchObject({ source: 'crm', sourceRecordId: 'a' });
  });

  it('should take the address as a whole from one record, never a street from one and a town from another', () => {
    const { golden } = survivorship([older, newer]);
    expect(golden.city).toBe('Newtown');
    expect(golden.street).toBeUndefined();
    expect(golden.postcode).toBeUndefined();
  });

  it('should list every email, verified first, and not depend on the order of the records', () => {
    const one = survivorship([older, newer]);
    expect(one.golden.emails).toEqual([{ value: 'k@example.invalid', verified: true }, { value: 'kate@example.invalid', verified: false }]);
    expect(survivorship([newer, older])).toEqual(one);
  });
});
