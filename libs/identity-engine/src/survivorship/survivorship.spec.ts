import { buildGoldenRecord } from './survivorship';
import type { InputRecord } from '../types';

const records: InputRecord[] = [
  { id: 'c1', source: 'crm', updatedAt: '2024-01-01T00:00:00Z', attributes: { email: 'anna@old.example', name: 'Anna', city: 'Leeds' } },
  { id: 'e1', source: 'erp', updatedAt: '2025-06-01T00:00:00Z', attributes: { email: 'anna@new.example', name: 'Anna Berg', city: '' }, verifiedAttributes: ['email'] },
  { id: 'm1', source: 'marketing', updatedAt: '2023-03-01T00:00:00Z', attributes: { email: 'anna@old.example', name: 'anna', city: 'York' } },
];

describe('buildGoldenRecord', () => {
  it('should prefer a verified value and say which rule decided, with lineage', () => {
    const g = buildGoldenRecord(records, { attributes: { email: { rules: ['verified', 'mostFrequent'] } } });
    expect(g.attributes.email).toMatchObject({ value: 'anna@new.example', recordId: 'e1', source: 'erp', updatedAt: '2025-06-01T00:00:00Z', decidedBy: 'verified', candidates: 3 });
  });

  it('should pick the most frequent, most recent, most complete or highest-priority value as configured', () => {
    expect(buildGoldenRecord(records, { default: { rules: ['mostFrequent'] } }).attributes.email.value).toBe('anna@old.example');
    expect(buildGoldenRecord(records, { default: { rules: ['mostRecent'] } }).attributes.email.value).toBe('anna@new.example');
    expect(buildGoldenRecord(records, { default: { rules: ['mostComplete'] } }).attributes.name.value).toBe('Anna Berg');
    const bySource = buildGoldenRecord(records, { default: { rules: ['sourcePriority'], sourcePriority: ['marketing', 'crm'] } });
    expect(bySource.attributes.city).toMatchObject({ value: 'York', decidedBy: 'sourcePriority' });
  });

  it('should skip blank values and give the same answer for any record order', () => {
    const a = buildGoldenRecord(records);
    const b = buildGoldenRecord([...records].reverse());
    expect(b).toEqual(a);
    expect(a.attributes.city.candidates).toBe(2);
  });

  it('should return no attributes for records without values', () => {
    expect(buildGoldenRecord([{ id: '1', attributes: { a: '' } }]).attributes).toEqual({});
  });
});
