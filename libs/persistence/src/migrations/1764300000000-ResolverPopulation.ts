import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The streaming resolver keeps its candidate index in memory (see Population in @tandem/profiles) and
 * instances share changes through a resolution log instead of per-record index rows:
 * - `resolution_log`: one entry per transaction that changed what resolvers hold, listing its records.
 * - `blocking_keys` goes: it was derived from source_records and cost ~15 index rows per record.
 * - `processed_events` goes: a record's current event id is `source_records.last_event_id`, written by
 *   the statement that stores the effect, and an event no newer than the stored version changes
 *   nothing; a row per event ever seen grew without bound for no other use.
 * - identifiers lose their foreign key (its check locked the source record row per identifier; erasure
 *   and the resolver delete identifiers themselves).
 * - The outbox is read by position (`outbox_relay`) rather than by a published flag: no update per row,
 *   and published rows are deleted in bulk.
 * - The erasure guard trigger is skipped for rows of a transaction that says it checked every record
 *   against the suppression list itself (`tandem.erasure_checked`, set by the resolver, whose check on
 *   fully normalized identifiers catches everything the trigger's plain forms would): it cost a PL/pgSQL
 *   call and a query per stored record.
 */
export class ResolverPopulation1764300000000 implements MigrationInterface {
  name = 'ResolverPopulation1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE resolution_log (
        seq        bigint PRIMARY KEY,
        records    uuid[]      NOT NULL,
        written_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`DROP TABLE blocking_keys`);
    await queryRunner.query(`DROP TABLE processed_events`);
    await queryRunner.query(`ALTER TABLE identifiers DROP CONSTRAINT identifiers_record_id_fkey`);
    await queryRunner.query(`CREATE TABLE outbox_relay (id integer PRIMARY KEY CHECK (id = 1), position bigint NOT NULL)`);
    await queryRunner.query(`INSERT INTO outbox_relay (id, position) SELECT 1, COALESCE(max(id), 0) FROM profile_outbox WHERE published_at IS NOT NULL`);
    await queryRunner.query(`DELETE FROM profile_outbox WHERE published_at IS NOT NULL`);
    await queryRunner.query(`DROP INDEX profile_outbox_pending_idx`);
    await queryRunner.query(`DROP INDEX profile_outbox_profile_idx`);
    await queryRunner.query(`ALTER TABLE profile_outbox DROP COLUMN published_at`);
    await queryRunner.query(`DROP TRIGGER source_records_erasure_guard ON source_records`);
    await queryRunner.query(`
      CREATE TRIGGER source_records_erasure_guard BEFORE INSERT ON source_records
      FOR EACH ROW WHEN (current_setting('tandem.erasure_checked', true) IS DISTINCT FROM 'on')
      EXECUTE FUNCTION tandem_drop_erased_source_record()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER source_records_erasure_guard ON source_records`);
    await queryRunner.query(`CREATE TRIGGER source_records_erasure_guard BEFORE INSERT ON source_records FOR EACH ROW EXECUTE FUNCTION tandem_drop_erased_source_record()`);
    await queryRunner.query(`ALTER TABLE profile_outbox ADD COLUMN published_at timestamptz NULL`);
    await queryRunner.query(`UPDATE profile_outbox SET published_at = now() WHERE id <= (SELECT position FROM outbox_relay)`);
    await queryRunner.query(`CREATE INDEX profile_outbox_profile_idx ON profile_outbox (profile_id)`);
    await queryRunner.query(`CREATE INDEX profile_outbox_pending_idx ON profile_outbox (id) WHERE published_at IS NULL`);
    await queryRunner.query(`DROP TABLE outbox_relay`);
    await queryRunner.query(`DELETE FROM identifiers i WHERE NOT EXISTS (SELECT 1 FROM source_records s WHERE s.id = i.record_id)`);
    await queryRunner.query(`ALTER TABLE identifiers ADD CONSTRAINT identifiers_record_id_fkey FOREIGN KEY (record_id) REFERENCES source_records (id) ON DELETE CASCADE`);
    await queryRunner.query(`
      CREATE TABLE processed_events (
        event_id     uuid PRIMARY KEY,
        topic        text        NOT NULL,
        partition    integer     NOT NULL,
        kafka_offset bigint      NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now()
      )`);
    // The keys are not stored any more: `npm run cli -- profiles rebuild` on the old code writes them again.
    await queryRunner.query(`CREATE TABLE blocking_keys (key bigint NOT NULL, record_id uuid NOT NULL, PRIMARY KEY (key, record_id))`);
    await queryRunner.query(`CREATE INDEX blocking_keys_record_idx ON blocking_keys (record_id)`);
    await queryRunner.query(`DROP TABLE resolution_log`);
  }
}
