import { customerEventId, CustomerAttributesV1, CustomerEventV1, IdentifierV1, OrderV1, PersonalizationV1 } from '@tandem/contracts';
import { ErpChange, ErpCustomerChange } from './erp-change.mapper';

/** The connector's memory of one ERP customer (table erp_customers). */
export interface ErpCustomerState {
  customerId: string;
  /** A customers row has been seen; before that, only orders pointed at this id. */
  known: boolean;
  deleted: boolean;
  /** Bumped for every event emitted for this customer: the events' recordVersion. */
  revision: number;
  /** LSN of the newest customers change applied (0 = none). */
  customerLsn: number;
  identifiers: IdentifierV1[];
  attributes: CustomerAttributesV1;
  /**
   * What the personalization aggregates are made of, kept up to date change by change; null when
   * it has to be rebuilt from the stored orders (rows from before it was kept, or after the latest
   * order went away and the one before it has to be looked up).
   */
  summary: OrdersSummary | null;
}

/** A customer's live (not deleted) orders, in the figures the personalization needs. */
export interface OrdersSummary {
  count: number;
  /** The latest order by placed time, then order id (code-point order). */
  last: { at: string; orderId: string; currency: string } | null;
  /** Order totals per currency, in cents. */
  cents: Record<string, number>;
  /** Orders per category. */
  categories: Record<string, number>;
}

/** The connector's memory of one ERP order (table erp_orders). */
export interface ErpOrderState {
  orderId: string;
  orderNumber: string;
  customerId: string;
  lsn: number;
  deleted: boolean;
  placedAt: string;
  totalCents: number;
  currency: string;
  category: string | null;
  /** Said downstream as `order.placed`; false while its customer is not known yet. */
  announced: boolean;
  /** Commit time of the order's newest change in the ERP. */
  occurredAt: string;
}

/** What one customer's changes in a batch will say downstream, before the aggregates are known. */
export interface PlannedEvents {
  customerId: string;
  placed: ErpOrderState[];
  /** A customer change, or an order update or delete, changed what the hub should know. */
  upserted: boolean;
  /** The customer row was deleted in this batch (and not re-created). */
  deleted: boolean;
  occurredAt: string;
}

export interface BatchPlan {
  customers: Map<string, ErpCustomerState>;
  changedOrders: ErpOrderState[];
  /** Customers whose row changes (revision included). */
  changedCustomers: Set<string>;
  /** Of those, the ones whose identifiers, attributes or flags changed, not only the revision. */
  rewrittenCustomers: Set<string>;
  events: Map<string, PlannedEvents>;
}

/** Customer ids a batch touches: its own and, for orders, the customer an order belonged to before. */
export function affectedCustomerIds(changes: ErpChange[], storedOrders: Map<string, ErpOrderState>): string[] {
  const ids = new Set<string>();
  for (const change of changes) {
    if (change.table === 'customers') ids.add(change.customerId);
    if (change.table === 'orders') {
      ids.add(change.customerId);
      const stored = storedOrders.get(change.orderId);
      if (stored) ids.add(stored.customerId);
    }
  }
  return [...ids].sort();
}

/**
 * For each customer, the last step (of `stepSize` changes, counted from 0) that can change it:
 * through its own changes, or through an order's that it owns or owned. Every owner an order has
 * in `storedOrders` or in these changes counts, so the answer is never too early. After that step
 * the customer's state is final for the batch.
 */
export function lastStepTouching(changes: ErpChange[], stepSize: number, storedOrders: Map<string, ErpOrderState>): Map<string, number> {
  const owners = new Map<string, Set<string>>();
  for (const change of changes) {
    if (change.table !== 'orders') continue;
    let ids = owners.get(change.orderId);
    if (!ids) owners.set(change.orderId, (ids = new Set()));
    const stored = storedOrders.get(change.orderId);
    if (stored) ids.add(stored.customerId);
    ids.add(change.customerId);
  }
  const last = new Map<string, number>();
  changes.forEach((change, index) => {
    const step = Math.floor(index / stepSize);
    if (change.table === 'customers') last.set(change.customerId, step);
    if (change.table === 'orders') for (const id of owners.get(change.orderId)!) last.set(id, step);
  });
  return last;
}

/**
 * Applies a batch of changes, in log order, to the loaded state. A change whose LSN is not newer
 * than what the state already holds was applied before (a redelivery) and is skipped, so applying
 * a batch twice changes nothing. Mutates `customers` and `orders`.
 */
