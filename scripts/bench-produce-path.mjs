#!/usr/bin/env node
// Client CPU per acknowledged Produce request (acks=all) of M webhook-sized events, on a topic of
// 6 partitions like the bench's: through `EventProducer` (kafkajs's producer path around our
// one-pass encoding) against a bare socket (the same encoding, partitioning and framing, the
// answer read and its error codes checked, nothing else: the floor of any client). Requests one
// at a time, as the idempotent producer sends them. Needs `npm run build` and a broker:
// `node scripts/bench-produce-path.mjs BROKER event-producer|raw REQUESTS M [als]` (`als`: inside an
// AsyncLocalStorage context, whose promise hooks the connectors app pays). Run it under the bench lock.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const net = require('node:net');
const crypto = require('node:crypto');
const { AsyncLocalStorage } = require('node:async_hooks');
const [broker, mode, requestsArg, perArg, als] = process.argv.slice(2);
const build = REPO_ROOT;
const messaging = require(path.join(build, 'dist/libs/messaging/src'));
const { encodeProduceRequest } = require(path.join(build, 'dist/libs/messaging/src/produce-request'));
const pino = require('pino');
const REQUESTS = Number(requestsArg), PER = Number(perArg);
const topic = `bench-produce-path-${process.pid}`;
function message(i) {
  const id = crypto.createHash('md5').update(`person-${i}@example.test`).digest('hex');
  const event = { schemaVersion: 1, eventId: crypto.randomUUID(), source: 'bench-marketing', sourceRecordId: id, recordVersion: 1764900000000 + i, kind: 'consent.changed', occurredAt: new Date().toISOString(), identifiers: [{ type: 'email', value: `person-${i}@example.test` }], attributes: { givenName: 'Given', familyName: 'Family' }, consents: [{ channel: 'email', status: 'granted' }] };
  return { key: `bench-marketing:${id}`, value: JSON.stringify(event), headers: { 'x-correlation-id': crypto.randomUUID() } };
}
const batches = Array.from({ length: REQUESTS + 200 }, (_, r) => Array.from({ length: PER }, (_, m) => message(r * PER + m)));
async function main() {
  const logger = pino({ level: 'warn' });
  const kafka = messaging.createKafka({ brokers: [broker], clientId: 'bench-produce-path' }, logger);
  const admin = kafka.admin(); await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 6, replicationFactor: 1 }] });
  try {
    const run = mode === 'raw' ? await rawRunner(broker) : await producerRunner(kafka);
    await run(200, 0); // warm-up
    const cpu = process.cpuUsage(); const t = process.hrtime.bigint();
    await run(REQUESTS, 200);
    const used = process.cpuUsage(cpu); const s = Number(process.hrtime.bigint() - t) / 1e9;
    console.log(`${mode}${als ? ' +ALS' : ''}: ${REQUESTS} requests of ${PER}: ${((used.user + used.system) / REQUESTS).toFixed(1)} µs client CPU per request (user ${(used.user / REQUESTS).toFixed(1)}, sys ${(used.system / REQUESTS).toFixed(1)}), ${(REQUESTS / s).toFixed(0)} requests/s`);
    await run.close();
  } finally { await admin.deleteTopics({ topics: [topic] }).catch(() => {}); await admin.disconnect(); }
}
async function producerRunner(kafka) {
  const producer = new messaging.EventProducer(kafka, [broker]); await producer.connect(10000);
  const run = async (n, from) => { for (let r = 0; r < n; r++) await producer.send(topic, batches[from + r]); };
  run.close = () => producer.disconnect();
  return run;
}
async function rawRunner(address) {
  const [host, port] = address.split(':');
  const socket = net.connect(Number(port), host); await new Promise((r) => socket.once('connect', r));
  socket.setNoDelay(true);
  let pending = null, chunks = [], buffered = 0, correlation = 0;
  socket.on('data', (chunk) => {
    chunks.push(chunk); buffered += chunk.length;
    const all = chunks.length > 1 ? Buffer.concat(chunks) : chunks[0];
    if (all.length >= 4 && all.length >= 4 + all.readInt32BE(0)) {
      const size = all.readInt32BE(0); const rest = all.subarray(4 + size);
      chunks = rest.length ? [rest] : []; buffered = rest.length;
      // error code of the first partition is checked: the answer must be an acknowledgement
      const p = pending; pending = null; p(all.subarray(4, 4 + size));
    } else { chunks = [all]; }
  });
  const clientId = Buffer.from('bench-produce-path');
  const partition = messaging.javaCompatiblePartitioner();
  const meta = [{ partitionId: 0 }, { partitionId: 1 }, { partitionId: 2 }, { partitionId: 3 }, { partitionId: 4 }, { partitionId: 5 }];
  const run = async (n, from) => {
    for (let r = 0; r < n; r++) {
      const byPartition = new Map();
      for (const m of batches[from + r]) {
        const p = partition({ topic, partitionMetadata: meta, message: m });
        (byPartition.get(p) ?? byPartition.set(p, []).get(p)).push(m);
      }
      const body = encodeProduceRequest({ acks: -1, timeout: 30000, topicData: [{ topic, partitions: [...byPartition].map(([partition, messages]) => ({ partition, messages })) }] });
      const head = Buffer.allocUnsafe(4 + 2 + 2 + 4 + 2 + clientId.length);
      let at = head.writeInt32BE(head.length - 4 + body.length, 0);
      at = head.writeInt16BE(0, at); at = head.writeInt16BE(7, at); at = head.writeInt32BE(correlation++, at); at = head.writeInt16BE(clientId.length, at); clientId.copy(head, at);
      const answered = new Promise((resolve) => (pending = resolve));
      socket.cork(); socket.write(head); socket.write(body); socket.uncork();
      const response = await answered;
      if (response.readInt32BE(0) !== correlation - 1) throw new Error('correlation mismatch');
      // every partition's error code must be 0: the answer is an acknowledgement
      let at2 = 4; const topics = response.readInt32BE(at2); at2 += 4;
      for (let t = 0; t < topics; t++) {
        at2 += 2 + response.readInt16BE(at2); const parts = response.readInt32BE(at2); at2 += 4;
        for (let q = 0; q < parts; q++) { const code = response.readInt16BE(at2 + 4); if (code !== 0) throw new Error(`error code ${code}`); at2 += 4 + 2 + 8 + 8 + 8; }
      }
    }
  };
  run.close = async () => socket.end();
  return run;
}
const store = new AsyncLocalStorage();
if (als) store.run({ correlationId: 'x' }, () => main().catch((e) => { console.error(e); process.exit(1); }));
else main().catch((e) => { console.error(e); process.exit(1); });
