import { createHash } from 'node:crypto';
import { Random } from '@tandem/synthetic';

/** A CRM contact as HubSpot's contacts API returns it: string properties, ISO timestamps. */
export interface CrmContact {
  id: string;
  properties: {
    email?: string;
    firstname?: string;
    lastname?: string;
    phone?: string;
    address?: string;
    city?: string;
    zip?: string;
    country?: string;
    date_of_birth?: string;
    [name: string]: string | undefined;
  };
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}

/** A row of the ERP's `customers` table (what Debezium would carry in `after`). */
export interface ErpCustomer {
  id: number;
  customer_number: string;
  first_name: string;
  last_name: string;
  email: string | null;
  phone: string | null;
  street: string | null;
  postcode: string | null;
  city: string | null;
  country: string;
  created_at: string;
  updated_at: string;
}

/** A row of the ERP's `orders` table. */
export interface ErpOrder {
  id: number;
  customer_id: number;
  order_number: string;
  placed_at: string;
  total: number;
  currency: string;
  category: string;
}

/** A marketing-tool list member, Mailchimp style: the id is the MD5 of the lower-cased email. */
export interface MarketingSubscriber {
  id: string;
  listId: string;
  email: string;
  status: 'subscribed' | 'unsubscribed' | 'cleaned';
  merges: { FNAME?: string; LNAME?: string; PHONE?: string };
}

export type SandboxSystem = 'crm' | 'erp' | 'marketing';

/** Which records are the same person. Kept beside the data; the matcher must never read it. */
export interface GroundTruth {
  /** `system:recordId` → person id. */
  personOf: Record<string, string>;
  /** People by id, with the records that are theirs. */
  people: Record<string, { records: string[]; household?: string }>;
}

export interface CustomerBase {
  crmContacts: CrmContact[];
  erpCustomers: ErpCustomer[];
  erpOrders: ErpOrder[];
  subscribers: MarketingSubscriber[];
  truth: GroundTruth;
}

export interface CustomerBaseOptions {
  people: number;
  seed?: number;
  /** Time the data set "ends"; record timestamps lie in the 400 days before. Default: a fixed date, so the data is reproducible. */
  now?: Date;
}

const GIVEN = ['anna', 'james', 'maria', 'robert', 'elizabeth', 'william', 'katherine', 'michael', 'sarah', 'thomas', 'emma', 'daniel', 'olivia', 'peter', 'lucy', 'samuel', 'grace', 'edward', 'hannah', 'oliver', 'sophie', 'jonathan', 'charlotte', 'andrew', 'rebecca', 'richard', 'victoria', 'david', 'eleanor', 'joseph'];
const NICK: Record<string, string> = { james: 'jim', robert: 'bob', elizabeth: 'liz', william: 'bill', katherine: 'kate', michael: 'mike', thomas: 'tom', daniel: 'dan', peter: 'pete', samuel: 'sam', edward: 'ted', jonathan: 'jon', andrew: 'andy', richard: 'rick', victoria: 'vicky', david: 'dave', eleanor: 'ellie', joseph: 'joe', rebecca: 'becky', charlotte: 'lottie' };
const FAMILY = ['berg', 'smith', 'jones', 'taylor', 'brown', 'wilson', 'evans', 'thomas', 'johnson', 'roberts', 'walker', 'wright', 'robinson', 'thompson', 'white', 'hughes', 'edwards', 'green', 'hall', 'wood', 'harris', 'lewis', 'martin', 'jackson', 'clarke', 'clark', 'turner', 'hill', 'scott', 'cooper', 'morris', 'ward', 'moore', 'king', 'watson', 'baker', 'harrison', 'morgan', 'patel', 'young', 'allen', 'mitchell', 'james', 'anderson', 'phillips', 'lee', 'bell', 'parker', 'davis', 'fischer'];
const CITIES: [string, string][] = [['London', 'SW'], ['Manchester', 'M'], ['Leeds', 'LS'], ['Bristol', 'BS'], ['Glasgow', 'G'], ['Cardiff', 'CF'], ['York', 'YO'], ['Oxford', 'OX'], ['Brighton', 'BN'], ['Norwich', 'NR']];
const STREETS = ['High Street', 'Station Road', 'Church Lane', 'Park Avenue', 'Mill Road', 'Victoria Street', 'Green Lane', 'Manor Close', 'Queens Road', 'Orchard Way'];
const DOMAINS = ['gmail.com', 'gmail.com', 'outlook.com', 'yahoo.co.uk', 'icloud.com', 'example.org'];
const CATEGORIES = ['shoes', 'outdoor', 'kitchen', 'books', 'garden', 'toys', 'beauty', 'electronics'];
const COMPANIES = ['northwind.example', 'contoso.example', 'fabrikam.example'];
const ROLE_LOCALS = ['info', 'sales', 'office', 'contact'];

