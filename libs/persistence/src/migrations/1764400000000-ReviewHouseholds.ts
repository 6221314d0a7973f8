import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pairs the person-attribute guardrail holds apart (another given name and another birth date, the
 * same email, phone or address: a household) are recorded with the status `household` instead of
 * `open`: they are not uncertain, and at a million records they were over 40% of what stewards were
 * asked to decide. They stay in the table with their evidence, follow the same lifecycle as open
 * pairs (obsolete once their records share a profile, deleted with an erased record), and a steward
 * can still accept or reject one. The partial indexes cover both statuses, since the resolver loads
 * both with a record's neighbourhood; the listing's index ends in `id`, its tie-breaker (the pairs
 * of one batch share `created_at`), so a page of the oldest items reads only that page.
 */
export class ReviewHouseholds1764400000000 implements MigrationInterface {
  name = 'ReviewHouseholds1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE review_queue DROP CONSTRAINT review_queue_status_check`);
    await queryRunner.query(`ALTER TABLE review_queue ADD CONSTRAINT review_queue_status_check CHECK (status IN ('open', 'household', 'accepted', 'rejected', 'obsolete'))`);
    await queryRunner.query(`UPDATE review_queue SET status = 'household' WHERE status = 'open' AND rule = 'guardrail:person-attributes-disagree'`);
    await queryRunner.query(`DROP INDEX review_queue_open_idx`);
    await queryRunner.query(`CREATE INDEX review_queue_waiting_idx ON review_queue (status, created_at, id) WHERE status IN ('open', 'household')`);
    await queryRunner.query(`DROP INDEX review_queue_record_b_idx`);
    await queryRunner.query(`CREATE INDEX review_queue_record_b_idx ON review_queue (record_b) WHERE status IN ('open', 'household')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX review_queue_record_b_idx`);
    await queryRunner.query(`DROP INDEX review_queue_waiting_idx`);
    await queryRunner.query(`UPDATE review_queue SET status = 'open' WHERE status = 'household'`);
    await queryRunner.query(`ALTER TABLE review_queue DROP CONSTRAINT review_queue_status_check`);
    await queryRunner.query(`ALTER TABLE review_queue ADD CONSTRAINT review_queue_status_check CHECK (status IN ('open', 'accepted', 'rejected', 'obsolete'))`);
    await queryRunner.query(`CREATE INDEX review_queue_open_idx ON review_queue (created_at) WHERE status = 'open'`);
    await queryRunner.query(`CREATE INDEX review_queue_record_b_idx ON review_queue (record_b) WHERE status = 'open'`);
  }
}
