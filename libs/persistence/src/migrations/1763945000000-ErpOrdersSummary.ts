import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ERP connector keeps each customer's order figures (count, latest order, totals per currency,
 * orders per category) beside the customer and updates them change by change, instead of adding up
 * the stored orders for every event. NULL: not kept yet, rebuilt from erp_orders when next needed.
 */
export class ErpOrdersSummary1763945000000 implements MigrationInterface {
  name = 'ErpOrdersSummary1763945000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE erp_customers ADD COLUMN orders_summary jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE erp_customers DROP COLUMN orders_summary`);
  }
}
