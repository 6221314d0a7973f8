import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { EventProducer, ensureTopics, KAFKA } from '@tandem/messaging';
import { LOGGER } from '@tandem/observability';
import { CrmSimulator, CustomerBase, DebeziumRecord, DebeziumStreamSimulator, generateCustomerBase, MarketingListSimulator, MarketingWebhook, MarketingWebhookSender, marketingWebhooks } from '@tandem/sandbox';
import { ConnectorsConfig } from '../connectors.config';

/** Everything the running sandbox offers to the connectors in this process. */
export interface SandboxHandle {
  /** The generated customer base; `truth` is for demos and benchmarks, never for the matcher. */
  dataset: CustomerBase;
  crm: CrmSimulator;
  crmUrl: string;
  erp: DebeziumStreamSimulator;
  /** The marketing tool's list: its members API (for resyncs) and the webhooks it fires agree. */
  marketing: MarketingListSimulator;
  marketingUrl: string;
  marketingApiKey: string;
  /** The webhooks that put the existing list in place, to send once the app listens. */
  marketingBacklog: MarketingWebhook[];
}

/** The simulated members API's key (the sandbox listens on loopback only). */
const SANDBOX_MARKETING_API_KEY = 'sandbox-marketing-key-us1';

/** Topic prefix of the simulated ERP's Debezium stream (the ERP connector's default). */
const ERP_PREFIX = process.env.ERP_TOPIC_PREFIX || 'erp';
/** As many partitions as Debezium's topics get from the ERP connector by default. */
const ERP_PARTITIONS = 3;
/** Tries of the ERP snapshot on start-up, a second apart. */
const SNAPSHOT_ATTEMPTS = 10;
const SNAPSHOT_RETRY_MS = 1000;

/** Injection token of the running sandbox, or null when SANDBOX_ENABLED is false. */
export const SANDBOX = Symbol('SANDBOX');

/** Starts the simulated CRM before the connectors need it. */
export async function startSandbox(config: ConnectorsConfig, logger: Logger): Promise<SandboxHandle | null> {
  if (!config.SANDBOX_ENABLED) return null;
  const dataset = generateCustomerBase({ people: config.SANDBOX_PEOPLE, seed: 7 });
  const crm = new CrmSimulator({ contacts: dataset.crmContacts });
  const crmUrl = await crm.start(config.SANDBOX_CRM_PORT);
  const marketing = new MarketingListSimulator({ apiKey: SANDBOX_MARKETING_API_KEY });
  const marketingBacklog = marketing.seed(dataset.subscribers);
  const marketingUrl = await marketing.start(0);
  logger.info(
    { crmUrl, marketingUrl, people: config.SANDBOX_PEOPLE, crmContacts: dataset.crmContacts.length, erpCustomers: dataset.erpCustomers.length, subscribers: dataset.subscribers.length },
    'sandbox running (SANDBOX_ENABLED=false or SANDBOX=off turns it off)',
  );
  return { dataset, crm, crmUrl, erp: new DebeziumStreamSimulator(dataset, ERP_PREFIX), marketing, marketingUrl, marketingApiKey: SANDBOX_MARKETING_API_KEY, marketingBacklog };
}

/**
 * Keeps the sandbox alive after start: the ERP's snapshot goes out as Debezium change events, the
 * marketing tool's subscribers arrive as signed webhooks, and every few seconds someone edits or
 * deletes a CRM contact, moves an ERP customer, places an order or updates a profile, so a newcomer
 * sees data flow through the hub without doing anything.
 */
