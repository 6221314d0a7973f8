import { keyHash, ruleKeyHash } from './key-hash';

describe('key hashes', () => {
  it('should hash a rule key from its parts exactly as the whole key text', () => {
    const cases: Array<[string, string[]]> = [
      ['givenName.canonical+birthDate.value', ['anna', '19850312']],
      ['email.localPart', ['anna.q']],
      ['givenName.soundex&familyName.soundex', ['A500', 'Q416']],
      ['street.value+houseNumber.value', ['storgatan', '12b']],
    ];
    for (const [rule, parts] of cases) expect(ruleKeyHash(rule, parts, parts.length)).toBe(keyHash(`${rule}=${parts.join('|')}`));
  });

  it('should give 53-bit non-negative integers that tell different keys apart', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 50000; i++) {
      const h = keyHash(`birthDate.value+city.value=${19000000 + i}|town${i % 97}`);
      expect(Number.isSafeInteger(h) && h >= 0).toBe(true);
      seen.add(h);
    }
    expect(seen.size).toBe(50000);
  });
});
