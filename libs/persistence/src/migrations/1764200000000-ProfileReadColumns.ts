import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two copies kept for the API's reads (a lookup or an audience recipient read about 5.6 pages that
 * missed the shared buffers: identifier, source record, profile and consent rows with their indexes):
 * - `identifiers.profile_id`: the profile of the identifier's source record, always equal to
 *   `source_records.profile_id` (the resolver writes both in one transaction: new and rewritten records,
 *   moved records; erasure deletes both), and carried in the `(type, value)` key index, so identifier →
 *   profile is one index-only read without the source record. Identifiers exist only for live records
 *   with a profile (a deleted record's are deleted): the column is NOT NULL, and identifiers of no such
 *   record, which no reader could reach through the old join, are dropped.
 * - `profiles.consents`: the profile's `profile_consents` rows as `[{channel, purpose, status}]` (by
 *   channel and purpose), written with them, so a profile read skips that table and its index.
 */
export class ProfileReadColumns1764200000000 implements MigrationInterface {
  name = 'ProfileReadColumns1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The key is rebuilt after the fill: the update would otherwise add an index entry per row.
    await queryRunner.query(`ALTER TABLE identifiers DROP CONSTRAINT identifiers_pkey`);
    await queryRunner.query(`ALTER TABLE identifiers ADD COLUMN profile_id uuid NULL`);
    await queryRunner.query(`UPDATE identifiers i SET profile_id = s.profile_id FROM source_records s WHERE s.id = i.record_id AND NOT s.deleted`);
    await queryRunner.query(`DELETE FROM identifiers WHERE profile_id IS NULL`);
    await queryRunner.query(`ALTER TABLE identifiers ALTER COLUMN profile_id SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE identifiers ADD CONSTRAINT identifiers_pkey PRIMARY KEY (type, value, record_id) INCLUDE (profile_id)`);

    await queryRunner.query(`ALTER TABLE profiles ADD COLUMN consents jsonb NOT NULL DEFAULT '[]'::jsonb`);
    await queryRunner.query(`
      UPDATE profiles p SET consents = c.consents
        FROM (SELECT profile_id, jsonb_agg(jsonb_build_object('channel', channel, 'purpose', purpose, 'status', status) ORDER BY channel, purpose) AS consents
                FROM profile_consents GROUP BY profile_id) c
       WHERE p.id = c.profile_id`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE profiles DROP COLUMN consents`);
    await queryRunner.query(`ALTER TABLE identifiers DROP CONSTRAINT identifiers_pkey`);
    await queryRunner.query(`ALTER TABLE identifiers DROP COLUMN profile_id`);
    await queryRunner.query(`ALTER TABLE identifiers ADD CONSTRAINT identifiers_pkey PRIMARY KEY (type, value, record_id)`);
  }
}
