import { Client } from 'pg';
import { OneBufferQuery } from '../../libs/profiles/src/one-buffer-query';
import { jsonbElements, scalarArray, textArray, uuidArray, uuidArrayLines } from '../../libs/profiles/src/sql-arrays';

// The resolver's statements carry source values (record ids, identifiers, names) as array literals
// built by hand; whatever a source sends must come back from PostgreSQL exactly as it was sent.
describe('array parameters of the resolver statements, read by PostgreSQL', () => {
  let db: Client;

  beforeAll(async () => {
    db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
  });

  afterAll(async () => {
    await db.end();
  });

  it('gives back every text as sent, whatever characters it holds', async () => {
    const texts = [
      'plain',
      '',
      'NULL',
      'null',
      'with "double" quotes',
      'back\\slash and \\" both',
      'trailing backslash \\',
      '{braces},commas,',
      '  leading and trailing spaces  ',
      'tab\tnew\nline\rreturn',
      "it's",
      'Zoë Ångström 李雷 🙂',
      null,
    ];
    const { rows } = await db.query<{ t: string | null }>('SELECT t FROM unnest($1::text[]) WITH ORDINALITY AS x(t, n) ORDER BY n', [textArray(texts)]);
    expect(rows.map((r) => r.t)).toEqual(texts);
  });

  it('gives back uuids, numbers, booleans and JSON values in order, nulls as NULL', async () => {
    const ids = ['0190a8d2-7c1e-7b3a-9f00-000000000001', null, '0190a8d2-7c1e-7b3a-9f00-0000000000ff'];
    const versions = [1733300000123, null, 0, -5];
    const flags = [true, false, null];
    const documents = [{ name: 'a "quoted" \\ name', tags: ['x', '{y}'] }, null, [1, 2], 'text'];
    const { rows } = await db.query(
      `SELECT (SELECT array_agg(u ORDER BY n) FROM unnest($1::uuid[]) WITH ORDINALITY AS a(u, n)) AS ids,
              (SELECT array_agg(v ORDER BY n) FROM unnest($2::bigint[]) WITH ORDINALITY AS b(v, n)) AS versions,
              (SELECT array_agg(f ORDER BY n) FROM unnest($3::boolean[]) WITH ORDINALITY AS c(f, n)) AS flags,
              ${jsonbElements(4)} AS documents`,
      [uuidArray(ids), scalarArray(versions), scalarArray(flags), JSON.stringify(documents)],
    );
    expect(rows[0].ids).toEqual(ids);
    expect(rows[0].versions.map((v: string | null) => (v === null ? null : Number(v)))).toEqual(versions);
    expect(rows[0].flags).toEqual(flags);
    expect(rows[0].documents).toEqual(documents);
  });

  it('gives back one uuid list per line, an empty list and a missing one apart', async () => {
    const lists = [['0190a8d2-7c1e-7b3a-9f00-000000000001', '0190a8d2-7c1e-7b3a-9f00-000000000002'], [], null, ['0190a8d2-7c1e-7b3a-9f00-000000000003']];
    const { rows } = await db.query<{ l: string | null }>(
      `SELECT l FROM unnest(string_to_array($1, E'\\n', '')) WITH ORDINALITY AS x(l, n) ORDER BY n`,
      [uuidArrayLines(lists)],
    );
    expect(rows).toHaveLength(lists.length);
    const parsed = await Promise.all(rows.map(async (r) => (r.l === null ? null : (await db.query<{ a: string[] }>('SELECT $1::uuid[] AS a', [r.l])).rows[0].a)));
    expect(parsed).toEqual(lists);
  });

  it('answers statements sent as one buffer each, pipelined, as node-postgres answers its own; a parameter it cannot map fails that statement only', async () => {
    const one = (text: string, values: unknown[]) =>
      new Promise<{ rows: Array<Record<string, unknown>>; rowCount: number | null; command: string }>((resolve, reject) => {
        (db as unknown as { query(q: OneBufferQuery): unknown }).query(new OneBufferQuery(text, values, (error, result) => (error ? reject(error) : resolve(result as never))));
      });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const texts = Array.from({ length: 5000 }, (_, i) => `Zoë "${i}" \\ ${'x'.repeat(i % 50)}`);
    (db as unknown as { pipeline: boolean }).pipeline = true;
    try {
      const answers = await Promise.allSettled([
        one('CREATE TEMP TABLE one_buffer (n int, t text)', []),
        one('INSERT INTO one_buffer SELECT n, t FROM unnest($1::text[]) WITH ORDINALITY AS x(t, n)', [textArray(texts)]),
        one('SELECT $1::jsonb AS j', [circular]),
        one('SELECT count(*)::int AS c, $1::text AS label, $2::int AS two FROM one_buffer', ['Ångström', 2]),
        db.query('SELECT t FROM one_buffer ORDER BY n'),
      ]);
      expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      const [, inserted, failed, counted, read] = answers as [unknown, PromiseFulfilledResult<{ rowCount: number }>, PromiseRejectedResult, PromiseFulfilledResult<{ rows: unknown[] }>, PromiseFulfilledResult<{ rows: Array<{ t: string }> }>];
      expect(inserted.value.rowCount).toBe(texts.length);
      expect(String(failed.reason)).toMatch(/circular/i);
      expect(counted.value.rows).toEqual([{ c: texts.length, label: 'Ångström', two: 2 }]);
      expect(read.value.rows.map((r) => r.t)).toEqual(texts);
    } finally {
      (db as unknown as { pipeline: boolean }).pipeline = false;
    }
  });
});
