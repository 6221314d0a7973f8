import { PushedConnector, PushedConnectorStore } from './pushed-connector';

/** The connectors table as far as a pushed connector sees it. */
function fakeTable() {
  const table = { paused: false, events: 0, deadLettered: 0, lagSeconds: null as number | null, failNext: false, writes: 0 };
  const store: PushedConnectorStore = {
    async reportSuccess(_name, report) {
      if (table.failNext) {
        table.failNext = false;
        throw new Error('database unreachable');
      }
      table.writes++;
      table.events += report.events;
      table.deadLettered += report.deadLettered;
      table.lagSeconds = report.lagSeconds ?? table.lagSeconds;
      return { paused: table.paused };
    },
    async isPaused() {
      return table.paused;
    },
  };
  return { table, store };
}

describe('PushedConnector', () => {
  it('should write the counts of many requests in one write, and lose none when a write fails', async () => {
    const { table, store } = fakeTable();
    const connector = new PushedConnector('marketing', store, 60_000);
    await connector.start();
    for (let i = 0; i < 500; i++) connector.record(1, 0, 2);
    connector.record(0, 1);
    table.failNext = true;
    await connector.flush();
    expect(table.events).toBe(0);
    expect(connector.unwritten).toEqual({ events: 500, deadLettered: 1, lagSeconds: 2 });
    connector.record(1);
    await connector.flush();
    expect([table.events, table.deadLettered, table.lagSeconds, table.writes]).toEqual([501, 1, 2, 1]);
    expect(connector.unwritten.events).toBe(0);
    await connector.close();
  });

  it('should write what is pending when closed, and each later count at once', async () => {
    const { table, store } = fakeTable();
    const connector = new PushedConnector('segment', store, 60_000);
    await connector.start();
    connector.record(100);
    await connector.close();
    expect(table.events).toBe(100);
    connector.record(7);
    await new Promise((resolve) => setImmediate(resolve));
    expect(table.events).toBe(107);
  });

  it('should learn of a pause made elsewhere at its next refresh', async () => {
    const { table, store } = fakeTable();
    const connector = new PushedConnector('marketing', store, 20);
    await connector.start();
    expect(connector.paused).toBe(false);
    table.paused = true;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(connector.paused).toBe(true);
    await connector.close();
  });

  it('should not write while the row is being read, so row plus unwritten counts each event once', async () => {
    const { table, store } = fakeTable();
    const connector = new PushedConnector('marketing', store, 60_000);
    await connector.start();
    connector.record(3);
    const seen = await connector.steady(async () => {
      await connector.flush(); // skipped: a read is under way
      return table.events + connector.unwritten.events;
    });
    expect(seen).toBe(3);
    await connector.flush();
    expect([table.events, connector.unwritten.events]).toEqual([3, 0]);
    await connector.close();
  });
});
