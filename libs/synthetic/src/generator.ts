import { Random } from './random';
import { CITIES, EMAIL_DOMAINS, FEMALE_NAMES, MALE_NAMES, NICKNAMES, STREET_ABBREVIATIONS, STREET_NAMES, STREET_TYPES, SURNAMES, inventSurname } from './names';

/** One generated source record and the person it belongs to (the truth). */
export interface SyntheticRecord {
  recordId: string;
  personId: string;
  givenName: string;
  familyName: string;
  birthDate: string;
  email: string;
  phone: string;
  street: string;
  houseNumber: string;
  city: string;
  postcode: string;
}

export const SYNTHETIC_COLUMNS: ReadonlyArray<keyof SyntheticRecord> = [
  'recordId', 'personId', 'givenName', 'familyName', 'birthDate', 'email', 'phone', 'street', 'houseNumber', 'city', 'postcode',
];

export interface GeneratorOptions {
  /** Total records to emit. */
  records: number;
  seed?: number;
  /** Share of people with more than one record. Default 0.4. */
  duplicateShare?: number;
  /** Share of people who live with the previous person and share their family name, address, email and phone. Default 0.08. */
  householdShare?: number;
  /** Scales every corruption probability (0 = clean copies). Default 1. */
  corruption?: number;
}

