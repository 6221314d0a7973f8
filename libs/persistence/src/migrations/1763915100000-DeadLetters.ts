import { MigrationInterface, QueryRunner } from 'typeorm';

/** Every dead letter of the hub, for IT: inspect, replay to its original topic, or discard. */
export class DeadLetters1763915100000 implements MigrationInterface {
  name = 'DeadLetters1763915100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE dead_letters (
        id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        dead_letter_topic     text        NOT NULL,
        dead_letter_partition integer     NOT NULL,
        dead_letter_offset    bigint      NOT NULL,
        original_topic        text,
        original_partition    integer,
        original_offset       bigint,
        message_key           text,
        payload               bytea,
        headers               jsonb       NOT NULL DEFAULT '{}'::jsonb,
        reason                text        NOT NULL,
        attempts              integer     NOT NULL DEFAULT 1,
        connector             text,
        source                text,
        source_record_id      text,
        status                text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'replayed', 'discarded')),
        failed_at             timestamptz NOT NULL,
        replay_count          integer     NOT NULL DEFAULT 0,
        replayed_at           timestamptz,
        discarded_at          timestamptz,
        created_at            timestamptz NOT NULL DEFAULT now(),
        updated_at            timestamptz NOT NULL DEFAULT now()
      )`);
    // One row per dead-letter message: a redelivered one is recorded once.
    await queryRunner.query(`CREATE UNIQUE INDEX dead_letters_message_uq ON dead_letters (dead_letter_topic, dead_letter_partition, dead_letter_offset)`);
    await queryRunner.query(`CREATE INDEX dead_letters_status_idx ON dead_letters (status, created_at)`);
    await queryRunner.query(`CREATE INDEX dead_letters_topic_idx ON dead_letters (original_topic, created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE dead_letters`);
  }
}
