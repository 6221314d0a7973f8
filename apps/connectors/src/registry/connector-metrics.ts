import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Metrics } from '@tandem/observability';
import { CONNECTOR_STATES, ConnectorRegistry, ConnectorStatus } from './connector-registry.service';

/**
 * The registry as Prometheus gauges, read at scrape time so they always match the operations API:
 * `connector_state{connector,state}` (1 for the current state), lag, totals and failure streak.
 */
@Injectable()
export class ConnectorMetrics implements OnModuleInit {
  private snapshot: { at: number; connectors: Promise<ConnectorStatus[]> } | null = null;

  constructor(@Inject(Metrics) private readonly metrics: Metrics, @Inject(ConnectorRegistry) private readonly registry: ConnectorRegistry) {}

  onModuleInit(): void {
    this.gauge('connector_state', 'Current state of each connector (1 = in this state)', ['connector', 'state'], (c, set) => {
      for (const state of CONNECTOR_STATES) set({ connector: c.name, state }, c.state === state ? 1 : 0);
    });
    this.gauge('connector_lag_seconds', 'How far behind its source a connector was at its last step', ['connector'], (c, set) => c.lagSeconds !== null && set({ connector: c.name }, c.lagSeconds));
    this.gauge('connector_events_total', 'Events a connector has had acknowledged by Kafka, all processes', ['connector'], (c, set) => set({ connector: c.name }, c.eventsTotal));
    this.gauge('connector_dead_lettered_total', 'Source records a connector sent to the dead-letter topic, all processes', ['connector'], (c, set) => set({ connector: c.name }, c.deadLetteredTotal));
    this.gauge('connector_consecutive_failures', 'Failed steps since the last success', ['connector'], (c, set) => set({ connector: c.name }, c.consecutiveFailures));
  }

  private gauge(name: string, help: string, labelNames: string[], fill: (c: ConnectorStatus, set: (labels: Record<string, string>, value: number) => void) => unknown): void {
    const connectors = () => this.connectors();
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.metrics.registry],
      async collect() {
        const list = await connectors();
        this.reset();
        for (const c of list) fill(c, (labels, value) => this.set(labels, value));
      },
    });
  }

  // One registry read per scrape, shared by the gauges.
  private connectors(): Promise<ConnectorStatus[]> {
    if (!this.snapshot || Date.now() - this.snapshot.at > 1000) this.snapshot = { at: Date.now(), connectors: this.registry.list().catch(() => []) };
    return this.snapshot.connectors;
  }
}
