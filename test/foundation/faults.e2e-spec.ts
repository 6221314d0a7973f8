import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, REPO_ROOT, RunningService, startService, waitForReadiness } from '../support/services';
import { TcpProxy } from '../support/tcp-proxy';

/** A second broker owned by this suite, so stopping it disturbs nobody else. */
function kafkaCommand(command: 'start' | 'stop', env: Record<string, string>): void {
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'kafka.mjs'), command], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120000 });
  if (result.status !== 0) throw new Error(`kafka ${command} failed: ${result.stderr || result.stdout}`);
}

describe('faults at start-up and at run time', () => {
  it('should stop with one line naming a bad setting', async () => {
    const api = await startService('api', { API_PORT: '3000', KAFKA_BROKERS: 'not a broker list' });
    const { code } = await api.exited;
    expect(code).toBe(1);
    const lines = api.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('KAFKA_BROKERS');
  });

  it('should name a bad secret-bearing setting without echoing its value', async () => {
    const api = await startService('api', { DATABASE_URL: 'mysql://user:hunter2-password@db/tandem' });
    const { code } = await api.exited;
    expect(code).toBe(1);
    expect(api.stderr()).toContain('DATABASE_URL');
    expect(api.stderr()).not.toContain('hunter2-password');
  });

  it('should stop with one line when Kafka cannot be reached at start-up', async () => {
    const port = await freePort();
    const api = await startService('api', { KAFKA_BROKERS: `127.0.0.1:${port}`, STARTUP_TIMEOUT_MS: '2000' });
    const { code } = await api.exited;
    expect(code).toBe(1);
    expect(api.stderr().trim().split('\n')).toEqual([expect.stringContaining(`cannot reach Kafka at 127.0.0.1:${port} after 2 s`)]);
  });

  it('should report a port taken by another program, naming the port, and not share it', async () => {
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const api = await startService('api', { API_PORT: String(port) });
      const { code } = await api.exited;
      expect(code).toBe(1);
      expect(api.stderr()).toContain(`port ${port} on 127.0.0.1 is already in use by another program; tandem api wanted it`);
    } finally {
      blocker.close();
    }
  });

  describe('when the broker goes away while the app runs', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-kafka-fault-'));
    let env: Record<string, string>;
    let api: RunningService;

    beforeAll(async () => {
      const [port, controllerPort] = [await freePort(), await freePort()];
      env = { KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(controllerPort), KAFKA_HOME_DIR: home };
      kafkaCommand('start', env);
      api = await startService('api', { KAFKA_BROKERS: `127.0.0.1:${port}` });
      await waitForReadiness(api, 200);
    }, 180000);

    afterAll(async () => {
      await api?.stop();
      kafkaCommand('stop', env);
      fs.rmSync(home, { recursive: true, force: true });
    }, 60000);

    it('should turn readiness false naming Kafka, keep running, and recover when the broker returns', async () => {
      kafkaCommand('stop', env);
      const down = (await waitForReadiness(api, 503, 30000)) as { checks: Record<string, { status: string; error?: string }> };
      expect(down.checks.kafka.status).toBe('down');
      expect(down.checks.kafka.error).toContain(`cannot reach Kafka at 127.0.0.1:${env.KAFKA_PORT}`);
      expect(down.checks.database.status).toBe('up');
      expect(api.process.exitCode).toBeNull();

      kafkaCommand('start', env);
      await waitForReadiness(api, 200, 60000);
      expect(api.process.exitCode).toBeNull();
    }, 180000);
  });

  describe('when PostgreSQL goes away while the app runs', () => {
    let proxy: TcpProxy;
    let api: RunningService;

    beforeAll(async () => {
      const target = new URL(process.env.DATABASE_URL!);
      proxy = new TcpProxy(await freePort(), { host: target.hostname, port: Number(target.port || 5432) });
      await proxy.open();
      const viaProxy = new URL(target.toString());
      viaProxy.port = String(proxy.port);
      api = await startService('api', { DATABASE_URL: viaProxy.toString() });
      await waitForReadiness(api, 200);
    });

    afterAll(async () => {
      await api?.stop();
      await proxy?.cut();
    });

    it('should turn readiness false naming the database, keep running, and recover when it returns', async () => {
      await proxy.cut();
      const down = (await waitForReadiness(api, 503, 30000)) as { checks: Record<string, { status: string; error?: string }> };
      expect(down.checks.database.status).toBe('down');
      expect(down.checks.kafka.status).toBe('up');
      expect(api.process.exitCode).toBeNull();

      await proxy.open();
      await waitForReadiness(api, 200, 60000);
      expect(api.process.exitCode).toBeNull();
    });
  });
});
