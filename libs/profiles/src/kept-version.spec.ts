import { applyPlan, planResolution, type Plan } from './population/planner';
import { Population } from './population/population';
import { planRequest, stageChanges, type RecordChange } from './profile-resolver';
import { hubModel } from './record-model';
import { writePlan, type ConsentStatement } from './plan-writer';
import type { Queryable } from './resolver-timings';
import { expandLineage } from './stored-forms';
import { survivorship } from './survivorship';

// New versions of known records that change nothing the matcher reads (attributes it does not compare,
// consent) are kept in their slot: no candidate search, no re-clustering, identifier rows and links as
// they are; the golden record and consent are recomputed. Fictitious people; the database is a fake
// that answers the plan writer's statements the way the tables would (the e2e suites run the real ones).

type Row = { id: string; source: string; source_record_id: string; version: number; occurred_at: Date; attributes: Record<string, string>; identifiers: unknown[]; profile_id: string | null };
type IdentifierRow = { t: string; v: string; r: string; f: boolean; p: string | null };
type Profile = { golden: unknown; lineage: unknown; consents: Array<{ channel: string; purpose: string; status: string }>; version: number; status: string };

const RANK: Record<string, number> = { granted: 1, withdrawn: 2, suppressed: 3 };

/** An array literal as sql-arrays.ts writes them: elements quoted (with \\ escapes) or bare, NULL for null. */
function arrayLiteral(text: string): Array<string | null> {
  const out: Array<string | null> = [];
  const body = text.slice(1, -1);
  for (let i = 0; i < body.length; ) {
    if (body[i] === '"') {
      let value = '';
      for (i++; body[i] !== '"'; i++) value += body[i] === '\\' ? body[++i] : body[i];
      out.push(value);
      i += 2;
    } else {
      const end = body.indexOf(',', i) < 0 ? body.length : body.indexOf(',', i);
      const value = body.slice(i, end);
      out.push(value === 'NULL' ? null : value);
      i = end + 1;
    }
  }
  return out;
}

/** A statement's column parameters as rows; kinds per column: x text, b boolean, n number, j a JSON array, m uuid[] lines. */
function columnRows(params: unknown[], names: string[], kinds: string): Array<Record<string, unknown>> {
  const columns = names.map((_, c) => {
    const text = params[c] as string;
    const kind = kinds[c];
    if (kind === 'j') return JSON.parse(text) as unknown[];
    if (kind === 'm') return text.split('\n').map((line) => (line === '' ? null : arrayLiteral(line)));
    const values = arrayLiteral(text);
    return kind === 'b' ? values.map((v) => v === 'true') : kind === 'n' ? values.map(Number) : values;
  });
  return columns[0].map((_, r) => Object.fromEntries(names.map((name, c) => [name, columns[c][r]])));
}

/** A source record statement's rows (see writeRecords). */
function recordRows(params: unknown[]): Array<Record<string, unknown>> {
  return columnRows(params, ['id', 's', 'r', 'v', 'e', 'k', 'd', 'i', 'a', 'o', 'p'], 'xxxnxxbjjxx');
}

/** The resolver's tables, as far as the plan writer's statements touch them. */
class FakeTables implements Queryable {
  readonly records = new Map<string, Row>();
  identifiers: IdentifierRow[] = [];
  readonly recordConsents = new Map<string, { record: string; channel: string; purpose: string; status: string }>();
  readonly profiles = new Map<string, Profile>();
  readonly links = new Map<string, { a: string; b: string; p: string; s: number }>();
  statements: string[] = [];

