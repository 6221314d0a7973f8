import { EntityManager } from 'typeorm';
import { ErpCustomerState, ErpOrderState, OrderAggregates } from './erp-batch';

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
    const byCustomer = new Map<string, ErpOrderState[]>();
    if (!customerIds.length) return byCustomer;
    const rows: OrderRow[] = await this.manager.query(
      `SELECT ${ORDER_COLUMNS} FROM erp_orders WHERE source = $1 AND customer_id = ANY($2::text[]) AND NOT announced AND NOT deleted ORDER BY placed_at, order_id`,
      [this.source, customerIds],
    );
    for (const row of rows) {
      const list = byCustomer.get(row.customer_id) ?? [];
      list.push(toOrder(row));
      byCustomer.set(row.customer_id, list);
    }
    return byCustomer;
  }

  /** Creates missing rows, then locks and loads all of them (ids sorted by the caller). */
  async lockCustomers(customerIds: string[]): Promise<Map<string, ErpCustomerState>> {
    const customers = new Map<string, ErpCustomerState>();
    if (!customerIds.length) return customers;
    await this.manager.query(
      `INSERT INTO erp_customers (source, customer_id) SELECT $1, id FROM unnest($2::text[]) AS id ORDER BY id ON CONFLICT DO NOTHING`,
      [this.source, customerIds],
    );
    const rows: CustomerRow[] = await this.manager.query(
      `SELECT customer_id, known, deleted, revision, customer_lsn, identifiers, attributes
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
      });
    }
    return customers;
  }

  async saveOrders(orders: ErpOrderState[]): Promise<void> {
    if (!orders.length) return;
    await this.manager.query(
      `INSERT INTO erp_orders (source, order_id, customer_id, lsn, deleted, placed_at, total_cents, currency, category, order_number, announced)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::boolean[], $6::timestamptz[], $7::bigint[], $8::text[], $9::text[], $10::text[], $11::boolean[])
       ON CONFLICT (source, order_id) DO UPDATE SET
         customer_id = EXCLUDED.customer_id, lsn = EXCLUDED.lsn, deleted = EXCLUDED.deleted, placed_at = EXCLUDED.placed_at,
         total_cents = EXCLUDED.total_cents, currency = EXCLUDED.currency, category = EXCLUDED.category,
         order_number = EXCLUDED.order_number, announced = EXCLUDED.announced, updated_at = now()
       WHERE erp_orders.lsn < EXCLUDED.lsn OR (erp_orders.lsn = EXCLUDED.lsn AND EXCLUDED.announced AND NOT erp_orders.announced)`,
      [
        this.source,
        orders.map((o) => o.orderId),
        orders.map((o) => o.customerId),
        orders.map((o) => String(o.lsn)),
        orders.map((o) => o.deleted),
        orders.map((o) => o.placedAt),
        orders.map((o) => String(o.totalCents)),
        orders.map((o) => o.currency),
        orders.map((o) => o.category),
        orders.map((o) => o.orderNumber),
        orders.map((o) => o.announced),
      ],
    );
  }

  async saveCustomers(customers: ErpCustomerState[]): Promise<void> {
    if (!customers.length) return;
    await this.manager.query(
      `UPDATE erp_customers c SET known = u.known, deleted = u.deleted, revision = u.revision, customer_lsn = u.customer_lsn,
              identifiers = u.identifiers, attributes = u.attributes, updated_at = now()
         FROM unnest($2::text[], $3::boolean[], $4::boolean[], $5::bigint[], $6::bigint[], $7::jsonb[], $8::jsonb[])
              AS u(customer_id, known, deleted, revision, customer_lsn, identifiers, attributes)
        WHERE c.source = $1 AND c.customer_id = u.customer_id`,
      [
        this.source,
        customers.map((c) => c.customerId),
        customers.map((c) => c.known),
        customers.map((c) => c.deleted),
        customers.map((c) => String(c.revision)),
        customers.map((c) => String(c.customerLsn)),
        customers.map((c) => JSON.stringify(c.identifiers)),
        customers.map((c) => JSON.stringify(c.attributes)),
      ],
    );
  }

  /** Order count, last order, lifetime value (in the latest order's currency) and favourite category. */
  async aggregates(customerIds: string[]): Promise<Map<string, OrderAggregates>> {
    const result = new Map<string, OrderAggregates>();
    if (!customerIds.length) return result;
    const rows: AggregateRow[] = await this.manager.query(
      `WITH o AS (
         SELECT customer_id, placed_at, total_cents, currency, category, order_id
           FROM erp_orders WHERE source = $1 AND customer_id = ANY($2::text[]) AND NOT deleted
       ), latest AS (
         SELECT DISTINCT ON (customer_id) customer_id, currency FROM o ORDER BY customer_id, placed_at DESC, order_id DESC
       ), favourite AS (
         SELECT DISTINCT ON (customer_id) customer_id, category FROM o WHERE category IS NOT NULL
          GROUP BY customer_id, category ORDER BY customer_id, count(*) DESC, category
       )
       SELECT o.customer_id, count(*)::int AS order_count, max(o.placed_at) AS last_order_at, l.currency,
              coalesce(sum(o.total_cents) FILTER (WHERE o.currency = l.currency), 0) AS value_cents, f.category AS favourite
         FROM o JOIN latest l USING (customer_id) LEFT JOIN favourite f USING (customer_id)
        GROUP BY o.customer_id, l.currency, f.category`,
      [this.source, customerIds],
    );
    for (const row of rows) {
      result.set(row.customer_id, {
        orderCount: row.order_count,
        lastOrderAt: row.last_order_at ? new Date(row.last_order_at).toISOString() : null,
        currency: row.currency,
        lifetimeValueCents: Number(row.value_cents),
        favouriteCategory: row.favourite,
      });
    }
    return result;
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
}

interface AggregateRow {
  customer_id: string;
  order_count: number;
  last_order_at: Date | null;
  currency: string | null;
  value_cents: string;
  favourite: string | null;
}
