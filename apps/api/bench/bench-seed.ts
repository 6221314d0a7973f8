import type { Client } from 'pg';

/** Source name of the benchmark's synthetic records: never used by anything else. */
export const BENCH_SOURCE = 'bench';

/** The email of synthetic person i (1-based). */
export function benchEmail(i: number): string {
  return `person${i}@bench.example`;
}

/**
 * Seeds `count` synthetic profiles straight into the profile tables, as the resolver would have left
 * them: one source record, an email and a phone identifier, a golden record with lineage, and email
 * consent (granted for 9 in 10 people, withdrawn for the rest). Set-based SQL in slices of 100,000.
 */
export async function seedProfiles(db: Client, count: number, onProgress?: (done: number) => void): Promise<void> {
  const slice = 100_000;
  for (let from = 1; from <= count; from += slice) {
    const to = Math.min(count, from + slice - 1);
    await retrying(() => seedSlice(db, from, to));
    onProgress?.(to);
  }
  // VACUUM as well: it sets the visibility map, so identifier lookups are index-only as in a settled database.
  await db.query('VACUUM ANALYZE profiles, source_records, identifiers, profile_consents');
}

// The lock table is shared by every database of the server: another busy process can fill it for
// a moment ("out of shared memory", 53200). The slice is one transaction, so it is simply retried.
async function retrying(work: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if ((error as { code?: string }).code !== '53200' || attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

async function seedSlice(db: Client, from: number, to: number): Promise<void> {
  await db.query('BEGIN');
  try {
    await db.query(
      `INSERT INTO profiles (id, status, version, golden, lineage, record_count, consents)
       SELECT md5('bench-profile-' || i)::uuid, 'active', 1,
              jsonb_build_object(
                'givenName', 'Given' || i, 'familyName', 'Family' || i, 'city', 'City ' || (i % 500), 'country', 'SE', 'locale', 'sv-SE',
                'birthDate', to_char(date '1950-01-01' + (i % 18000), 'YYYY-MM-DD'), 'postcode', lpad((10000 + i % 89999)::text, 5, '0'),
                'emails', jsonb_build_array(jsonb_build_object('value', 'person' || i || '@bench.example', 'verified', true)),
                'phones', jsonb_build_array(jsonb_build_object('value', '+4670' || lpad(i::text, 7, '0'), 'verified', false)),
                'sourceRecords', jsonb_build_array(jsonb_build_object('source', $3::text, 'sourceRecordId', 'R' || i))),
              jsonb_build_object(
                'givenName', jsonb_build_object('source', $3::text, 'sourceRecordId', 'R' || i, 'occurredAt', '2026-01-01T00:00:00.000Z', 'rule', 'most-recent'),
                'emails', jsonb_build_object('source', $3::text, 'sourceRecordId', 'R' || i, 'occurredAt', '2026-01-01T00:00:00.000Z', 'rule', 'verified-then-all')),
              1, jsonb_build_array(jsonb_build_object('channel', 'email', 'purpose', '', 'status', CASE WHEN i % 10 = 0 THEN 'withdrawn' ELSE 'granted' END))
         FROM generate_series($1::int, $2::int) AS i
       ON CONFLICT (id) DO NOTHING`,
      [from, to, BENCH_SOURCE],
    );
    await db.query(
      `INSERT INTO source_records (id, source, source_record_id, record_version, last_event_id, kind, identifiers, attributes, occurred_at, profile_id)
       SELECT md5('bench-record-' || i)::uuid, $3, 'R' || i, 1, md5('bench-event-' || i)::uuid, 'customer.upserted',
              jsonb_build_array(jsonb_build_object('type', 'email', 'value', 'person' || i || '@bench.example')), '{}'::jsonb,
              '2026-01-01T00:00:00Z', md5('bench-profile-' || i)::uuid
         FROM generate_series($1::int, $2::int) AS i
       ON CONFLICT (source, source_record_id) DO NOTHING`,
      [from, to, BENCH_SOURCE],
    );
    await db.query(
      `INSERT INTO identifiers (type, value, record_id, verified, profile_id)
       SELECT 'email', 'person' || i || '@bench.example', md5('bench-record-' || i)::uuid, true, md5('bench-profile-' || i)::uuid FROM generate_series($1::int, $2::int) AS i
       UNION ALL
       SELECT 'phone', '+4670' || lpad(i::text, 7, '0'), md5('bench-record-' || i)::uuid, false, md5('bench-profile-' || i)::uuid FROM generate_series($1::int, $2::int) AS i
       ON CONFLICT DO NOTHING`,
      [from, to],
    );
    await db.query(
      `INSERT INTO profile_consents (profile_id, channel, purpose, status)
       SELECT md5('bench-profile-' || i)::uuid, 'email', '', CASE WHEN i % 10 = 0 THEN 'withdrawn' ELSE 'granted' END
         FROM generate_series($1::int, $2::int) AS i
       ON CONFLICT DO NOTHING`,
      [from, to],
    );
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK');
    throw error;
  }
}
