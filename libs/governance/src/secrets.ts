import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';

/** Names of the secrets generated once per database. */
export const SECRET_NAMES = {
  tokenSigningKey: 'token-signing-key',
  erasureSalt: 'erasure-salt',
  /** Key of the `hash` mask: pseudonyms stable within one database. */
  pseudonymKey: 'pseudonym-key',
} as const;

/**
 * The named secret of this database, generated on first use. Every process pointing at the same
 * database (API replicas, the resolver, the CLI) gets the same bytes; concurrent first uses agree
 * because the insert does nothing when another process won the race.
 */
export async function databaseSecret(db: DataSource, name: string): Promise<Buffer> {
  await db.query(`INSERT INTO governance_secrets (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [name, randomBytes(32)]);
  const rows: Array<{ secret: Buffer }> = await db.query(`SELECT secret FROM governance_secrets WHERE name = $1`, [name]);
  return rows[0].secret;
}