export function planBatch(
  changes: ErpChange[],
  customers: Map<string, ErpCustomerState>,
  orders: Map<string, ErpOrderState>,
  unannounced: Map<string, ErpOrderState[]> = new Map(),
): BatchPlan {
  const changedOrders = new Map<string, ErpOrderState>();
  // Orders of this batch waiting for their customer, by customer id.
  const waiting = new Map<string, Set<string>>();
  const changedCustomers = new Set<string>();
  const rewrittenCustomers = new Set<string>();
  const events = new Map<string, PlannedEvents>();
  const plan = (customerId: string, occurredAt: string): PlannedEvents => {
    let planned = events.get(customerId);
    if (!planned) events.set(customerId, (planned = { customerId, placed: [], upserted: false, deleted: false, occurredAt }));
    if (occurredAt > planned.occurredAt) planned.occurredAt = occurredAt;
    return planned;
  };
  const customer = (customerId: string): ErpCustomerState => {
    let state = customers.get(customerId);
    if (!state) customers.set(customerId, (state = emptyCustomer(customerId)));
    return state;
  };
  for (const change of changes) {
    if (change.table === 'customers') {
      const state = customer(change.customerId);
      const wasKnown = state.known;
      if (applyCustomer(change, state, plan)) {
        changedCustomers.add(change.customerId);
        rewrittenCustomers.add(change.customerId);
      }
      // Orders read before their customer are announced now that the customer is known.
      if (!wasKnown && state.known && !state.deleted) {
        const pending = [...(unannounced.get(change.customerId) ?? []), ...[...(waiting.get(change.customerId) ?? [])].map((id) => orders.get(id)!)];
        for (const order of new Map(pending.map((o) => [o.orderId, orders.get(o.orderId) ?? o])).values()) {
          if (order.announced || order.deleted || order.customerId !== change.customerId) continue;
          const announced = { ...order, announced: true };
          orders.set(order.orderId, announced);
          changedOrders.set(order.orderId, announced);
          plan(change.customerId, change.occurredAt).placed.push(announced);
        }
      }
    } else if (change.table === 'orders') {
      const stored = orders.get(change.orderId);
      if (stored && stored.lsn >= change.lsn) continue;
      const owner = customer(change.customerId);
      const isNew = change.created && !change.deleted && !stored;
      const next: ErpOrderState = {
        orderId: change.orderId,
        orderNumber: change.orderNumber,
        customerId: change.customerId,
        lsn: change.lsn,
        deleted: change.deleted,
        placedAt: change.placedAt,
        totalCents: change.totalCents,
        currency: change.currency,
        category: change.category,
        announced: isNew ? owner.known && !owner.deleted : (stored?.announced ?? true),
        occurredAt: change.occurredAt,
      };
      orders.set(change.orderId, next);
      changedOrders.set(change.orderId, next);
      if (stored && !stored.deleted) {
        // An order changed in place that is still the newest keeps its place as the latest.
        const staysLatest = !next.deleted && next.customerId === stored.customerId && !isBefore(next, stored);
        removeOrder(customer(stored.customerId), stored, staysLatest);
        changedCustomers.add(stored.customerId);
      }
      if (!next.deleted) addOrder(owner, next);
      changedCustomers.add(change.customerId);
      const planned = plan(change.customerId, change.occurredAt);
      if (isNew && next.announced) planned.placed.push(next);
      else planned.upserted = true;
      if (!next.announced) waiting.set(change.customerId, (waiting.get(change.customerId) ?? new Set()).add(change.orderId));
      // An order moved to another customer changes the old customer's aggregates too.
      if (stored && stored.customerId !== change.customerId) plan(stored.customerId, change.occurredAt).upserted = true;
    }
  }
  return { customers, changedOrders: [...changedOrders.values()], changedCustomers, rewrittenCustomers, events };
}

/** Applies a customer change newer than the state; false when it was applied before. */
function applyCustomer(change: ErpCustomerChange, state: ErpCustomerState, plan: (id: string, at: string) => PlannedEvents): boolean {
  if (state.customerLsn >= change.lsn) return false;
  state.customerLsn = change.lsn;
  state.known = true;
  state.deleted = change.deleted;
  if (change.deleted) {
    // Keep only the customer number: enough to say which record went, no personal data kept.
    state.identifiers = change.identifiers.filter((i) => i.type === 'customerNumber');
    state.attributes = {};
  } else {
    state.identifiers = change.identifiers;
    state.attributes = change.attributes;
  }
  const planned = plan(change.customerId, change.occurredAt);
  planned.deleted = change.deleted;
  planned.upserted = !change.deleted;
  return true;
}

/** A customer the connector has never seen: no row, so no orders stored either. */
export function emptyCustomer(customerId: string): ErpCustomerState {
  return { customerId, known: false, deleted: false, revision: 0, customerLsn: 0, identifiers: [], attributes: {}, summary: emptySummary() };
}

export function emptySummary(): OrdersSummary {
  return { count: 0, last: null, cents: {}, categories: {} };
}

