import { createHash } from 'node:crypto';
import { customerEventId, CustomerEventV1 } from '@tandem/contracts';

/** Letters only (normalizers keep them), derived from the run id: keeps one run's people apart from another's. */
export function runTag(run: string): string {
  const hash = createHash('sha1').update(run).digest();
  return Array.from(hash.subarray(0, 6), (b) => String.fromCharCode(97 + (b % 26))).join('');
}

function digits(run: string, salt: string, n: number): string {
  const hash = createHash('sha1').update(`${run}:${salt}`).digest();
  return Array.from(hash.subarray(0, n), (b) => String(b % 10)).join('');
}

/** A capitalized made-up word of the run (8 letters): surnames, towns. */
function madeUpWord(run: string, salt: string): string {
  const w = runTag(`${run}:${salt}`) + runTag(`${salt}:${run}`).slice(0, 2);
  return w[0].toUpperCase() + w.slice(1);
}

/**
 * A mobile of the run, random within 07700: Ofcom's drama range (07700 900000-900999) is too small for
 * runs not to share a number, and the test database keeps every run's people (a shared number makes a
 * lookup ambiguous).
 */
function mobile(run: string, salt: string): string {
  return `07700 ${digits(run, salt, 6)}`;
}

export interface Sources {
  crm: string;
  erp: string;
  mkt: string;
}

export function sourcesFor(run: string): Sources {
  return { crm: `crm-${run}`, erp: `erp-${run}`, mkt: `mkt-${run}` };
}

type Draft = { source: keyof Sources; id: string; attributes: CustomerEventV1['attributes']; identifiers: CustomerEventV1['identifiers']; consents?: CustomerEventV1['consents'] };

/**
 * Made-up people (every name, address and number made up) with the kinds of differences real
 * sources have: a typo, a nickname, another date format, upper-case email, a marketing record that
 * knows only the email, a household sharing address and email, and people who only look alike.
 * Names and emails carry the run's tag, so two runs rarely match each other: birth dates have 10,000
 * shifts and house numbers 100 hundreds, and two runs with the same of both can have people the matcher
 * links (the same given name, birth date and house number, look-alike streets and email local parts).
 */
export function peopleDrafts(run: string): Draft[] {
  const t = runTag(run);
  const cap = t[0].toUpperCase() + t.slice(1);
  // Surnames and towns are made-up words drawn from the run id, so two runs' people share neither.
  const word = (salt: string) => madeUpWord(run, salt);
  const typo = (w: string) => w.slice(0, 2) + w[3] + w[2] + w.slice(4);
  const mail = (local: string) => `${local}.${t}@example.invalid`;
  const williamPhone = mobile(run, 'william');
  // Birth dates shifted by a run-specific number of days, streets named after the tag.
  const shift = Number(digits(run, 'dates', 4));
  // House numbers carry a run-specific hundreds part too (the same one for every address of the run, so
  // the run's own people still share or differ in them as below): two runs' look-alikes now also need the
  // same one of 100, besides the same birth-date shift of 10,000.
  const block = 100 * (1 + Number(digits(run, 'houses', 2)));
  const house = (n: number) => String(block + n);
  const day = (iso: string) => new Date(Date.parse(`${iso}T00:00:00Z`) - shift * 86_400_000);
  const pc = (area: string, salt: string) => `${area}${Number(digits(run, salt, 2))} ${digits(run, salt + 'b', 1)}${t.slice(0, 2).toUpperCase()}`;
  const postcodes = { anna: pc('LS', 'anna'), william: pc('YO', 'william'), dunmore: pc('BS', 'dunmore'), kate: pc('M', 'kate'), kate2: pc('SW', 'kate2') };
  const isoDate = (iso: string) => day(iso).toISOString().slice(0, 10);
  const ukDate = (iso: string, sep = '/') => {
    const d = day(iso);
    return [String(d.getUTCDate()).padStart(2, '0'), String(d.getUTCMonth() + 1).padStart(2, '0'), d.getUTCFullYear()].join(sep);
  };
  return [
    // Anna: three sources, a surname typo, another date format, an upper-case email, marketing knows only the email.
    { source: 'crm', id: 'anna', attributes: { givenName: 'Anna', familyName: word('berg'), birthDate: isoDate('1985-03-12'), street: `${cap} Mill Lane`, houseNumber: house(12), postcode: postcodes.anna, city: word('Leeds') }, identifiers: [{ type: 'email', value: mail('anna.berg') }], consents: [{ channel: 'email', status: 'granted' }] },
    { source: 'erp', id: 'C-anna', attributes: { givenName: 'Anna', familyName: typo(word('berg')), birthDate: ukDate('1985-03-12'), street: `${cap} Mill Ln`, houseNumber: house(12), postcode: postcodes.anna.replace(' ', ''), city: word('Leeds') }, identifiers: [{ type: 'email', value: mail('anna.berg').toUpperCase() }] },
    { source: 'mkt', id: 'sub-anna', attributes: { givenName: 'Anna' }, identifiers: [{ type: 'email', value: ` ${mail('anna.berg')} ` }], consents: [{ channel: 'email', status: 'withdrawn' }] },
    // William / Bill: nickname, same mobile written two ways.
    { source: 'crm', id: 'william', attributes: { givenName: 'William', familyName: word('okafor'), birthDate: isoDate('1979-11-02'), city: word('York'), postcode: postcodes.william }, identifiers: [{ type: 'phone', value: williamPhone }, { type: 'email', value: mail('w.okafor') }] },
    { source: 'erp', id: 'C-william', attributes: { givenName: 'Bill', familyName: word('okafor'), birthDate: ukDate('1979-11-02', '.'), city: word('York') }, identifiers: [{ type: 'phone', value: `+44 ${williamPhone.slice(1)}` }] },
    // A household: same surname, address and family email, another given name and birth date: two people.
    { source: 'crm', id: 'carl', attributes: { givenName: 'Carl', familyName: word('dunmore'), birthDate: isoDate('1970-06-30'), street: `${cap} Oak Road`, houseNumber: house(4), postcode: postcodes.dunmore, city: word('Bristol') }, identifiers: [{ type: 'email', value: mail('dunmore.family') }] },
    { source: 'erp', id: 'C-freya', attributes: { givenName: 'Freya', familyName: word('dunmore'), birthDate: isoDate('1998-01-17'), street: `${cap} Oak Rd`, houseNumber: house(4), postcode: postcodes.dunmore, city: word('Bristol') }, identifiers: [{ type: 'email', value: mail('dunmore.family') }] },
    { source: 'erp', id: 'C-carl', attributes: { givenName: 'Carl', familyName: word('dunmore'), birthDate: ukDate('1970-06-30'), postcode: postcodes.dunmore, city: word('Bristol') }, identifiers: [{ type: 'customerNumber', value: `K-${t}-1` }] },
    // Two different people who only share a common-looking name and city.
    { source: 'crm', id: 'james-1', attributes: { givenName: 'James', familyName: word('cole'), birthDate: isoDate('1990-02-01'), city: word('Leeds') }, identifiers: [{ type: 'email', value: mail('jc1') }] },
    { source: 'mkt', id: 'james-2', attributes: { givenName: 'James', familyName: word('cole'), birthDate: isoDate('1961-09-23'), city: word('Hull') }, identifiers: [{ type: 'email', value: mail('jamesc.hull') }] },
    // Singles.
    { source: 'crm', id: 'mia', attributes: { givenName: 'Mia', familyName: word('thornton'), birthDate: isoDate('2001-07-07'), city: word('Derby') }, identifiers: [{ type: 'email', value: mail('mia.t') }] },
    { source: 'mkt', id: 'sub-oscar', attributes: { givenName: 'Oscar' }, identifiers: [{ type: 'email', value: mail('oscar') }] },
    // Katherine / Kate: nickname, moved house, email only in one source, matched on name and birth date.
    { source: 'crm', id: 'katherine', attributes: { givenName: 'Katherine', familyName: word('pell'), birthDate: isoDate('1988-12-05'), street: `${cap} High Street`, houseNumber: house(9), postcode: postcodes.kate, city: word('Manchester') }, identifiers: [{ type: 'email', value: mail('kpell') }] },
    { source: 'erp', id: 'C-kate', attributes: { givenName: 'Kate', familyName: word('pell'), birthDate: isoDate('1988-12-05'), street: `${cap} Park Avenue`, houseNumber: house(31), postcode: postcodes.kate2, city: word('London') }, identifiers: [] },
  ];
}

