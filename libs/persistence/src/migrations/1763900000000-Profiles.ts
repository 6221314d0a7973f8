import { MigrationInterface, QueryRunner } from 'typeorm';

/** Profiles and everything identity resolution keeps beside them. */
export class Profiles1763900000000 implements MigrationInterface {
  name = 'Profiles1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE profiles (
        id           uuid PRIMARY KEY,
        status       text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'merged', 'erased', 'retired')),
        version      integer     NOT NULL DEFAULT 1,
        golden       jsonb       NOT NULL DEFAULT '{}'::jsonb,
        lineage      jsonb       NOT NULL DEFAULT '{}'::jsonb,
        record_count integer     NOT NULL DEFAULT 0,
        merged_into  uuid        NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        updated_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`ALTER TABLE source_records ADD COLUMN profile_id uuid NULL`);
    await queryRunner.query(`CREATE INDEX source_records_profile_idx ON source_records (profile_id)`);
    await queryRunner.query(`
      CREATE TABLE identifiers (
        type       text    NOT NULL,
        value      text    NOT NULL,
        record_id  uuid    NOT NULL REFERENCES source_records (id) ON DELETE CASCADE,
        verified   boolean NOT NULL DEFAULT false,
        PRIMARY KEY (type, value, record_id)
      )`);
    await queryRunner.query(`CREATE INDEX identifiers_record_idx ON identifiers (record_id)`);
    await queryRunner.query(`
      CREATE TABLE blocking_keys (
        key        text NOT NULL,
        record_id  uuid NOT NULL REFERENCES source_records (id) ON DELETE CASCADE,
        PRIMARY KEY (key, record_id)
      )`);
    await queryRunner.query(`CREATE INDEX blocking_keys_record_idx ON blocking_keys (record_id)`);
    await queryRunner.query(`
      CREATE TABLE profile_links (
        record_a   uuid        NOT NULL,
        record_b   uuid        NOT NULL,
        profile_id uuid        NOT NULL,
        score      real        NOT NULL,
        rule       text        NOT NULL,
        evidence   jsonb       NOT NULL DEFAULT '[]'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (record_a, record_b),
        CHECK (record_a < record_b)
      )`);
    await queryRunner.query(`CREATE INDEX profile_links_profile_idx ON profile_links (profile_id)`);
    await queryRunner.query(`CREATE INDEX profile_links_record_b_idx ON profile_links (record_b)`);
    await queryRunner.query(`
      CREATE TABLE link_constraints (
        record_a   uuid        NOT NULL,
        record_b   uuid        NOT NULL,
        kind       text        NOT NULL CHECK (kind IN ('do-not-link', 'must-link')),
        actor      text        NOT NULL,
        reason     text        NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (record_a, record_b),
        CHECK (record_a < record_b)
      )`);
    await queryRunner.query(`CREATE INDEX link_constraints_record_b_idx ON link_constraints (record_b)`);
    await queryRunner.query(`
      CREATE TABLE review_queue (
        id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        record_a   uuid        NOT NULL,
        record_b   uuid        NOT NULL,
        score      real        NOT NULL,
        rule       text        NOT NULL,
        evidence   jsonb       NOT NULL DEFAULT '[]'::jsonb,
        status     text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'rejected', 'obsolete')),
        decided_by text        NULL,
        reason     text        NULL,
        decided_at timestamptz NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (record_a < record_b)
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX review_queue_pair_uq ON review_queue (record_a, record_b)`);
    await queryRunner.query(`CREATE INDEX review_queue_open_idx ON review_queue (created_at) WHERE status = 'open'`);
    await queryRunner.query(`
      CREATE TABLE stewardship_actions (
        id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        action     text        NOT NULL,
        record_a   uuid        NULL,
        record_b   uuid        NULL,
        profile_id uuid        NULL,
        actor      text        NOT NULL,
        reason     text        NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX stewardship_actions_profile_idx ON stewardship_actions (profile_id)`);
    await queryRunner.query(`
      CREATE TABLE record_consents (
        record_id   uuid        NOT NULL REFERENCES source_records (id) ON DELETE CASCADE,
        channel     text        NOT NULL,
        purpose     text        NOT NULL DEFAULT '',
        status      text        NOT NULL CHECK (status IN ('granted', 'withdrawn', 'suppressed')),
        occurred_at timestamptz NOT NULL,
        PRIMARY KEY (record_id, channel, purpose)
      )`);
    await queryRunner.query(`
      CREATE TABLE profile_consents (
        profile_id  uuid        NOT NULL,
        channel     text        NOT NULL,
        purpose     text        NOT NULL DEFAULT '',
        status      text        NOT NULL CHECK (status IN ('granted', 'withdrawn', 'suppressed')),
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (profile_id, channel, purpose)
      )`);
    await queryRunner.query(`
      CREATE TABLE profile_outbox (
        id           bigserial PRIMARY KEY,
        profile_id   uuid        NOT NULL,
        change       text        NOT NULL CHECK (change IN ('created', 'updated', 'merged', 'split', 'erased')),
        payload      jsonb       NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz NULL
      )`);
    await queryRunner.query(`CREATE INDEX profile_outbox_pending_idx ON profile_outbox (id) WHERE published_at IS NULL`);
    await queryRunner.query(`CREATE INDEX profile_outbox_profile_idx ON profile_outbox (profile_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE profile_outbox`);
    await queryRunner.query(`DROP TABLE profile_consents`);
    await queryRunner.query(`DROP TABLE record_consents`);
    await queryRunner.query(`DROP TABLE stewardship_actions`);
    await queryRunner.query(`DROP TABLE review_queue`);
    await queryRunner.query(`DROP TABLE link_constraints`);
    await queryRunner.query(`DROP TABLE profile_links`);
    await queryRunner.query(`DROP TABLE blocking_keys`);
    await queryRunner.query(`DROP TABLE identifiers`);
    await queryRunner.query(`DROP INDEX source_records_profile_idx`);
    await queryRunner.query(`ALTER TABLE source_records DROP COLUMN profile_id`);
    await queryRunner.query(`DROP TABLE profiles`);
  }
}
