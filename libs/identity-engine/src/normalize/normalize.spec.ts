import { foldCase, foldText, isBlank } from './text';
import { normalizeEmail } from './email';
import { normalizePhone } from './phone';
import { normalizeFamilyName, normalizeFullName, normalizeGivenName, soundex } from './name';
import { areNicknameVariants, canonicalGivenName } from './nicknames';
import { normalizeCountry, normalizeGender, normalizeHouseNumber, normalizeIdentifier, normalizePostcode, normalizeStreet } from './address';
import { normalizeDate } from './date';
import { ValueNormalizer, normalizeRecord } from './record';

describe('text folding', () => {
  it('should fold case, accents and compatibility forms when given Unicode', () => {
    expect(foldCase('ÉLODIE')).toBe('elodie');
    expect(foldCase('Ｍüller')).toBe('muller');
    expect(foldCase('Straße')).toBe('strasse');
    expect(foldCase('Øresund Łódź')).toBe('oresund lodz');
  });
  it('should keep non-Latin letters when folding', () => {
    expect(foldText('Дмитрий  Иванов')).toBe('дмитрии иванов');
    expect(foldText('李 小龍')).toBe('李 小龍');
  });
  it('should turn punctuation runs into one space and trim', () => {
    expect(foldText("  O'Brien -- Smith!! ")).toBe('o brien smith');
    expect(foldText('')).toBe('');
    expect(foldText('---')).toBe('');
  });
  it('should treat blank markers as missing', () => {
    for (const v of [null, undefined, '', '   ', 'NULL', 'n/a', 'NaN', '-']) expect(isBlank(v)).toBe(true);
    expect(isBlank('0')).toBe(false);
  });
});

describe('normalizeEmail', () => {
  it('should lower-case, trim and strip a display-name wrapper', () => {
    expect(normalizeEmail('  Anna.Berg@Example.COM ')).toBe('anna.berg@example.com');
    expect(normalizeEmail('Anna Berg <anna.berg@example.com>')).toBe('anna.berg@example.com');
    expect(normalizeEmail('mailto:anna@example.com')).toBe('anna@example.com');
  });
  it('should drop dots and +tags for Gmail and fold googlemail into gmail', () => {
    expect(normalizeEmail('A.n.n.a+shop@gmail.com')).toBe('anna@gmail.com');
    expect(normalizeEmail('anna.berg@googlemail.com')).toBe('annaberg@gmail.com');
  });
  it('should keep dots where the provider does not ignore them', () => {
    expect(normalizeEmail('anna.berg+x@outlook.com')).toBe('anna.berg@outlook.com');
    expect(normalizeEmail('anna.berg+x@example.com')).toBe('anna.berg+x@example.com');
  });
  it('should apply per-domain rules given by the caller', () => {
    expect(normalizeEmail('a.b-news@corp.example', { 'corp.example': { ignoreDots: true, tagSeparator: '-' } })).toBe('ab@corp.example');
  });
  it('should normalize full-width characters with NFKC', () => {
    expect(normalizeEmail('ａｎｎａ@example.com')).toBe('anna@example.com');
  });
  it('should reject malformed addresses', () => {
    for (const v of ['', 'anna', '@example.com', 'anna@', 'anna@localhost', 'an na@exa mple', 'a@b@', 'x'.repeat(400) + '@example.com']) {
      expect(normalizeEmail(v)).toBeNull();
    }
  });
});

describe('normalizePhone', () => {
  it('should give the same E.164 number for national and international forms', () => {
    expect(normalizePhone('07700 900123', 'GB')).toBe('+447700900123');
    expect(normalizePhone('+44 (0)7700-900-123', 'GB')).toBe('+447700900123');
    expect(normalizePhone('0044 7700 900123', 'GB')).toBe('+447700900123');
  });
  it('should read national numbers in the default region', () => {
    expect(normalizePhone('(415) 555-2671', 'US')).toBe('+14155552671');
    expect(normalizePhone('030 1234567', 'DE')).toBe('+49301234567');
  });
  it('should drop extensions', () => {
    expect(normalizePhone('+1 415 555 2671 ext. 12', 'US')).toBe('+14155552671');
  });
  it('should reject text, too short and too long input', () => {
    for (const v of ['', 'call me', '123', '+44', '1'.repeat(30)]) expect(normalizePhone(v, 'GB')).toBeNull();
  });
});

