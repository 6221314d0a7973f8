import { compare } from '@tandem/identity-engine';
import { compactEvidence, compactLineage, expandedLineageJson, expandEvidence, expandLineage } from './stored-forms';
import { hubModel } from './record-model';

describe('stored lineage and evidence', () => {
  const at = '2026-01-02T03:04:05.000Z';
  const lineage = {
    givenName: { source: 'crm', sourceRecordId: 'A-1', occurredAt: at, rule: 'most-recent' },
    familyName: { source: 'crm', sourceRecordId: 'A-1', occurredAt: at, rule: 'most-recent' },
    city: { source: 'erp', sourceRecordId: '77', occurredAt: at, rule: 'most-recent-address' },
    birthDate: { source: 'crm', sourceRecordId: 'A-1', occurredAt: at, rule: 'most-recent' },
    street: { source: 'erp', sourceRecordId: '77', occurredAt: at, rule: 'most-recent-address' },
    postcode: { source: 'erp', sourceRecordId: '77', occurredAt: at, rule: 'most-recent-address' },
    emails: { source: 'crm', sourceRecordId: 'A-1', occurredAt: at, rule: 'verified-then-all' },
    phones: { source: 'erp', sourceRecordId: '77', occurredAt: at, rule: 'verified-then-all' },
  };

  it('should give back exactly the lineage users see, stored at a fraction of its size', () => {
    const stored = compactLineage(lineage);
    expect(expandLineage(JSON.parse(JSON.stringify(stored)))).toEqual(lineage);
    expect(JSON.stringify(stored).length).toBeLessThan(JSON.stringify(lineage).length / 2);
    expect(expandLineage(stored, (field) => field === 'city')).toEqual({ city: lineage.city });
  });

  it('should write the expanded lineage as JSON exactly as JSON.stringify of expandLineage does', () => {
    const odd = { ...lineage, 'a "quoted" field': { source: 'crm\\x', sourceRecordId: 'A"1', occurredAt: at, rule: 'most-recent' } };
    for (const l of [lineage, odd, {}]) {
      const text = JSON.stringify(compactLineage(l));
      expect(expandedLineageJson(text)).toBe(JSON.stringify(expandLineage(JSON.parse(text))));
      expect(JSON.parse(expandedLineageJson(text))).toEqual(l);
    }
    expect(expandedLineageJson(JSON.stringify(lineage))).toBe(JSON.stringify(lineage));
    expect(expandedLineageJson(null)).toBe('{}');
  });

  it('should read lineage stored in the older per-attribute shape as it is', () => {
    expect(expandLineage(lineage)).toEqual(lineage);
    expect(expandLineage(lineage, (field) => field.endsWith('Name'))).toEqual({ givenName: lineage.givenName, familyName: lineage.familyName });
    expect(expandLineage(null)).toEqual({});
  });

  it('should give back exactly the engine\'s evidence for a pair', () => {
    const model = hubModel();
    const a = { id: 'a', source: 'crm', values: ['anna', 'berg', '19800102', null, 'a@example.invalid', null, null, null, 'ab1', 'town', null], identifiers: [] };
    const b = { id: 'b', source: 'erp', values: ['ann', 'berg', '19800102', 'f', null, '+4470000', null, null, 'ab1', 'town', null], identifiers: [] };
    const evidence = compare(a, b, model).evidence;
    const stored = compactEvidence(evidence);
    expect(expandEvidence(JSON.parse(JSON.stringify(stored)))).toEqual(evidence);
    expect(JSON.stringify(stored).length).toBeLessThan(JSON.stringify(evidence).length / 2);
    // Older rows hold the objects themselves.
    expect(expandEvidence(evidence)).toEqual(evidence);
  });
});
