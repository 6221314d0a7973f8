import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The resolver follows open review items (links the clustering refused) from either of their records;
 * the pair index serves lookups by the first record, this one by the second.
 */
export class ReviewQueueByRecord1763940100000 implements MigrationInterface {
  name = 'ReviewQueueByRecord1763940100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX review_queue_record_b_idx ON review_queue (record_b) WHERE status = 'open'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX review_queue_record_b_idx`);
  }
}
