import { generateCustomerBase } from './customer-base';

describe('generateCustomerBase', () => {
  const base = generateCustomerBase({ people: 400, seed: 3 });

  it('should give the same data for the same seed and other data for another seed', () => {
    expect(generateCustomerBase({ people: 400, seed: 3 })).toEqual(base);
    expect(generateCustomerBase({ people: 400, seed: 4 }).crmContacts[0]).not.toEqual(base.crmContacts[0]);
  });

  it('should put many people in two or three systems, and record every record in the truth', () => {
    const systemsPerPerson = Object.values(base.truth.people).map((p) => new Set(p.records.map((r) => r.split(':')[0])).size);
    expect(systemsPerPerson.filter((n) => n >= 2).length).toBeGreaterThan(400 * 0.4);
    expect(systemsPerPerson.filter((n) => n === 3).length).toBeGreaterThan(0);
    const records = base.crmContacts.length + base.erpCustomers.length + base.subscribers.length;
    expect(Object.keys(base.truth.personOf)).toHaveLength(records);
  });

  it('should carry the real-world differences between systems', () => {
    const emails = [...base.crmContacts.map((c) => c.properties.email ?? ''), ...base.erpCustomers.map((c) => c.email ?? '')];
    expect(emails.some((e) => /[A-Z]/.test(e))).toBe(true); // case
    expect(emails.some((e) => /^(info|sales|office|contact)@/.test(e))).toBe(true); // role addresses
    const phones = base.crmContacts.map((c) => c.properties.phone ?? '');
    expect(phones.some((p) => p.startsWith('+44'))).toBe(true);
    expect(phones.some((p) => p.startsWith('07'))).toBe(true);
    // A household: two people, one email address.
    const households = Object.values(base.truth.people).filter((p) => p.household);
    expect(households.length).toBeGreaterThan(2);
    const erpByEmail = new Map<string, Set<string>>();
    for (const c of base.erpCustomers) if (c.email) erpByEmail.set(c.email, (erpByEmail.get(c.email) ?? new Set()).add(base.truth.personOf[`erp:${c.id}`]));
    expect([...erpByEmail.values()].some((people) => people.size > 1)).toBe(true);
  });
});
