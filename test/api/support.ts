import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { REPO_ROOT } from '../support/services';

/** A machine client as `npm run cli -- clients create` prints it. */
export interface Credentials {
  clientId: string;
  clientSecret: string;
}

/** Runs the compiled operators' CLI against the test database, as an operator would. */
export function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'tools', 'cli', 'src', 'main.js'), ...args], {
    env: { ...process.env },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function createClientWithCli(name: string, roles: string[]): Credentials {
  const result = cli(['clients', 'create', '--name', name, '--roles', roles.join(',')]);
  if (result.status !== 0) throw new Error(`cli clients create failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Credentials;
}

export async function tokenFor(url: string, credentials: Credentials, scope?: string): Promise<string> {
  const response = await request(url)
    .post('/oauth/token')
    .type('form')
    .send({ grant_type: 'client_credentials', client_id: credentials.clientId, client_secret: credentials.clientSecret, ...(scope ? { scope } : {}) })
    .expect(200);
  return response.body.access_token as string;
}

export interface SeededPerson {
  source: string;
  recordId: string;
  email: string;
  phone?: string;
  givenName: string;
  familyName: string;
  birthDate?: string;
  city?: string;
  consents?: Array<{ channel: string; purpose?: string; status: 'granted' | 'withdrawn' | 'suppressed' }>;
}

/**
 * A profile written straight into the profile tables, as the resolver would leave it: for tests of
 * the read side that do not need the pipeline. Everything is keyed by the suite's own source name.
 */
export async function seedProfile(db: Client, person: SeededPerson): Promise<string> {
  const profileId = randomUUID();
  const recordId = randomUUID();
  const lineage = { source: person.source, sourceRecordId: person.recordId, occurredAt: '2026-01-01T00:00:00.000Z', rule: 'most-recent' };
  const golden: Record<string, unknown> = {
    givenName: person.givenName,
    familyName: person.familyName,
    ...(person.birthDate ? { birthDate: person.birthDate } : {}),
    ...(person.city ? { city: person.city } : {}),
    country: 'SE',
    emails: [{ value: person.email, verified: true }],
    ...(person.phone ? { phones: [{ value: person.phone, verified: false }] } : {}),
    sourceRecords: [{ source: person.source, sourceRecordId: person.recordId }],
  };
  await db.query('BEGIN');
  try {
    await db.query(`INSERT INTO profiles (id, status, version, golden, lineage, record_count) VALUES ($1, 'active', 1, $2, $3, 1)`, [
      profileId,
      JSON.stringify(golden),
      JSON.stringify({ givenName: lineage, familyName: lineage, emails: { ...lineage, rule: 'verified-then-all' } }),
    ]);
    await db.query(
      `INSERT INTO source_records (id, source, source_record_id, record_version, last_event_id, kind, identifiers, attributes, occurred_at, profile_id)
       VALUES ($1, $2, $3, 1, $4, 'customer.upserted', '[]', '{}', '2026-01-01T00:00:00Z', $5)`,
      [recordId, person.source, person.recordId, randomUUID(), profileId],
    );
    await db.query(`INSERT INTO identifiers (type, value, record_id, verified, profile_id) VALUES ('email', $1, $2, true, $3)`, [person.email, recordId, profileId]);
    if (person.phone) await db.query(`INSERT INTO identifiers (type, value, record_id, verified, profile_id) VALUES ('phone', $1, $2, false, $3)`, [person.phone, recordId, profileId]);
    for (const c of person.consents ?? []) {
      await db.query(`INSERT INTO profile_consents (profile_id, channel, purpose, status) VALUES ($1, $2, $3, $4)`, [profileId, c.channel, c.purpose ?? '', c.status]);
    }
    // profiles.consents holds the same rows, as the resolver writes them.
    await db.query(
      `UPDATE profiles SET consents = (SELECT COALESCE(jsonb_agg(jsonb_build_object('channel', channel, 'purpose', purpose, 'status', status) ORDER BY channel, purpose), '[]'::jsonb)
                                        FROM profile_consents WHERE profile_id = $1) WHERE id = $1`,
      [profileId],
    );
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK');
    throw error;
  }
  return profileId;
}

/** Audit rows of one profile, newest first, straight from the table. */
export async function auditOf(db: Client, profileId: string): Promise<Array<{ client_id: string; action: string; purpose: string; fields: string[] }>> {
  const { rows } = await db.query(`SELECT client_id, action, purpose, fields FROM audit_log WHERE profile_id = $1 OR profile_ids @> ARRAY[$1::uuid] ORDER BY id DESC`, [profileId]);
  return rows;
}