  async query(sql: string, params: unknown[] = []): Promise<unknown> {
    const text = sql.replace(/\s+/g, ' ').trim();
    this.statements.push(text);
    if (text.startsWith('INSERT INTO source_records')) {
      const rows = recordRows(params);
      for (const r of rows) this.records.set(r.id as string, this.row(r));
      return rows.map((r) => ({ id: r.id }));
    }
    if (text.startsWith('UPDATE source_records s SET record_version')) {
      const done = recordRows(params).filter((r) => (this.records.get(r.id as string)?.version ?? Infinity) < (r.v as number));
      for (const r of done) this.records.set(r.id as string, this.row(r));
      return [done.map((r) => ({ id: r.id })), done.length];
    }
    if (text.startsWith('UPDATE source_records s SET profile_id')) {
      const [ids, ps] = params as [string[], string[]];
      ids.forEach((id, i) => ((this.records.get(id) as Row).profile_id = ps[i]));
      return [[], ids.length];
    }
    if (text.startsWith('UPDATE identifiers')) {
      const [ids, ps] = params as [string[], string[]];
      for (const row of this.identifiers) if (ids.includes(row.r)) row.p = ps[ids.indexOf(row.r)];
      return [[], ids.length];
    }
    if (text.startsWith('DELETE FROM identifiers')) {
      const ids = params[0] as string[];
      this.identifiers = this.identifiers.filter((row) => !ids.includes(row.r));
      return [[], 0];
    }
    if (text.startsWith('INSERT INTO identifiers')) {
      this.identifiers.push(...(columnRows(params, ['t', 'v', 'r', 'f', 'p'], 'xxxbx') as IdentifierRow[]));
      return [];
    }
    if (text.startsWith('INSERT INTO record_consents')) {
      const [records, channels, purposes, statuses] = params as string[][];
      records.forEach((record, i) => this.recordConsents.set(`${record}|${channels[i]}|${purposes[i]}`, { record, channel: channels[i], purpose: purposes[i], status: statuses[i] }));
      return [];
    }
    if (text.startsWith('SELECT id, source, source_record_id')) return (params[0] as string[]).map((id) => this.records.get(id)).filter(Boolean);
    if (text.startsWith('SELECT id, jsonb_build_array')) {
      return (params[0] as string[]).filter((id) => this.profiles.has(id)).map((id) => ({ id, g: JSON.stringify([this.profiles.get(id)?.golden, this.profiles.get(id)?.lineage]) }));
    }
    if (text.startsWith('SELECT record_a')) return [...this.links.values()].filter((l) => (params[0] as string[]).includes(l.p)).map((l) => ({ record_a: l.a, record_b: l.b, profile_id: l.p }));
    if (text.startsWith('INSERT INTO profiles') || text.startsWith("UPDATE profiles p SET status = 'active'")) {
      const out = columnRows(params, ['id', 'g', 'l', 'c', 'm'], 'xjjnm').map((t) => {
        const before = this.profiles.get(t.id as string);
        const consents = t.m ? this.consentOf(t.m as string[]) : (before?.consents ?? []);
        this.profiles.set(t.id as string, { golden: t.g, lineage: t.l, consents, version: (before?.version ?? 0) + 1, status: 'active' });
        return { id: t.id, has: consents.length > 0 };
      });
      return text.startsWith('INSERT') ? out : [out, out.length];
    }
    if (text.startsWith('UPDATE profiles p SET status = CASE')) {
      for (const id of params[0] as string[]) Object.assign(this.profiles.get(id) as Profile, { status: 'retired', consents: [] });
      return [[], 0];
    }
    if (text.startsWith('DELETE FROM profile_links l')) {
      const [as, bs] = params as string[][];
      as.forEach((a, i) => this.links.delete(`${a}|${bs[i]}`));
      return [[], 0];
    }
    if (text.startsWith('DELETE FROM profile_links WHERE')) {
      for (const [k, l] of this.links) if ((params[0] as string[]).includes(l.p)) this.links.delete(k);
      return [[], 0];
    }
    if (text.startsWith('INSERT INTO profile_links')) {
      for (const l of columnRows(params, ['a', 'b', 'p', 's', 'r', 'e'], 'xxxnxj')) this.links.set(`${l.a}|${l.b}`, { a: l.a as string, b: l.b as string, p: l.p as string, s: l.s as number });
      return [];
    }
    if (/^(DELETE FROM profile_consents|INSERT INTO profile_consents|INSERT INTO review_queue|UPDATE review_queue|INSERT INTO profile_outbox)/.test(text)) return [];
    throw new Error(`fake tables: unexpected statement ${text.slice(0, 80)}`);
  }

