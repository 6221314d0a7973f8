import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@tandem/persistence';
import { ProfileResolver } from '@tandem/profiles';
import { recordChange } from '../../apps/identity/src/ingest/resolution.service';
import { peopleEvents, sourcesFor } from '../support/people';
import { clustersInProcess, clustersOf } from './support';

const run = `p${Date.now().toString(36)}`;

describe('planning ahead in one identity process', () => {
  let db: Client;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    dataSource = new DataSource(dataSourceOptions({ url: process.env.DATABASE_URL as string, poolSize: 4, applicationName: 'e2e-plan-ahead' }));
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.end();
  });

  it('should put one person\'s records in one profile when a transaction plans ahead while the one before re-plans on a population read afresh', async () => {
    const sources = sourcesFor(run);
    const events = peopleEvents(run);
    const find = (source: string, id: string) => events.find((e) => e.source === source && e.sourceRecordId === id)!;
    const annaCrm = find(sources.crm, 'anna');
    const annaErp = find(sources.erp, 'C-anna');
    const oscar = find(sources.mkt, 'sub-oscar');
    const expected = await clustersInProcess([[annaCrm, annaErp]], [sources.crm, sources.erp]);
    expect(expected).toEqual([[`${sources.crm}:anna`, `${sources.erp}:C-anna`]]);

    const resolver = new ProfileResolver();
    await resolver.load(dataSource);
    // Written behind the resolver's back (no resolution log entry): T1 takes Oscar's record for new, its
    // insert fails on the unique key, and T1 is planned again on a population read afresh.
    await db.query(
      `INSERT INTO source_records (source, source_record_id, record_version, last_event_id, kind, deleted, occurred_at)
       VALUES ($1, $2, $3, $4, 'customer.deleted', true, $5)`,
      [oscar.source, oscar.sourceRecordId, oscar.recordVersion, oscar.eventId, oscar.occurredAt],
    );

    // Settles at the resolver's next wait for the transaction before to end: T2 has planned ahead and waits
    // for the lock, or was refused and waits to plan under the lock.
    let waiting: Promise<void> | undefined;
    const watchWait = () => {
      const time = resolver.timings.time.bind(resolver.timings);
      waiting = new Promise<void>((resolve) => {
        resolver.timings.time = (phase, work) => {
          if (phase === 'wait') {
            resolver.timings.time = time;
            resolve();
          }
          return time(phase, work);
        };
      });
    };

    let t2: Promise<unknown> | undefined;
    let calls = 0;
    const t1 = resolver.transaction(
      dataSource,
      async (tx) => {
        if (++calls === 2) {
          // T1's retry: a transaction called now, ahead, gets the population T1 is re-planning on.
          watchWait();
          t2 = resolver.transaction(dataSource, (tx2) => tx2.ingest([recordChange(annaErp)]), { ahead: true });
          await waiting;
        }
        return tx.ingest([recordChange(annaCrm), recordChange(oscar)]);
      },
      { ahead: true },
    );
    // Both transactions store their records (T2's outcome is read even when T1 fails, so it ends before the pool closes).
    const settled = (p: Promise<unknown> | undefined) => (p ?? Promise.resolve()).then(() => 'stored', (error: Error) => `failed: ${error.message}`);
    const outcomes = [await settled(t1), await settled(t2)];
    expect(outcomes).toEqual(['stored', 'stored']);
    expect(calls).toBe(2);

    expect(await clustersOf(db, [sources.crm, sources.erp])).toEqual(expected);
    // Every profile of these records is active and counts exactly the records that point at it (other
    // runs' look-alikes included: the test database keeps them, see concurrency.e2e-spec.ts).
    const inconsistent = await db.query(
      `SELECT p.id FROM profiles p
        WHERE p.id IN (SELECT profile_id FROM source_records WHERE source = ANY($1::text[]))
          AND (p.status <> 'active' OR p.record_count <> (SELECT count(*) FROM source_records s WHERE s.profile_id = p.id))`,
      [[sources.crm, sources.erp]],
    );
    expect(inconsistent.rows).toEqual([]);
  });
});
