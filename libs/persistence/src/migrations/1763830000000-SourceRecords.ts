import { MigrationInterface, QueryRunner } from 'typeorm';

export class SourceRecords1763830000000 implements MigrationInterface {
  name = 'SourceRecords1763830000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE source_records (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        source           text        NOT NULL,
        source_record_id text        NOT NULL,
        record_version   bigint      NOT NULL,
        last_event_id    uuid        NOT NULL,
        kind             text        NOT NULL,
        deleted          boolean     NOT NULL DEFAULT false,
        identifiers      jsonb       NOT NULL DEFAULT '[]'::jsonb,
        attributes       jsonb       NOT NULL DEFAULT '{}'::jsonb,
        occurred_at      timestamptz NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX source_records_source_record_uq ON source_records (source, source_record_id)`,
    );
    await queryRunner.query(`
      CREATE TABLE processed_events (
        event_id     uuid PRIMARY KEY,
        topic        text        NOT NULL,
        partition    integer     NOT NULL,
        kafka_offset bigint      NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE processed_events`);
    await queryRunner.query(`DROP TABLE source_records`);
  }
}