interface Person {
  id: string;
  given: string;
  family: string;
  email: string;
  phone: string; // national digits, 11 long
  street: string;
  city: string;
  postcode: string;
  birthDate: string;
  household?: string;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Mailchimp's member id: MD5 of the lower-cased address. */
export function subscriberId(email: string): string {
  return createHash('md5').update(email.toLowerCase()).digest('hex');
}

/**
 * A seeded e-commerce customer base: each person is in one, two or three of the CRM, the ERP and
 * the marketing tool, with the differences real systems have between them (email case and Gmail
 * dots, surname typos, nicknames, phone formats, a moved address in one system, household emails
 * shared by two people, role addresses such as info@ on business customers). The same seed always
 * gives the same data; `truth` says which records are whose.
 */
export function generateCustomerBase(options: CustomerBaseOptions): CustomerBase {
  const rnd = new Random(options.seed ?? 7);
  const end = (options.now ?? new Date('2026-11-01T00:00:00Z')).getTime();
  const timeIn = (daysBack: number) => new Date(end - rnd.int(daysBack * 86400) * 1000 - rnd.int(1000));
  const base: CustomerBase = { crmContacts: [], erpCustomers: [], erpOrders: [], subscribers: [], truth: { personOf: {}, people: {} } };
  const seenSubscribers = new Set<string>();
  let crmId = 51;
  let erpId = 1;
  let orderId = 1;
  let previous: Person | null = null;

  const typo = (s: string) => {
    if (s.length < 4) return s;
    const i = 1 + rnd.int(s.length - 2);
    return rnd.chance(0.5) ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2);
  };
  const phoneAs = (digits: string) =>
    rnd.pick([digits, `+44 ${digits.slice(1, 5)} ${digits.slice(5)}`, `${digits.slice(0, 5)} ${digits.slice(5, 8)} ${digits.slice(8)}`, `+44 (0)${digits.slice(1, 5)}-${digits.slice(5)}`, `0044${digits.slice(1)}`]);
  const emailVariant = (email: string) => {
    let [local, domain] = email.split('@');
    if (domain === 'gmail.com' && rnd.chance(0.4)) local = rnd.chance(0.5) ? local.replace(/\./g, '') : `${local}+shop`;
    let out = `${local}@${domain}`;
    if (rnd.chance(0.3)) out = out.charAt(0).toUpperCase() + out.slice(1).replace(/\.(\w)/, (_, c: string) => `.${c.toUpperCase()}`);
    if (rnd.chance(0.05)) out = out.toUpperCase();
    return out;
  };
  const record = (system: SandboxSystem, recordId: string, person: Person) => {
    const key = `${system}:${recordId}`;
    base.truth.personOf[key] = person.id;
    (base.truth.people[person.id] ??= { records: [], household: person.household }).records.push(key);
  };

