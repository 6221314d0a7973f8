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
  changedCustomers: Set<string>;
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
      applyCustomer(change, state, changedCustomers, plan);
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
      const planned = plan(change.customerId, change.occurredAt);
      if (isNew && next.announced) planned.placed.push(next);
      else planned.upserted = true;
      if (!next.announced) waiting.set(change.customerId, (waiting.get(change.customerId) ?? new Set()).add(change.orderId));
      // An order moved to another customer changes the old customer's aggregates too.
      if (stored && stored.customerId !== change.customerId) plan(stored.customerId, change.occurredAt).upserted = true;
    }
  }
  return { customers, changedOrders: [...changedOrders.values()], changedCustomers, events };
}

function applyCustomer(change: ErpCustomerChange, state: ErpCustomerState, changed: Set<string>, plan: (id: string, at: string) => PlannedEvents): void {
  if (state.customerLsn >= change.lsn) return;
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
  changed.add(change.customerId);
  const planned = plan(change.customerId, change.occurredAt);
  planned.deleted = change.deleted;
  planned.upserted = !change.deleted;
}

export function emptyCustomer(customerId: string): ErpCustomerState {
  return { customerId, known: false, deleted: false, revision: 0, customerLsn: 0, identifiers: [], attributes: {} };
}

/** Per-customer aggregates over the stored orders, computed in SQL after the batch's orders are written. */
export interface OrderAggregates {
  orderCount: number;
  lastOrderAt: string | null;
  currency: string | null;
  lifetimeValueCents: number;
  favouriteCategory: string | null;
}

/**
 * The batch's events: for each known customer, one `order.placed` per new order, then one
 * `customer.upserted` (or `customer.deleted`) when anything else changed. Each event takes the
 * customer's next revision as its version, so the newest state always wins downstream, whatever
 * the order in which the customers and orders topics were read. Bumps `revision` in `customers`.
 */
export function buildEvents(source: string, plan: BatchPlan, aggregates: Map<string, OrderAggregates>): CustomerEventV1[] {
  const events: CustomerEventV1[] = [];
  for (const planned of plan.events.values()) {
    const state = plan.customers.get(planned.customerId)!;
    // Orders of a customer the connector has not seen yet: kept for the aggregates, said later.
    if (!state.known) continue;
    if (state.deleted && !planned.deleted) continue;
    const personalization = state.deleted ? undefined : toPersonalization(aggregates.get(state.customerId));
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

function toPersonalization(aggregates: OrderAggregates | undefined): PersonalizationV1 {
  if (!aggregates || aggregates.orderCount === 0) return { orderCount: 0 };
  const personalization: PersonalizationV1 = { orderCount: aggregates.orderCount, lifetimeValue: aggregates.lifetimeValueCents / 100 };
  if (aggregates.lastOrderAt) personalization.lastOrderAt = aggregates.lastOrderAt;
  if (aggregates.currency) personalization.currency = aggregates.currency;
  if (aggregates.favouriteCategory) personalization.favouriteCategory = aggregates.favouriteCategory;
  return personalization;
}
