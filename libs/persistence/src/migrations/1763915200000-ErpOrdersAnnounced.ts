import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An order read before its customer (the two tables are two topics) is announced as
 * `order.placed` once the customer is known: the connector has to remember which ones are pending.
 */
export class ErpOrdersAnnounced1763915200000 implements MigrationInterface {
  name = 'ErpOrdersAnnounced1763915200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE erp_orders ADD COLUMN order_number text, ADD COLUMN announced boolean NOT NULL DEFAULT true`);
    await queryRunner.query(`CREATE INDEX erp_orders_unannounced_idx ON erp_orders (source, customer_id) WHERE NOT announced`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX erp_orders_unannounced_idx`);
    await queryRunner.query(`ALTER TABLE erp_orders DROP COLUMN announced, DROP COLUMN order_number`);
  }
}