  for (let n = 0; n < options.people; n++) {
    const given = rnd.pick(GIVEN);
    let person: Person;
    if (previous && !previous.household && rnd.chance(0.06)) {
      // A household: same surname, address, landline-ish phone and one shared email.
      const household = `h${n}`;
      previous.household = household;
      person = { ...previous, id: `p${n}`, given, birthDate: `${1950 + rnd.int(55)}-${pad(1 + rnd.int(12))}-${pad(1 + rnd.int(28))}`, household };
      if (base.truth.people[previous.id]) base.truth.people[previous.id].household = household;
    } else {
      const family = rnd.pick(FAMILY);
      const [city, area] = rnd.pick(CITIES);
      const local = rnd.pick([`${given}.${family}`, `${given}${family}`, `${given[0]}.${family}`, `${family}.${given}`]) + (rnd.chance(0.4) ? String(rnd.int(90) + 10) : '');
      person = {
        id: `p${n}`,
        given,
        family,
        email: `${local}@${rnd.pick(DOMAINS)}`,
        phone: `07${pad(rnd.int(1000), 3)}${pad(rnd.int(1000000), 6)}`,
        street: `${1 + rnd.int(200)} ${rnd.pick(STREETS)}`,
        city,
        postcode: `${area}${1 + rnd.int(20)} ${rnd.int(10)}${String.fromCharCode(65 + rnd.int(26))}${String.fromCharCode(65 + rnd.int(26))}`,
        birthDate: `${1950 + rnd.int(55)}-${pad(1 + rnd.int(12))}-${pad(1 + rnd.int(28))}`,
      };
    }
    previous = person;

    // Which systems know this person: everyone buys (ERP) or is a lead (CRM); many are subscribers.
    const inErp = rnd.chance(0.8);
    const inCrm = !inErp || rnd.chance(0.6);
    const inMarketing = rnd.chance(0.55);
    const business = inErp && rnd.chance(0.04);

    if (inCrm) {
      const created = timeIn(400);
      const updated = new Date(Math.max(created.getTime(), timeIn(60).getTime()));
      const id = String(crmId++);
      base.crmContacts.push({
        id,
        properties: {
          email: emailVariant(person.email),
          firstname: cap(rnd.chance(0.15) && NICK[person.given] ? NICK[person.given] : person.given),
          lastname: cap(person.family),
          phone: rnd.chance(0.7) ? phoneAs(person.phone) : undefined,
          address: rnd.chance(0.8) ? person.street : undefined,
          city: person.city,
          zip: person.postcode,
          country: 'United Kingdom',
          date_of_birth: rnd.chance(0.5) ? person.birthDate : undefined,
        },
        createdAt: created.toISOString(),
        updatedAt: updated.toISOString(),
        archived: false,
      });
      record('crm', id, person);
    }
    if (inErp) {
      const id = erpId++;
      const moved = rnd.chance(0.12);
      const [movedCity, area] = rnd.pick(CITIES);
      const created = timeIn(700);
      const customer: ErpCustomer = {
        id,
        customer_number: `C-${pad(100000 + id, 6)}`,
        first_name: cap(person.given),
        last_name: cap(rnd.chance(0.1) ? typo(person.family) : person.family),
        email: business ? `${rnd.pick(ROLE_LOCALS)}@${rnd.pick(COMPANIES)}` : rnd.chance(0.9) ? person.email.toLowerCase() : null,
        phone: rnd.chance(0.6) ? phoneAs(person.phone) : null,
        street: moved ? `${1 + rnd.int(200)} ${rnd.pick(STREETS)}` : person.street,
        postcode: moved ? `${area}${1 + rnd.int(20)} ${rnd.int(10)}AB` : person.postcode.replace(' ', rnd.chance(0.3) ? '' : ' '),
        city: moved ? movedCity : person.city,
        country: 'GB',
        created_at: created.toISOString(),
        updated_at: new Date(Math.max(created.getTime(), timeIn(90).getTime())).toISOString(),
      };
      base.erpCustomers.push(customer);
      record('erp', String(id), person);
      const orders = rnd.int(6);
      for (let o = 0; o < orders; o++) {
        base.erpOrders.push({
          id: orderId,
          customer_id: id,
          order_number: `SO-${pad(orderId, 7)}`,
          placed_at: timeIn(365).toISOString(),
          total: Math.round((5 + rnd.next() * 295) * 100) / 100,
          currency: 'GBP',
          category: rnd.pick(CATEGORIES),
        });
        orderId++;
      }
    }
    if (inMarketing) {
      const email = rnd.chance(0.6) ? person.email.toLowerCase() : emailVariant(person.email);
      const id = subscriberId(email);
      // A household's shared address is one member in the marketing tool: the first one wins.
      if (!seenSubscribers.has(id)) {
        seenSubscribers.add(id);
        const status = rnd.chance(0.85) ? 'subscribed' : rnd.chance(0.7) ? 'unsubscribed' : 'cleaned';
        base.subscribers.push({
          id,
          listId: 'a1b2c3d4e5',
          email,
          status,
          merges: { FNAME: cap(rnd.chance(0.2) && NICK[person.given] ? NICK[person.given] : person.given), LNAME: cap(person.family), PHONE: rnd.chance(0.3) ? phoneAs(person.phone) : undefined },
        });
        record('marketing', id, person);
      }
    }
  }
  return base;
}
