import { generateRecords } from './generator';

describe('generateRecords', () => {
  it('should give the same records for the same seed and different ones for another seed', () => {
    const a = [...generateRecords({ records: 500, seed: 3 })];
    const b = [...generateRecords({ records: 500, seed: 3 })];
    const c = [...generateRecords({ records: 500, seed: 4 })];
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('should emit exactly the requested number of records with unique opaque ids', () => {
    const rs = [...generateRecords({ records: 2000, seed: 1 })];
    expect(rs).toHaveLength(2000);
    expect(new Set(rs.map((r) => r.recordId)).size).toBe(2000);
    expect(rs.every((r) => /^r[0-9a-f]{8}$/.test(r.recordId))).toBe(true);
  });

  it('should produce duplicates, households sharing an email, and clean copies when corruption is 0', () => {
    const rs = [...generateRecords({ records: 3000, seed: 9 })];
    const people = new Set(rs.map((r) => r.personId));
    expect(people.size).toBeLessThan(rs.length);
    const byEmail = new Map<string, Set<string>>();
    for (const r of rs) if (r.email) byEmail.set(r.email.toLowerCase(), (byEmail.get(r.email.toLowerCase()) ?? new Set()).add(r.personId));
    expect([...byEmail.values()].some((s) => s.size > 1)).toBe(true);
    const clean = [...generateRecords({ records: 200, seed: 9, corruption: 0, householdShare: 0 })];
    const first = new Map<string, string>();
    for (const r of clean) {
      const key = `${r.givenName}|${r.familyName}|${r.email}`;
      if (!first.has(r.personId)) first.set(r.personId, key);
      else expect(key).toBe(first.get(r.personId));
    }
  });
});