  private row(r: Record<string, unknown>): Row {
    return { id: r.id as string, source: r.s as string, source_record_id: r.r as string, version: r.v as number, occurred_at: new Date(r.o as string), attributes: r.a as Record<string, string>, identifiers: r.i as unknown[], profile_id: r.p as string | null };
  }

  /** Most restrictive status per channel and purpose, ordered (what writeProfiles computes in SQL). */
  private consentOf(members: string[]): Profile['consents'] {
    const best = new Map<string, { channel: string; purpose: string; status: string }>();
    for (const c of this.recordConsents.values()) {
      if (!members.includes(c.record)) continue;
      const key = `${c.channel}|${c.purpose}`;
      const seen = best.get(key);
      if (!seen || RANK[c.status] > RANK[seen.status]) best.set(key, { channel: c.channel, purpose: c.purpose, status: c.status });
    }
    return [...best.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
  }

  /** Statements that wrote identifier rows or links. */
  identifierOrLinkWrites(): string[] {
    return this.statements.filter((s) => /^(DELETE FROM identifiers|INSERT INTO identifiers|UPDATE identifiers|DELETE FROM profile_links|INSERT INTO profile_links)/.test(s));
  }
}

/** One transaction as ResolutionTransaction runs it (stage, plan, write, apply), without the lock and the log. */
async function transact(pop: Population, db: FakeTables, changes: RecordChange[]): Promise<Plan> {
  const staged = stageChanges(pop, changes);
  const plan = planResolution(pop, planRequest(staged));
  const review = plan.review.map((p) => ({ a: pop.idOf(p.a), b: pop.idOf(p.b), score: p.score }));
  db.statements = [];
  const written = await writePlan(db, pop, plan, staged);
  applyPlan(pop, plan, review);
  for (const [id, has] of written.consentProfiles) {
    const p = pop.profiles.get(id);
    if (p) p.consents = has;
  }
  return plan;
}

function change(source: string, id: string, attributes: Record<string, string>, email: string | null, version = 1, extra: Partial<RecordChange> = {}): RecordChange {
  return {
    source,
    sourceRecordId: id,
    version,
    eventId: `00000000-0000-4000-8000-${String(version).padStart(4, '0')}${id.padStart(8, '0')}`,
    kind: 'customer.upserted',
    deleted: false,
    occurredAt: new Date(1_700_000_000_000 + version * 86_400_000).toISOString(),
    attributes,
    identifiers: email ? [{ type: 'email', value: email }] : [],
    consents: [],
    ...extra,
  };
}

const ANNA = { givenName: 'Anna', familyName: 'Quellberg', birthDate: '1985-03-12', city: 'Ashvale' };
const people = (): RecordChange[] => [
  change('crm', 'r1', ANNA, 'anna.q@example.invalid'),
  change('erp', 'r2', { ...ANNA, familyName: 'Qeullberg', birthDate: '12/03/1985' }, 'ANNA.Q@example.invalid'),
  change('mkt', 'r3', { givenName: 'Anna' }, 'anna.q@example.invalid'),
  change('crm', 'r4', { givenName: 'Carl', familyName: 'Dunmoreton', birthDate: '1970-06-30', postcode: 'BS1 5TR' }, 'carl.d@example.invalid'),
];

async function annaAndCarl() {
  const pop = new Population(hubModel());
  const db = new FakeTables();
  await transact(pop, db, people());
  const slot = (key: string) => pop.slotOfKey(key) as number;
  const profileOf = (key: string) => pop.profileOf[slot(key)] as string;
  expect(profileOf('erp\u0000r2')).toBe(profileOf('crm\u0000r1'));
  expect(profileOf('mkt\u0000r3')).toBe(profileOf('crm\u0000r1'));
  return { pop, db, slot, profileOf, anna: profileOf('crm\u0000r1') };
}

describe('a new version that changes nothing the matcher reads', () => {
  it('should keep the profile, its identifier rows and links, and change only the golden record when an attribute the matcher ignores changes', async () => {
    const { pop, db, slot, profileOf, anna } = await annaAndCarl();
    const identifiersBefore = JSON.stringify(db.identifiers);
    const linksBefore = JSON.stringify([...db.links.values()]);
    const slotBefore = slot('crm\u0000r1');
    const versionBefore = db.profiles.get(anna)?.version as number;

    const v2 = change('crm', 'r1', { ...ANNA, locale: 'de-DE' }, 'anna.q@example.invalid', 2);
    const plan = await transact(pop, db, [v2]);

    expect(plan.stats).toMatchObject({ searched: 0, scored: 0, kept: 1 });
    expect(plan.neighbourhood).toEqual([]);
    expect(profileOf('crm\u0000r1')).toBe(anna);
    expect(slot('crm\u0000r1')).toBe(slotBefore);
    expect(pop.version(slotBefore)).toBe(2);
    const profile = db.profiles.get(anna) as Profile;
    expect(profile.version).toBe(versionBefore + 1);
    expect(profile.golden).toMatchObject({ locale: 'de-DE', givenName: 'Anna' });
    expect(expandLineage(profile.lineage).locale).toMatchObject({ sourceRecordId: 'r1', occurredAt: v2.occurredAt });
    expect(db.records.get(pop.idOf(slotBefore))?.attributes.locale).toBe('de-DE');
    expect(db.identifierOrLinkWrites()).toEqual([]);
    expect(JSON.stringify(db.identifiers)).toBe(identifiersBefore);
    expect(JSON.stringify([...db.links.values()])).toBe(linksBefore);
    expect(db.statements.some((s) => s.startsWith('INSERT INTO profile_outbox'))).toBe(true);
  });

  it("should change the profile's consent when a version states only consent", async () => {
    const { pop, db, profileOf, anna } = await annaAndCarl();
    expect(db.profiles.get(anna)?.consents).toEqual([]);
    const withdrawn: ConsentStatement = { channel: 'email', purpose: '', status: 'withdrawn', occurredAt: new Date(1_700_000_000_000 + 3 * 86_400_000).toISOString() };
    const unsubscribed = change('mkt', 'r3', { givenName: 'Anna' }, 'anna.q@example.invalid', 3, { kind: 'email.unsubscribed', consents: [withdrawn] });
    const plan = await transact(pop, db, [unsubscribed]);

    expect(plan.stats).toMatchObject({ searched: 0, kept: 1 });
    expect(profileOf('mkt\u0000r3')).toBe(anna);
    expect(db.profiles.get(anna)?.consents).toEqual([{ channel: 'email', purpose: '', status: 'withdrawn' }]);
    expect(pop.profiles.get(anna)?.consents).toBe(true);
    expect(pop.hasConsents(pop.slotOfKey('mkt\u0000r3') as number)).toBe(true);
    expect(db.identifierOrLinkWrites()).toEqual([]);

    // A later grant does not lift it (most restrictive wins), and Carl's profile is not touched.
    const granted = change('crm', 'r1', ANNA, 'anna.q@example.invalid', 4, { consents: [{ ...withdrawn, status: 'granted' }] });
    await transact(pop, db, [granted]);
    expect(db.profiles.get(anna)?.consents).toEqual([{ channel: 'email', purpose: '', status: 'withdrawn' }]);
    expect(db.profiles.get(profileOf('crm\u0000r4'))?.version).toBe(1);
  });

  it('should resolve in full a version that changes an identifier, and split the record off when it no longer matches', async () => {
    const { pop, db, profileOf, anna } = await annaAndCarl();
    const moved = change('erp', 'r2', { givenName: 'Oskar', familyName: 'Whitlowe', birthDate: '1951-11-02', city: 'Ashvale' }, 'oskar.w@example.invalid', 2);
    const plan = await transact(pop, db, [moved]);
    expect(plan.stats).toMatchObject({ searched: 1, kept: 0 });
    expect(profileOf('erp\u0000r2')).not.toBe(anna);
    expect(plan.clusters.find((c) => c.profileId === anna)?.change).toBe('split');
    const r2 = pop.idOf(pop.slotOfKey('erp\u0000r2') as number);
    expect(db.identifiers.filter((row) => row.r === r2).map((row) => row.v)).toEqual(['oskar.w@example.invalid']);
  });

  it('should resolve in full a version that changes a compared value or only a verified flag', async () => {
    const { pop, db, profileOf, anna } = await annaAndCarl();
    // A city the scorer compares: resolved again (and still Anna).
    const city = await transact(pop, db, [change('crm', 'r1', { ...ANNA, city: 'Brackwater' }, 'anna.q@example.invalid', 2)]);
    expect(city.stats).toMatchObject({ searched: 1, kept: 0 });
    expect(profileOf('crm\u0000r1')).toBe(anna);
    // The same email, now verified: its identifier row says so.
    const verified = change('crm', 'r1', { ...ANNA, city: 'Brackwater' }, null, 3, { identifiers: [{ type: 'email', value: 'anna.q@example.invalid', verified: true }] });
    const plan = await transact(pop, db, [verified]);
    expect(plan.stats).toMatchObject({ searched: 1, kept: 0 });
    const r1 = pop.idOf(pop.slotOfKey('crm\u0000r1') as number);
    expect(db.identifiers.filter((row) => row.r === r1).map((row) => row.f)).toEqual([true]);
  });

  it('should resolve in full a deletion, and an undeletion of a deleted record', async () => {
    const { pop, db, profileOf, anna } = await annaAndCarl();
    const gone = await transact(pop, db, [{ ...change('mkt', 'r3', {}, null, 2), deleted: true, kind: 'customer.deleted' }]);
    expect(gone.stats.kept).toBe(0);
    expect(pop.profiles.get(anna)?.members.length).toBe(2);
    const back = await transact(pop, db, [change('mkt', 'r3', { givenName: 'Anna' }, 'anna.q@example.invalid', 3)]);
    expect(back.stats).toMatchObject({ searched: 1, kept: 0 });
    expect(profileOf('mkt\u0000r3')).toBe(anna);
  });

  it('should change nothing for a replayed or older version, and drop a kept version when its transaction rolls back', async () => {
    const { pop, db, slot } = await annaAndCarl();
    expect(stageChanges(pop, [change('crm', 'r1', { ...ANNA, locale: 'de-DE' }, 'anna.q@example.invalid', 1)])).toEqual([]);
    const staged = stageChanges(pop, [change('crm', 'r1', { ...ANNA, locale: 'de-DE' }, 'anna.q@example.invalid', 2)]);
    expect(staged.map((c) => c.kept)).toEqual([true]);
    pop.rollback();
    expect(pop.version(slot('crm\u0000r1'))).toBe(1);
    const again = await transact(pop, db, [change('crm', 'r1', { ...ANNA, locale: 'fr-FR' }, 'anna.q@example.invalid', 2)]);
    expect(again.stats.kept).toBe(1);
    expect(pop.version(slot('crm\u0000r1'))).toBe(2);
  });

  it('should re-cluster a kept record with its profile when a new record in the same transaction joins that profile', async () => {
    const { pop, db, profileOf, anna } = await annaAndCarl();
    const plan = await transact(pop, db, [
      change('crm', 'r1', { ...ANNA, locale: 'de-DE' }, 'anna.q@example.invalid', 2),
      change('erp', 'r5', { givenName: 'Anna', familyName: 'Quellberg', birthDate: '1985-03-12' }, 'anna.q@example.invalid'),
    ]);
    expect(plan.stats.kept).toBe(1);
    expect(profileOf('erp\u0000r5')).toBe(anna);
    expect(plan.clusters.filter((c) => c.profileId === anna)).toHaveLength(1);
    expect(db.profiles.get(anna)?.golden).toMatchObject({ locale: 'de-DE' });
    expect(pop.profiles.get(anna)?.members.length).toBe(4);
  });

  it("should make the golden record the members' stored rows make, without reading those rows back unless an instant may come back changed", async () => {
    const pop = new Population(hubModel());
    const db = new FakeTables();
    const padded = change('crm', 'r1', { givenName: ' Anna ', familyName: 'Quellberg', birthDate: '1985-03-12', locale: '  ', street: ' Mill Lane', city: 'Ashvale' }, null, 1, {
      identifiers: [
        { type: 'email', value: 'ANNA.Q@example.invalid' },
        { type: 'email', value: 'anna.q@example.invalid', verified: true },
        { type: 'phone', value: '+44 7700 900123' },
        { type: 'loyaltyId', value: 'L-1' },
      ],
    });
    // Microseconds: PostgreSQL and the driver may give this instant back a millisecond apart from how it was sent.
    const micro = change('erp', 'r2', { ...ANNA, familyName: 'Qeullberg', city: 'Brackwater' }, 'anna.q@example.invalid', 1, { occurredAt: '2023-11-16T22:13:20.1234567Z' });
    await transact(pop, db, [padded, micro, change('mkt', 'r3', { givenName: 'Anna' }, 'anna.q@example.invalid')]);
    const anna = pop.profileOf[pop.slotOfKey('crm\u0000r1') as number] as string;
    expect(pop.profiles.get(anna)?.members.length).toBe(3);

    // A kept version of r3: survivorship needs r1 and r2 as stored.
    await transact(pop, db, [change('mkt', 'r3', { givenName: 'Anna', locale: 'en-GB' }, 'anna.q@example.invalid', 2)]);
    const reads = db.statements.filter((s) => s.startsWith('SELECT id, source, source_record_id'));
    expect(reads).toHaveLength(1);
    const r2 = pop.idOf(pop.slotOfKey('erp\u0000r2') as number);

    const rows = [...db.records.values()].filter((r) => r.profile_id === anna);
    const expected = survivorship(
      rows.map((r) => ({
        stored: { source: r.source, sourceRecordId: r.source_record_id, occurredAt: r.occurred_at.toISOString(), attributes: r.attributes },
        sortKey: `${r.source}\u0000${r.source_record_id}`,
        identifiers: pop.normalizer.identifiers({ source: r.source, identifiers: r.identifiers as Array<{ type: string; value: string }> }),
      })),
    );
    const profile = db.profiles.get(anna) as Profile;
    expect(profile.golden).toEqual(JSON.parse(JSON.stringify(expected.golden)));
    expect(expandLineage(profile.lineage)).toEqual(expected.lineage);
    expect(profile.golden).toMatchObject({ givenName: 'Anna', locale: 'en-GB', city: 'Brackwater', emails: [{ value: 'anna.q@example.invalid', verified: true }] });

    // Once r2 has a version with a millisecond instant, nothing is read back.
    await transact(pop, db, [change('erp', 'r2', { ...ANNA, familyName: 'Qeullberg', city: 'Brackwater', locale: 'de-DE' }, 'anna.q@example.invalid', 2)]);
    await transact(pop, db, [change('mkt', 'r3', { givenName: 'Anna', locale: 'fr-FR' }, 'anna.q@example.invalid', 3)]);
    expect(db.statements.filter((s) => s.startsWith('SELECT id, source, source_record_id'))).toEqual([]);
    expect(pop.slotOfId(r2)).toBeDefined();
  });
});