describe('names', () => {
  it('should fold given names and drop titles', () => {
    expect(normalizeGivenName('Dr. JOSÉ-María')).toBe('jose maria');
    expect(normalizeGivenName('Mr')).toBeNull();
    expect(normalizeGivenName('')).toBeNull();
  });
  it('should drop particles, suffixes and apostrophes from family names', () => {
    expect(normalizeFamilyName('van der Berg')).toBe('berg');
    expect(normalizeFamilyName("O'Brien Jr.")).toBe('obrien');
    expect(normalizeFamilyName('De')).toBe('de');
  });
  it('should reorder "Family, Given" full names', () => {
    expect(normalizeFullName('Berg, Anna')).toBe('anna berg');
    expect(normalizeFullName('Mrs Anna van Berg')).toBe('anna berg');
  });
  it('should clip very long values', () => {
    expect((normalizeGivenName('a'.repeat(10_000)) as string).length).toBeLessThanOrEqual(256);
  });
  it('should map nicknames to one canonical name', () => {
    expect(canonicalGivenName('bill')).toBe('william');
    expect(canonicalGivenName('kate')).toBe(canonicalGivenName('katherine'));
    expect(areNicknameVariants('lisa', 'elisabeth')).toBe(true);
    expect(areNicknameVariants('sam', 'samantha')).toBe(true);
    expect(areNicknameVariants('sam', 'samuel')).toBe(true);
    expect(areNicknameVariants('bill', 'robert')).toBe(false);
  });
  it('should compute Soundex codes', () => {
    expect(soundex('robert')).toBe('r163');
    expect(soundex('rupert')).toBe('r163');
    expect(soundex('ashcraft')).toBe('a261');
    expect(soundex('')).toBe('');
  });
});

describe('addresses', () => {
  it('should abbreviate street types', () => {
    expect(normalizeStreet('12 High Street')).toBe('12 high st');
    expect(normalizeStreet('Hauptstraße')).toBe('haupt st');
    expect(normalizeStreet('Wallaby Place')).toBe(normalizeStreet('wallaby pl'));
  });
  it('should reduce house numbers to number and letter', () => {
    expect(normalizeHouseNumber('12A')).toBe('12a');
    expect(normalizeHouseNumber('12-14')).toBe('12');
    expect(normalizeHouseNumber('No. 007')).toBe('7');
    expect(normalizeHouseNumber('  ')).toBeNull();
  });
  it('should normalize postcodes', () => {
    expect(normalizePostcode('sw1a 1aa')).toBe('SW1A1AA');
    expect(normalizePostcode('94105-1234')).toBe('94105');
    expect(normalizePostcode('2119')).toBe('2119');
  });
  it('should map country names and gender words', () => {
    expect(normalizeCountry('United Kingdom')).toBe('gb');
    expect(normalizeCountry('Deutschland')).toBe('de');
    expect(normalizeGender('Female')).toBe('f');
    expect(normalizeGender('M')).toBe('m');
  });
  it('should strip separators from identifiers', () => {
    expect(normalizeIdentifier(' AB-123 456 ')).toBe('ab123456');
  });
});

describe('normalizeDate', () => {
  it('should read the common written forms', () => {
    for (const v of ['19900403', '1990-04-03', '1990/4/3', '03/04/1990', '3.4.1990', '3 Apr 1990', 'April 3, 1990', '1990-04-03T10:00:00Z', '03-Apr-90']) {
      expect(normalizeDate(v)).toBe('19900403');
    }
  });
  it('should decide day/month by value when unambiguous and by option when not', () => {
    expect(normalizeDate('04/25/1990')).toBe('19900425');
    expect(normalizeDate('03/04/1990', { dayFirst: false })).toBe('19900304');
  });
  it('should pivot two-digit years', () => {
    expect(normalizeDate('01/02/15')).toBe('20150201');
    expect(normalizeDate('01/02/75')).toBe('19750201');
  });
  it('should reject garbage and impossible months', () => {
    for (const v of ['', 'yesterday', '1990-13-01', '00/00/0000', '12345', 'x'.repeat(100)]) expect(normalizeDate(v)).toBeNull();
  });
});

describe('normalizeRecord', () => {
  it('should normalize every schema field by its kind and keep missing ones as null', () => {
    const r = normalizeRecord(
      { id: '1', attributes: { first: ' Bill ', mail: 'B.Ill@Gmail.com', dob: '1/2/1980', tel: '' }, identifiers: [{ type: 'CRM', value: 'C-1' }] },
      [
        { name: 'first', kind: 'givenName' },
        { name: 'mail', kind: 'email' },
        { name: 'dob', kind: 'birthDate' },
        { name: 'tel', kind: 'phone' },
      ],
      new ValueNormalizer(),
    );
    expect(r.values).toEqual(['bill', 'bill@gmail.com', '19800201', null]);
    expect(r.identifiers).toEqual([{ type: 'crm', value: 'c1' }]);
  });
});
