import pino from 'pino';
import { ConnectorRegistry } from '../registry/connector-registry.service';
import { PollLoop } from './poll-loop';
import { SourceBackoff, SourceUnavailableError } from './source-http';

describe('PollLoop', () => {
  const logger = pino({ level: 'silent' });

  function loopWith(steps: Array<() => Promise<string>>, idleMs = 60_000) {
    const failures: Array<{ message: string; until: Date }> = [];
    const registry = {
      reportFailure: async (_name: string, error: Error, { backingOffUntil }: { backingOffUntil: Date }) => void failures.push({ message: error.message, until: backingOffUntil }),
    } as unknown as ConnectorRegistry;
    let calls = 0;
    const step = () => {
      const next = steps[Math.min(calls, steps.length - 1)];
      calls++;
      return next();
    };
    const loop = new PollLoop({ name: 'crm', what: 'CRM pull', step, idleMs, backoff: new SourceBackoff(10, () => 0), registry, logger });
    return { loop, failures, calls: () => calls };
  }

  const until = async (condition: () => boolean) => {
    for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(condition()).toBe(true);
  };

  it('runs the next step at once while there is more, then waits until nudged', async () => {
    const { loop, calls } = loopWith([async () => 'more', async () => 'more', async () => 'caught-up']);
    loop.start();
    await until(() => calls() === 3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls()).toBe(3); // idle for a minute
    loop.nudge();
    await until(() => calls() === 4);
    await loop.stop();
  });

  it('reports a failed step as backing off, waits as Retry-After says, and recovers on its own', async () => {
    const { loop, failures, calls } = loopWith([
      async () => {
        throw new SourceUnavailableError('the CRM answered 429', 429, 30);
      },
      async () => 'caught-up',
    ]);
    loop.start();
    await until(() => calls() === 2);
    expect(failures).toHaveLength(1);
    expect(failures[0].message).toBe('the CRM answered 429');
    expect(failures[0].until.getTime()).toBeGreaterThan(Date.now() - 1_000);
    await loop.stop();
  });

  it('stop ends an idle wait at once and tells a running step', async () => {
    const { loop } = loopWith([async () => 'caught-up']);
    loop.start();
    const started = Date.now();
    expect(loop.stopped).toBe(false);
    await loop.stop();
    expect(loop.stopped).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