interface Person {
  id: number;
  given: string;
  family: string;
  dob: [number, number, number];
  email: string;
  phone: string;
  street: string;
  house: number;
  city: string;
  postcode: string;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function cap(s: string): string {
  return s.replace(/(^|[\s-])(\p{L})/gu, (_, p: string, c: string) => p + c.toUpperCase());
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** Record ids that reveal nothing about the person: a bijective scramble of the counter. */
function opaqueId(counter: number): string {
  const x = Math.imul(counter + 1, 0x9e3779b1) >>> 0;
  return `r${x.toString(16).padStart(8, "0")}`;
}

/**
 * Seeded synthetic people with realistic corruption between a person's records: typos, nicknames,
 * swapped given/family names, missing values, moved addresses, other date and phone formats, Gmail dot
 * and +tag variants, and households that share a family name, address, email and phone.
 */
export function* generateRecords(options: GeneratorOptions): Generator<SyntheticRecord> {
  const rnd = new Random(options.seed ?? 42);
  const dupShare = options.duplicateShare ?? 0.4;
  const household = options.householdShare ?? 0.08;
  const k = options.corruption ?? 1;
  const p = (x: number) => rnd.chance(x * k);
  let emitted = 0;
  let personCounter = 0;
  let prev: Person | null = null;

  const typo = (s: string): string => {
    if (s.length < 2) return s;
    const i = rnd.int(s.length);
    switch (rnd.int(4)) {
      case 0:
        return s.slice(0, i) + s.slice(i + 1);
      case 1:
        return s.slice(0, i) + rnd.pick([...LETTERS]) + s.slice(i);
      case 2:
        return s.slice(0, i) + rnd.pick([...LETTERS]) + s.slice(i + 1);
      default:
        return i < s.length - 1 ? s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2) : s.slice(0, i - 1) + s[i] + s[i - 1];
    }
  };
  const address = () => {
    const [city, area] = rnd.pick(CITIES);
    return {
      street: `${cap(rnd.pick(STREET_NAMES))} ${rnd.pick(STREET_TYPES)}`,
      house: 1 + Math.floor(Math.pow(rnd.next(), 2) * 250),
      city,
      postcode: `${area}${1 + rnd.int(30)} ${rnd.int(10)}${LETTERS[rnd.int(26)].toUpperCase()}${LETTERS[rnd.int(26)].toUpperCase()}`,
    };
  };
  const newEmail = (given: string, family: string): string => {
    const n = rnd.chance(0.6) ? String(rnd.int(100)) : '';
    const local = rnd.pick([`${given}.${family}`, `${given[0]}${family}`, `${given}${family}`, `${family}.${given}`, `${given}${family[0]}`]) + n;
    return `${local.replace(/[^a-z0-9.]/g, '')}@${rnd.pick(EMAIL_DOMAINS)}`;
  };
  const newPhone = () => `07${pad(rnd.int(1000), 3)}${pad(rnd.int(1000000), 6)}`;

  while (emitted < options.records) {
    const female = rnd.chance(0.5);
    let person: Person;
    const given = rnd.pickSkewed(female ? FEMALE_NAMES : MALE_NAMES);
    const dob: [number, number, number] = [1940 + rnd.int(66), 1 + rnd.int(12), 1 + rnd.int(28)];
    if (prev && rnd.chance(household)) {
      person = { ...prev, id: personCounter++, given, dob };
    } else {
      const family = rnd.chance(0.65) ? rnd.pickSkewed(SURNAMES, 2.5) : inventSurname((xs) => rnd.pick(xs));
      person = { id: personCounter++, given, family, dob, email: newEmail(given, family), phone: newPhone(), ...address() };
    }
    prev = person;
    let copies = 1;
    if (rnd.chance(dupShare)) {
      copies = 2;
      while (copies < 6 && rnd.chance(0.35)) copies++;
    }
    for (let c = 0; c < copies && emitted < options.records; c++) {
      yield render(person, c === 0 ? 0.3 : 1, emitted);
      emitted++;
    }
  }

  function render(person: Person, weight: number, counter: number): SyntheticRecord {
    const q = (x: number) => p(x * weight);
    let given = person.given;
    if (NICKNAMES[given] && q(0.12)) given = rnd.pick(NICKNAMES[given]);
    if (q(0.08)) given = typo(given);
    let family = person.family;
    if (q(0.08)) family = typo(family);
    if (q(0.02)) [given, family] = [family, given];
    given = q(0.05) ? given.toUpperCase() : cap(given);
    family = q(0.05) ? family.toUpperCase() : cap(family);
    if (q(0.04)) given = '';
    if (q(0.02)) family = '';

    let [y, m, d] = person.dob;
    if (q(0.03) && d <= 12) [m, d] = [d, m];
    let dobDigits = `${y}${pad(m)}${pad(d)}`;
    if (q(0.04)) {
      const i = rnd.int(8);
      dobDigits = dobDigits.slice(0, i) + rnd.int(10) + dobDigits.slice(i + 1);
    }
    const yy = dobDigits.slice(0, 4);
    const mm = dobDigits.slice(4, 6);
    const dd = dobDigits.slice(6, 8);
    let birthDate = rnd.pick([`${yy}-${mm}-${dd}`, `${yy}-${mm}-${dd}`, `${dd}/${mm}/${yy}`, `${yy}${mm}${dd}`]);
    if (q(0.04)) birthDate = '';

    let email = person.email;
    if (q(0.1)) email = newEmail(person.given, person.family);
    if (email.endsWith('@gmail.com') && q(0.2)) {
      const [local, dom] = email.split('@');
      email = rnd.chance(0.5) ? `${local}+shop@${dom}` : `${local.replace(/\./g, '')}@${dom}`;
    }
    if (q(0.04)) email = typo(email);
    if (q(0.1)) email = email.toUpperCase();
    if (q(0.3)) email = '';

    let phone = person.phone;
    if (q(0.03)) phone = typo(phone);
    const pfmt = rnd.int(4);
    if (phone.length === 11) {
      if (pfmt === 1) phone = `+44 ${phone.slice(1, 5)} ${phone.slice(5)}`;
      else if (pfmt === 2) phone = `${phone.slice(0, 5)} ${phone.slice(5, 8)} ${phone.slice(8)}`;
      else if (pfmt === 3) phone = `(${phone.slice(0, 5)}) ${phone.slice(5)}`;
    }
    if (q(0.4)) phone = '';

    let { street, house, city, postcode } = person;
    if (q(0.12)) ({ street, house, city, postcode } = address());
    const words = street.split(' ');
    const type = words[words.length - 1];
    if (q(0.3) && STREET_ABBREVIATIONS[type]) street = `${words.slice(0, -1).join(' ')} ${STREET_ABBREVIATIONS[type]}`;
    if (q(0.04)) street = typo(street);
    if (q(0.05)) street = '';
    if (q(0.05)) city = typo(city);
    if (q(0.08)) city = '';
    if (q(0.2)) postcode = postcode.replace(' ', '');
    if (q(0.1)) postcode = postcode.toLowerCase();
    if (q(0.05)) postcode = '';
    return {
      recordId: opaqueId(counter),
      personId: `p${person.id}`,
      givenName: given,
      familyName: family,
      birthDate,
      email,
      phone,
      street,
      houseNumber: q(0.04) ? '' : String(house),
      city,
      postcode,
    };
  }
}