/** Counts a live order in its customer's summary. */
export function addOrder(state: ErpCustomerState, order: ErpOrderState): void {
  const summary = state.summary;
  if (!summary) return;
  summary.count += 1;
  summary.cents[order.currency] = (summary.cents[order.currency] ?? 0) + order.totalCents;
  if (order.category !== null) summary.categories[order.category] = (summary.categories[order.category] ?? 0) + 1;
  const last = summary.last;
  if (!last || !isBefore(order, { placedAt: last.at, orderId: last.orderId })) {
    summary.last = { at: order.placedAt, orderId: order.orderId, currency: order.currency };
  }
}

/**
 * Takes a live order out of its customer's summary. Losing the latest order means the one before
 * it has to be found among the stored orders: the summary is dropped for a rebuild, unless the
 * order is about to be added back as the latest (`staysLatest`).
 */
function removeOrder(state: ErpCustomerState, order: ErpOrderState, staysLatest: boolean): void {
  const summary = state.summary;
  if (!summary) return;
  if (summary.last?.orderId === order.orderId && !staysLatest) {
    state.summary = null;
    return;
  }
  summary.count -= 1;
  const cents = (summary.cents[order.currency] ?? 0) - order.totalCents;
  if (cents === 0) delete summary.cents[order.currency];
  else summary.cents[order.currency] = cents;
  if (order.category !== null) {
    const count = (summary.categories[order.category] ?? 0) - 1;
    if (count <= 0) delete summary.categories[order.category];
    else summary.categories[order.category] = count;
  }
}

/** Placed earlier, or at the same time with a lower id (code-point order): the latest order's rule. */
function isBefore(a: Pick<ErpOrderState, 'placedAt' | 'orderId'>, b: Pick<ErpOrderState, 'placedAt' | 'orderId'>): boolean {
  return a.placedAt < b.placedAt || (a.placedAt === b.placedAt && a.orderId < b.orderId);
}

/** Customers of a plan about to say something whose summary has to be rebuilt from the stored orders first. */
export function summariesToRebuild(plan: BatchPlan): string[] {
  return [...plan.events.keys()].filter((id) => {
    const state = plan.customers.get(id)!;
    return state.known && !state.deleted && state.summary === null;
  });
}

/**
 * The batch's events: for each known customer, one `order.placed` per new order, then one
 * `customer.upserted` (or `customer.deleted`) when anything else changed. Each event takes the
 * customer's next revision as its version, so the newest state always wins downstream, whatever
 * the order in which the customers and orders topics were read. Bumps `revision` in `customers`.
 */
export function buildEvents(source: string, plan: BatchPlan): CustomerEventV1[] {
  const events: CustomerEventV1[] = [];
  for (const planned of plan.events.values()) {
    const state = plan.customers.get(planned.customerId)!;
    // Orders of a customer the connector has not seen yet: kept for the aggregates, said later.
    if (!state.known) continue;
    if (state.deleted && !planned.deleted) continue;
    if (!state.deleted && !state.summary) throw new Error(`the orders summary of customer ${state.customerId} has to be rebuilt first (summariesToRebuild)`);
    const personalization = state.deleted ? undefined : toPersonalization(state.summary!);
    const next = (kind: CustomerEventV1['kind'], occurredAt: string, order?: OrderV1): CustomerEventV1 => {
      state.revision += 1;
      plan.changedCustomers.add(state.customerId);
      const event: CustomerEventV1 = {
        schemaVersion: 1,
        eventId: customerEventId(source, state.customerId, state.revision),
        source,
        sourceRecordId: state.customerId,
        recordVersion: state.revision,
        kind,
        occurredAt,
        identifiers: state.identifiers,
        attributes: state.attributes,
      };
      if (order) event.order = order;
      if (personalization) event.personalization = personalization;
      return event;
    };
    if (!state.deleted) {
      for (const order of planned.placed) {
        events.push(next('order.placed', order.placedAt, { orderId: order.orderNumber, placedAt: order.placedAt, total: order.totalCents / 100, currency: order.currency }));
      }
    }
    if (planned.deleted) events.push(next('customer.deleted', planned.occurredAt));
    else if (planned.upserted) events.push(next('customer.upserted', planned.occurredAt));
  }
  return events;
}

function toPersonalization(summary: OrdersSummary): PersonalizationV1 {
  if (summary.count === 0 || !summary.last) return { orderCount: 0 };
  const { at, currency } = summary.last;
  const personalization: PersonalizationV1 = { orderCount: summary.count, lifetimeValue: (summary.cents[currency] ?? 0) / 100, lastOrderAt: at, currency };
  // The most frequent category; a tie goes to the first in code-point order.
  let favourite: string | null = null;
  for (const [category, count] of Object.entries(summary.categories)) {
    const best = favourite === null ? 0 : summary.categories[favourite];
    if (count > best || (count === best && category < favourite!)) favourite = category;
  }
  if (favourite !== null) personalization.favouriteCategory = favourite;
  return personalization;
}
