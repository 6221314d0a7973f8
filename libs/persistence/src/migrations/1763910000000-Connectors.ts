import { MigrationInterface, QueryRunner } from 'typeorm';

export class Connectors1763910000000 implements MigrationInterface {
  name = 'Connectors1763910000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE connectors (
        id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name                  text        NOT NULL,
        kind                  text        NOT NULL,
        state                 text        NOT NULL DEFAULT 'running'
                              CHECK (state IN ('running', 'paused', 'failed', 'backing-off')),
        config                jsonb       NOT NULL DEFAULT '{}'::jsonb,
        cursor                text,
        last_success_at       timestamptz,
        last_error            text,
        last_error_at         timestamptz,
        error_count           bigint      NOT NULL DEFAULT 0,
        consecutive_failures  integer     NOT NULL DEFAULT 0,
        backing_off_until     timestamptz,
        events_total          bigint      NOT NULL DEFAULT 0,
        dead_lettered_total   bigint      NOT NULL DEFAULT 0,
        lag_seconds           double precision,
        resync_requested      boolean     NOT NULL DEFAULT false,
        resync_from           text,
        resync_started_at     timestamptz,
        resync_finished_at    timestamptz,
        resync_events         bigint      NOT NULL DEFAULT 0,
        resync_total          bigint,
        created_at            timestamptz NOT NULL DEFAULT now(),
        updated_at            timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX connectors_name_uq ON connectors (name)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE connectors`);
  }
}
