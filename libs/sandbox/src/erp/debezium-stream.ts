import { CustomerBase, ErpCustomer, ErpOrder } from '../generator/customer-base';

/** One Kafka record as Debezium's JSON converter writes it (`schemas.enable=false`); value null = tombstone. */
export interface DebeziumRecord {
  topic: string;
  key: string;
  value: string | null;
}

type Table = 'customers' | 'orders';
type Row = ErpCustomer | ErpOrder;

/**
 * The ERP's change stream as Debezium's PostgreSQL connector would publish it: topics
 * `<prefix>.public.customers|orders`, key `{"id": …}`, envelope `before/after/source/op/ts_ms`,
 * a snapshot (`op: r`) first, then inserts, updates and deletes (a delete is followed by a
 * tombstone). Snapshot LSNs are fixed by the data, so a replayed snapshot is the same changes.
 */
export class DebeziumStreamSimulator {
  private readonly customers = new Map<number, ErpCustomer>();
  private lsn = 0;

  constructor(private readonly base: CustomerBase, private readonly prefix = 'erp') {
    for (const customer of base.erpCustomers) this.customers.set(customer.id, customer);
  }

  topic(table: Table): string {
    return `${this.prefix}.public.${table}`;
  }

  /** Every customer, then every order, as snapshot reads. */
  snapshot(at = Date.now()): DebeziumRecord[] {
    let lsn = 1000;
    const customers = this.base.erpCustomers.map((row) => this.change('customers', 'r', null, row, at, (lsn += 8)));
    const orders = this.base.erpOrders.map((row) => this.change('orders', 'r', null, row, at, (lsn += 8)));
    return [...customers, ...orders];
  }

  /** An edit of a customer row (e.g. a new city), as an update. */
  updateCustomer(id: number, changes: Partial<ErpCustomer>, at = Date.now()): DebeziumRecord {
    const before = this.customers.get(id);
    if (!before) throw new Error(`no ERP customer ${id}`);
    const after = { ...before, ...changes, updated_at: new Date(at).toISOString() };
    this.customers.set(id, after);
    return this.change('customers', 'u', before, after, at, this.nextLsn(at));
  }

  /** A new order, as an insert. */
  placeOrder(order: ErpOrder, at = Date.now()): DebeziumRecord {
    return this.change('orders', 'c', null, order, at, this.nextLsn(at));
  }

  /** A deleted customer: the delete event, then the tombstone that lets compaction drop the key. */
  deleteCustomer(id: number, at = Date.now()): DebeziumRecord[] {
    const before = this.customers.get(id);
    if (!before) throw new Error(`no ERP customer ${id}`);
    this.customers.delete(id);
    const change = this.change('customers', 'd', before, null, at, this.nextLsn(at));
    return [change, { topic: change.topic, key: change.key, value: null }];
  }

  has(id: number): boolean {
    return this.customers.has(id);
  }

  // Live changes come after any snapshot, across restarts too: the LSN follows the clock.
  private nextLsn(at: number): number {
    this.lsn = Math.max(this.lsn + 8, at * 1000);
    return this.lsn;
  }

  private change(table: Table, op: 'r' | 'c' | 'u' | 'd', before: Row | null, after: Row | null, at: number, lsn: number): DebeziumRecord {
    const id = (after ?? before)!.id;
    const envelope = {
      before,
      after,
      source: { version: '3.3.1.Final', connector: 'postgresql', name: this.prefix, ts_ms: at, snapshot: op === 'r' ? 'true' : 'false', db: 'erp', schema: 'public', table, txId: Math.floor(lsn / 8), lsn },
      op,
      ts_ms: at,
    };
    return { topic: this.topic(table), key: JSON.stringify({ id }), value: JSON.stringify(envelope) };
  }
}
