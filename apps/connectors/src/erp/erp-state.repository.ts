import { EntityManager } from 'typeorm';
import { emptySummary, ErpCustomerState, ErpOrderState, OrdersSummary } from './erp-batch';

/**
 * The ERP connector's tables (erp_customers, erp_orders), one source at a time. Every method runs
 * inside the caller's transaction; customers are locked in id order, so two instances handling
 * different partitions never deadlock and never interleave on one customer.
 */
export class ErpStateRepository {
  constructor(private readonly manager: EntityManager, private readonly source: string) {}

  async loadOrders(orderIds: string[]): Promise<Map<string, ErpOrderState>> {
    const orders = new Map<string, ErpOrderState>();
    if (!orderIds.length) return orders;
    const rows: OrderRow[] = await this.manager.query(
      `SELECT ${ORDER_COLUMNS} FROM erp_orders WHERE source = $1 AND order_id = ANY($2::text[])`,
      [this.source, orderIds],
    );
    for (const row of rows) orders.set(row.order_id, toOrder(row));
    return orders;
  }

  /** Orders not yet said downstream because their customer was unknown, by customer. */
  async loadUnannounced(customerIds: string[]): Promise<Map<string, ErpOrderState[]>> {
    return this.ordersByCustomer(customerIds, `NOT announced AND NOT deleted ORDER BY placed_at, order_id`);
  }

  /**
   * Creates missing rows, then locks and loads all of them (ids sorted by the caller). A row created
   * here is a customer never seen before, so no order of it is stored: its orders summary starts empty.
   */
  async lockCustomers(customerIds: string[]): Promise<Map<string, ErpCustomerState>> {
    const customers = new Map<string, ErpCustomerState>();
    if (!customerIds.length) return customers;
    await this.manager.query(
      `INSERT INTO erp_customers (source, customer_id, orders_summary) SELECT $1, id, $3::jsonb FROM unnest($2::text[]) AS id ORDER BY id ON CONFLICT DO NOTHING`,
      [this.source, customerIds, JSON.stringify(emptySummary())],
    );
    const rows: CustomerRow[] = await this.manager.query(
      `SELECT customer_id, known, deleted, revision, customer_lsn, identifiers, attributes, orders_summary
         FROM erp_customers WHERE source = $1 AND customer_id = ANY($2::text[]) ORDER BY customer_id FOR UPDATE`,
      [this.source, customerIds],
    );
    for (const row of rows) {
      customers.set(row.customer_id, {
        customerId: row.customer_id,
        known: row.known,
        deleted: row.deleted,
        revision: Number(row.revision),
        customerLsn: Number(row.customer_lsn),
        identifiers: row.identifiers,
        attributes: row.attributes,
        summary: row.orders_summary,
      });
    }
    return customers;
  }

  /** Every live (not deleted) stored order of these customers, by customer: to rebuild their summaries. */
  async loadLiveOrders(customerIds: string[]): Promise<Map<string, ErpOrderState[]>> {
    return this.ordersByCustomer(customerIds, `NOT deleted`);
  }

  /** The orders of these customers matching `condition` (a fixed SQL fragment, optionally with ORDER BY), by customer. */
  private async ordersByCustomer(customerIds: string[], condition: string): Promise<Map<string, ErpOrderState[]>> {
    const byCustomer = new Map<string, ErpOrderState[]>();
    if (!customerIds.length) return byCustomer;
    const rows: OrderRow[] = await this.manager.query(
      `SELECT ${ORDER_COLUMNS} FROM erp_orders WHERE source = $1 AND customer_id = ANY($2::text[]) AND ${condition}`,
      [this.source, customerIds],
    );
    for (const row of rows) {
      const list = byCustomer.get(row.customer_id) ?? [];
      list.push(toOrder(row));
      byCustomer.set(row.customer_id, list);
    }
    return byCustomer;
  }

