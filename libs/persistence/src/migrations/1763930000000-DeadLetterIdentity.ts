import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A dead letter was identified by its position in the dead-letter topic alone. Positions start
 * again at 0 when the broker's data is wiped, so a new dead letter at a reused position was
 * silently skipped as "already recorded". Its failure time (a header written once, when the
 * message was dead-lettered) now completes the identity: a redelivery still deduplicates.
 */
export class DeadLetterIdentity1763930000000 implements MigrationInterface {
  name = 'DeadLetterIdentity1763930000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX dead_letters_message_uq`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX dead_letters_message_uq ON dead_letters (dead_letter_topic, dead_letter_partition, dead_letter_offset, failed_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX dead_letters_message_uq`);
    await queryRunner.query(`CREATE UNIQUE INDEX dead_letters_message_uq ON dead_letters (dead_letter_topic, dead_letter_partition, dead_letter_offset)`);
  }
}
