import { editDistance, jaro, jaroWinkler } from './string-metrics';
import { comparatorFor } from './comparators';
import { fieldLevel } from '../scoring';
import type { FieldKind } from '../types';

const level = (kind: FieldKind, a: string | null, b: string | null) => {
  const c = comparatorFor(kind);
  const l = fieldLevel(c, a, b);
  return l < 0 ? 'missing' : c.levels[l];
};

describe('string metrics', () => {
  it('should give textbook Jaro-Winkler values', () => {
    expect(jaro('martha', 'marhta')).toBeCloseTo(0.944, 3);
    expect(jaroWinkler('martha', 'marhta')).toBeCloseTo(0.961, 3);
    expect(jaroWinkler('dixon', 'dicksonx')).toBeCloseTo(0.813, 3);
    expect(jaroWinkler('', '')).toBe(0);
    expect(jaroWinkler('a', '')).toBe(0);
    expect(jaroWinkler('abc', 'abc')).toBe(1);
  });
  it('should handle non-ASCII and very long strings', () => {
    expect(jaroWinkler('müller', 'muller')).toBeGreaterThan(0.8);
    const long = 'x'.repeat(5000);
    expect(jaroWinkler(long, `${long}y`)).toBeGreaterThan(0.9);
    expect(editDistance(long, `${long}y`, 2)).toBeLessThanOrEqual(1);
  });
  it('should count transpositions as one edit and stop beyond the bound', () => {
    expect(editDistance('abcd', 'abdc', 2)).toBe(1);
    expect(editDistance('kitten', 'sitting', 2)).toBe(3);
    expect(editDistance('kitten', 'sitting', 5)).toBe(3);
    expect(editDistance('', 'ab', 2)).toBe(2);
    expect(editDistance('same', 'same', 1)).toBe(0);
  });
  it('should give what the full computations give where the cheap bounds cut them short', () => {
    // Seeded random strings over small alphabets (the near misses the bounds must not reject), some with a
    // non-ASCII character, against a plain optimal-string-alignment distance and the unbounded Jaro-Winkler.
    let seed = 7;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
    const alphabets = ['abcdeilnorst .@', '0123456789', 'ab', 'aéb c'];
    const osa = (a: string, b: string): number => {
      const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
      for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
          d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
          if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
      return d[a.length][b.length];
    };
    for (let n = 0; n < 20000; n++) {
      const alphabet = alphabets[n % alphabets.length];
      const pick = () => alphabet[Math.floor(random() * alphabet.length)];
      const a = Array.from({ length: Math.floor(random() * 14) }, pick).join('');
      const chars = a.split('');
      for (let k = Math.floor(random() * 4); k > 0; k--) chars.splice(Math.floor(random() * (chars.length + 1)), random() < 0.5 ? 1 : 0, pick());
      const b = random() < 0.7 ? chars.join('') : Array.from({ length: Math.floor(random() * 14) }, pick).join('');
      for (const max of [1, 2, 3]) expect(editDistance(a, b, max)).toBe(Math.min(osa(a, b), max + 1));
      for (const floor of [0.8, 0.85, 0.92]) {
        const full = jaroWinkler(a, b);
        const bounded = jaroWinkler(a, b, floor);
        if (full >= floor || bounded !== 0) expect(bounded).toBe(full);
      }
    }
  });
});

describe('comparators', () => {
  it('should grade given names: exact, nickname, typo, initial, different, missing', () => {
    expect(level('givenName', 'william', 'william')).toBe('exact');
    expect(level('givenName', 'bill', 'william')).toBe('nickname');
    expect(level('givenName', 'kate', 'katherine')).toBe('nickname');
    expect(level('givenName', 'jonathon', 'jonathan')).toBe('jaro-winkler>=0.92');
    expect(level('givenName', 'j', 'john')).toBe('initial');
    expect(level('givenName', 'anna', 'oliver')).toBe('different');
    expect(level('givenName', null, 'anna')).toBe('missing');
  });
  it('should grade family names with particles and double barrels as close', () => {
    expect(level('familyName', 'vanderberg', 'berg')).toBe('jaro-winkler>=0.92');
    expect(level('familyName', 'smith jones', 'smith')).toBe('jaro-winkler>=0.92');
  });
  it('should grade full names with swapped order as same tokens', () => {
    expect(level('fullName', 'anna berg', 'berg anna')).toBe('same-tokens');
    expect(level('fullName', 'bill smith', 'william smith')).toBe('same-tokens');
  });
  it('should grade dates: swapped day and month, one typo, different', () => {
    expect(level('birthDate', '19900403', '19900304')).toBe('day-month-swapped');
    expect(level('birthDate', '19900403', '19900408')).toBe('one-typo');
    expect(level('birthDate', '19900403', '19800503')).toBe('two-typos');
    expect(level('birthDate', '19900403', '20011231')).toBe('different');
  });
  it('should grade emails by local part and typos', () => {
    expect(level('email', 'anna@example.com', 'anna@example.org')).toBe('same-local-part');
    expect(level('email', 'anna.berg@example.com', 'anna.berh@example.com')).toBe('typo');
    expect(level('email', 'anna@example.com', 'zed@other.org')).toBe('different');
  });
  it('should grade phones and identifiers with one-typo levels', () => {
    expect(level('phone', '+447700900123', '+447700900124')).toBe('one-digit-off');
    expect(level('externalId', '1804974', '1804947')).toBe('one-typo');
    expect(level('postcode', '2119', '2191')).toBe('one-typo');
    expect(level('externalId', '1804974', '9999999')).toBe('different');
  });
});