/**
 * One person in two systems (a CRM contact and an ERP customer sharing a mobile written two ways) whose
 * given and family names are made-up words of the run: no other run's person shares either, so none
 * is a look-alike. Use it where a test needs a record no review item can come near: the test database
 * keeps every run's people, and another run's William with the same birth date (1 in 10,000, or a
 * date one typo away) is a pair a steward should see, which rightly sends William's records the full way.
 */
export function unmistakableDrafts(run: string): Draft[] {
  const phone = mobile(run, 'unmistakable');
  const given = madeUpWord(run, 'given');
  const family = madeUpWord(run, 'family');
  const born = `19${60 + Number(digits(run, 'born-year', 2)) % 40}-0${1 + (Number(digits(run, 'born-month', 1)) % 9)}-1${digits(run, 'born-day', 1)}`;
  return [
    { source: 'crm', id: 'unmistakable', attributes: { givenName: given, familyName: family, birthDate: born, city: madeUpWord(run, 'city') }, identifiers: [{ type: 'phone', value: phone }, { type: 'email', value: `${given}.${family}@example.invalid`.toLowerCase() }] },
    { source: 'erp', id: 'C-unmistakable', attributes: { givenName: given, familyName: family, birthDate: born, city: madeUpWord(run, 'city') }, identifiers: [{ type: 'phone', value: `+44 ${phone.slice(1)}` }] },
  ];
}

/** The drafts as canonical events, version `version` of each record. */
export function peopleEvents(run: string, version = 1, drafts: Draft[] = peopleDrafts(run)): CustomerEventV1[] {
  const sources = sourcesFor(run);
  return drafts.map((d) => ({
    schemaVersion: 1,
    eventId: customerEventId(sources[d.source], d.id, version),
    source: sources[d.source],
    sourceRecordId: d.id,
    recordVersion: version,
    kind: 'customer.upserted',
    occurredAt: new Date(1_763_800_000_000 + version * 60_000).toISOString(),
    identifiers: d.identifiers,
    attributes: d.attributes,
    ...(d.consents ? { consents: d.consents } : {}),
  })) as CustomerEventV1[];
}

/** Deterministic shuffle (seeded), so a failing order can be reproduced. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
