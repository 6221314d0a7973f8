import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Blocking keys become 64-bit hashes of their text (the first 8 bytes of its MD5, as the resolver
 * computes them: see blockingKeyHash): about 15 keys per record made the text index the largest
 * write of the streaming resolver. Two keys that collide only add a candidate pair, which the
 * engine then scores like any other. The foreign key goes too: the rows are a derived index that the
 * resolver rewrites and erasure deletes, and checking it cost a row lock on the source record per key.
 */
export class HashedBlockingKeys1763940000000 implements MigrationInterface {
  name = 'HashedBlockingKeys1763940000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE blocking_keys DROP CONSTRAINT blocking_keys_record_id_fkey`);
    await queryRunner.query(`ALTER TABLE blocking_keys ALTER COLUMN key TYPE bigint USING ('x' || substr(md5(key), 1, 16))::bit(64)::bigint`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Hashes cannot be turned back into text: the keys are emptied, `npm run cli -- profiles rebuild` writes them again.
    await queryRunner.query(`DELETE FROM blocking_keys`);
    await queryRunner.query(`ALTER TABLE blocking_keys ALTER COLUMN key TYPE text`);
    await queryRunner.query(
      `ALTER TABLE blocking_keys ADD CONSTRAINT blocking_keys_record_id_fkey FOREIGN KEY (record_id) REFERENCES source_records (id) ON DELETE CASCADE`,
    );
  }
}
