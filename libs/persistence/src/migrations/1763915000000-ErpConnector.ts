import { MigrationInterface, QueryRunner } from 'typeorm';

/** The ERP connector's memory: the latest customer row and every order, per source, for the aggregates. */
export class ErpConnector1763915000000 implements MigrationInterface {
  name = 'ErpConnector1763915000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE erp_customers (
        source       text        NOT NULL,
        customer_id  text        NOT NULL,
        known        boolean     NOT NULL DEFAULT false,
        deleted      boolean     NOT NULL DEFAULT false,
        revision     bigint      NOT NULL DEFAULT 0,
        customer_lsn bigint      NOT NULL DEFAULT 0,
        identifiers  jsonb       NOT NULL DEFAULT '[]'::jsonb,
        attributes   jsonb       NOT NULL DEFAULT '{}'::jsonb,
        updated_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (source, customer_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE erp_orders (
        source      text        NOT NULL,
        order_id    text        NOT NULL,
        customer_id text        NOT NULL,
        lsn         bigint      NOT NULL,
        deleted     boolean     NOT NULL DEFAULT false,
        placed_at   timestamptz NOT NULL,
        total_cents bigint      NOT NULL,
        currency    text        NOT NULL,
        category    text,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (source, order_id)
      )`);
    await queryRunner.query(`CREATE INDEX erp_orders_customer_idx ON erp_orders (source, customer_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE erp_orders`);
    await queryRunner.query(`DROP TABLE erp_customers`);
  }
}
