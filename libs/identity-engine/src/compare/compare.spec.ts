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