@Injectable()
export class SandboxActivity implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private tick = 0;

  constructor(
    @Inject(SANDBOX) private readonly sandbox: SandboxHandle | null,
    @Inject(ConnectorsConfig) private readonly config: ConnectorsConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(EventProducer) private readonly producer: EventProducer,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.sandbox) return;
    await this.publishErpSnapshot(this.sandbox.erp);
    if (this.config.SANDBOX_TRICKLE_MS === 0) return;
    const sender = new MarketingWebhookSender({ url: `http://127.0.0.1:${this.config.CONNECTORS_PORT}/v1/webhooks/marketing`, secret: this.config.MARKETING_WEBHOOK_SECRET });
    const subscribers = this.sandbox.dataset.subscribers;
    const list = this.sandbox.marketing;
    const initial = this.sandbox.marketingBacklog;
    let backlog = 0;
    // The marketing tool's existing list first, a batch per beat, then one change per beat.
    const beat = async () => {
      this.tick++;
      try {
        if (backlog < initial.length) {
          // Fired when the list was made; a failed send is retried as the same webhook.
          for (const webhook of initial.slice(backlog, backlog + 100)) {
            await sender.send(webhook);
            backlog++;
          }
          return;
        }
        const crm = this.sandbox!.crm;
        const contacts = this.sandbox!.dataset.crmContacts;
        const contact = contacts[this.tick % contacts.length];
        if (this.tick % 17 === 0 && crm.get(contact.id) && !crm.get(contact.id)!.archived) crm.archive(contact.id);
        else if (crm.get(contact.id) && !crm.get(contact.id)!.archived) crm.upsert({ city: ['Leeds', 'York', 'Bath', 'Hull'][this.tick % 4] }, contact.id);
        // The tool changes the member, then fires its webhook: a resync finds what the webhook said.
        if (subscribers.length && this.tick % 3 === 0) await sender.send(list.apply(marketingWebhooks.profile(subscribers[this.tick % subscribers.length])));
        await this.publishErp(this.erpBeat());
      } catch (error) {
        // The app may not listen yet on the first beats; the next beat tries again.
        this.logger.debug({ err: { message: (error as Error).message } }, 'sandbox beat failed');
      }
    };
    const loop = () => {
      this.timer = setTimeout(() => void beat().finally(() => this.timer && loop()), this.config.SANDBOX_TRICKLE_MS);
    };
    loop();
  }

  private erpBeat(): DebeziumRecord[] {
    const { erp, dataset } = this.sandbox!;
    const customers = dataset.erpCustomers;
    if (!customers.length) return [];
    const customer = customers[(this.tick * 7) % customers.length];
    if (!erp.has(customer.id)) return [];
    if (this.tick % 2 === 0) {
      const id = 1_000_000 + this.tick;
      return [erp.placeOrder({ id, customer_id: customer.id, order_number: `SO-S${id}`, placed_at: new Date().toISOString(), total: 19.99 + (this.tick % 50), currency: 'GBP', category: ['shoes', 'books', 'garden'][this.tick % 3] })];
    }
    return [erp.updateCustomer(customer.id, { city: ['Leeds', 'York', 'Bath', 'Hull'][this.tick % 4] })];
  }

  /**
   * The ERP's snapshot as Debezium change events. On a broker formatted moments ago, the first
   * produce to the new topics can be refused ("does not host this topic-partition") while their
   * leaders settle, so it is tried again a few times; a repeated snapshot is the same events.
   */
  private async publishErpSnapshot(erp: DebeziumStreamSimulator): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await ensureTopics(this.kafka, [erp.topic('customers'), erp.topic('orders')].map((name) => ({ name, partitions: ERP_PARTITIONS })));
        const snapshot = erp.snapshot();
        for (let i = 0; i < snapshot.length; i += 1000) await this.publishErp(snapshot.slice(i, i + 1000));
        this.logger.info({ changes: snapshot.length, topics: [erp.topic('customers'), erp.topic('orders')] }, 'sandbox ERP snapshot published as Debezium change events');
        return;
      } catch (error) {
        const last = attempt === SNAPSHOT_ATTEMPTS;
        this.logger.warn({ err: { message: (error as Error).message }, attempt }, last ? 'sandbox ERP snapshot not published' : 'sandbox ERP snapshot not published yet; trying again');
        if (last) return;
        await sleep(SNAPSHOT_RETRY_MS);
      }
    }
  }

  private async publishErp(records: DebeziumRecord[]): Promise<void> {
    const byTopic = new Map<string, DebeziumRecord[]>();
    for (const record of records) byTopic.set(record.topic, [...(byTopic.get(record.topic) ?? []), record]);
    await this.producer.sendBatch([...byTopic].map(([topic, list]) => ({ topic, messages: list.map(({ key, value }) => ({ key, value })) })));
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.sandbox?.crm.stop();
    await this.sandbox?.marketing.stop();
  }
}