  // Rows go to PostgreSQL as one JSON document (json_to_recordset): cheaper on both sides than an
  // array parameter per column, whose elements node-postgres and PostgreSQL escape one by one.
  async saveOrders(orders: ErpOrderState[]): Promise<void> {
    if (!orders.length) return;
    const rows = orders.map((o) => ({
      order_id: o.orderId,
      customer_id: o.customerId,
      lsn: o.lsn,
      deleted: o.deleted,
      placed_at: o.placedAt,
      total_cents: o.totalCents,
      currency: o.currency,
      category: o.category,
      order_number: o.orderNumber,
      announced: o.announced,
    }));
    await this.manager.query(
      `INSERT INTO erp_orders (source, order_id, customer_id, lsn, deleted, placed_at, total_cents, currency, category, order_number, announced)
       SELECT $1, o.* FROM json_to_recordset($2::json) AS o(order_id text, customer_id text, lsn bigint, deleted boolean, placed_at timestamptz,
                                                             total_cents bigint, currency text, category text, order_number text, announced boolean)
       ON CONFLICT (source, order_id) DO UPDATE SET
         customer_id = EXCLUDED.customer_id, lsn = EXCLUDED.lsn, deleted = EXCLUDED.deleted, placed_at = EXCLUDED.placed_at,
         total_cents = EXCLUDED.total_cents, currency = EXCLUDED.currency, category = EXCLUDED.category,
         order_number = EXCLUDED.order_number, announced = EXCLUDED.announced, updated_at = now()
       WHERE erp_orders.lsn < EXCLUDED.lsn OR (erp_orders.lsn = EXCLUDED.lsn AND EXCLUDED.announced AND NOT erp_orders.announced)`,
      [this.source, JSON.stringify(rows)],
    );
  }

  /**
   * Writes the customers' state. Identifiers, attributes and flags travel only for `rewritten`
   * customers; for the others (an order moved their revision on) the revision and orders summary do.
   */
  async saveCustomers(customers: ErpCustomerState[], rewritten: ReadonlySet<string>): Promise<void> {
    if (!customers.length) return;
    const rows = customers.map((c) =>
      rewritten.has(c.customerId)
        ? { customer_id: c.customerId, revision: c.revision, orders_summary: c.summary, known: c.known, deleted: c.deleted, customer_lsn: c.customerLsn, identifiers: c.identifiers, attributes: c.attributes }
        : { customer_id: c.customerId, revision: c.revision, orders_summary: c.summary },
    );
    await this.manager.query(
      `UPDATE erp_customers c SET revision = u.revision, orders_summary = u.orders_summary, known = coalesce(u.known, c.known),
              deleted = coalesce(u.deleted, c.deleted), customer_lsn = coalesce(u.customer_lsn, c.customer_lsn),
              identifiers = coalesce(u.identifiers, c.identifiers), attributes = coalesce(u.attributes, c.attributes), updated_at = now()
         FROM json_to_recordset($2::json)
              AS u(customer_id text, revision bigint, orders_summary jsonb, known boolean, deleted boolean, customer_lsn bigint, identifiers jsonb, attributes jsonb)
        WHERE c.source = $1 AND c.customer_id = u.customer_id`,
      [this.source, JSON.stringify(rows)],
    );
  }
}

const ORDER_COLUMNS = 'order_id, order_number, customer_id, lsn, deleted, placed_at, total_cents, currency, category, announced, updated_at';

function toOrder(row: OrderRow): ErpOrderState {
  return {
    orderId: row.order_id,
    orderNumber: row.order_number ?? row.order_id,
    customerId: row.customer_id,
    lsn: Number(row.lsn),
    deleted: row.deleted,
    placedAt: new Date(row.placed_at).toISOString(),
    totalCents: Number(row.total_cents),
    currency: row.currency,
    category: row.category,
    announced: row.announced,
    occurredAt: new Date(row.updated_at).toISOString(),
  };
}

interface OrderRow {
  order_id: string;
  order_number: string | null;
  announced: boolean;
  updated_at: Date;
  customer_id: string;
  lsn: string;
  deleted: boolean;
  placed_at: Date;
  total_cents: string;
  currency: string;
  category: string | null;
}

interface CustomerRow {
  customer_id: string;
  known: boolean;
  deleted: boolean;
  revision: string;
  customer_lsn: string;
  identifiers: ErpCustomerState['identifiers'];
  attributes: ErpCustomerState['attributes'];
  orders_summary: OrdersSummary | null;
}

