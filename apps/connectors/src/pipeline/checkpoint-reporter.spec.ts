import { ConnectorRegistry, OperatorRequests, SuccessReport } from '../registry/connector-registry.service';
import { CheckpointReporter } from './checkpoint-reporter';

/** A registry double whose writes complete when the test says. */
function registry() {
  const writes: { report: SuccessReport; done(answer?: Partial<OperatorRequests> | Error): void }[] = [];
  const fake = {
    reportSuccess: (_name: string, report: SuccessReport) =>
      new Promise<OperatorRequests>((resolve, reject) =>
        writes.push({ report, done: (answer) => (answer instanceof Error ? reject(answer) : resolve({ paused: false, resyncRequested: false, ...answer })) }),
      ),
  };
  return { registry: fake as unknown as ConnectorRegistry, writes };
}

function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const page = (n: number): SuccessReport => ({ cursor: `page-${n}`, events: 10, deadLettered: n === 2 ? 1 : 0, lagSeconds: n, caughtUp: false });

describe('CheckpointReporter', () => {
  it('should move the checkpoint only over pages Kafka acknowledged, in page order, merging what waits for a write', async () => {
    const { registry: reg, writes } = registry();
    const reporter = new CheckpointReporter(reg, 'crm');
    const pages = [deferred(), deferred(), deferred(), deferred()];
    pages.forEach((p, i) => reporter.after(p.promise, page(i + 1)));
    // Page 2 is acknowledged first: nothing may be reported while page 1 is not.
    pages[1].resolve();
    await tick();
    expect(writes).toHaveLength(0);
    pages[0].resolve();
    await tick();
    expect(writes.map((w) => w.report.cursor)).toEqual(['page-1']);
    // Page 2 (already acknowledged), then 3 and 4 wait for the write under way and go as one.
    pages[2].resolve();
    pages[3].resolve();
    await tick();
    writes[0].done();
    await tick();
    expect(writes.map((w) => w.report)).toEqual([page(1), { cursor: 'page-4', events: 30, deadLettered: 1, lagSeconds: 4, sourceTotal: undefined, caughtUp: false }]);
    writes[1].done();
    await reporter.flush();
  });

  it('should never report a page after one Kafka refused', async () => {
    const { registry: reg, writes } = registry();
    const reporter = new CheckpointReporter(reg, 'crm');
    const pages = [deferred(), deferred(), deferred()];
    pages.forEach((p, i) => reporter.after(p.promise, page(i + 1)));
    pages[0].resolve();
    pages[1].reject(new Error('broker gone'));
    pages[2].resolve();
    await tick();
    writes[0].done();
    await reporter.flush();
    expect(writes.map((w) => w.report.cursor)).toEqual(['page-1']);
  });

  it('should tell the pull that an operator paused the connector, and fail it when the checkpoint cannot be written', async () => {
    const { registry: reg, writes } = registry();
    const reporter = new CheckpointReporter(reg, 'crm');
    reporter.after(Promise.resolve(), page(1));
    await tick();
    writes[0].done({ paused: true });
    await reporter.flush();
    expect(reporter.interrupted).toBe(true);

    const failing = new CheckpointReporter(reg, 'crm');
    failing.after(Promise.resolve(), page(2));
    await tick();
    const outage = new Error('Connection terminated unexpectedly');
    writes[1].done(outage);
    await expect(failing.flush()).rejects.toBe(outage);
    expect(() => failing.throwIfFailed()).toThrow(outage);
  });
});
