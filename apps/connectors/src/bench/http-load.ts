import net from 'node:net';

/** One HTTP/1.1 request, as the load generator sends it. */
export interface LoadRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface LoadResult {
  /** Answers by status code. */
  statuses: Map<number, number>;
  /** Connections that failed (refused, reset, an answer that could not be read). */
  errors: number;
  /** Milliseconds from a request's write to its answer's last byte. */
  latency: { p50: number; p99: number };
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * A light load generator for the benchmark: `amount` requests over `connections` keep-alive
 * connections, each connection sending its next request when the previous one is answered (as a
 * webhook sender does; no pipelining). The requests are written ahead as bytes, and an answer is read
 * only as far as its status line and Content-Length, so the generator takes little of the CPU it
 * shares with the app (autocannon took about a third as much as the app, per request).
 * `onAnswer` runs after each answer, with the number answered so far.
 */
export async function sendLoad(load: PreparedLoad, amount: number, connections: number, onAnswer: (answered: number) => void = () => undefined): Promise<LoadResult> {
  const { hostname, port, wire } = load;
  const statuses = new Map<number, number>();
  const latencies: number[] = [];
  let sent = 0;
  let answered = 0;
  let errors = 0;

  const connection = () =>
    new Promise<void>((resolve) => {
      const socket = net.connect(Number(port), hostname);
      socket.setNoDelay(true);
      let pending: Buffer = Buffer.alloc(0);
      let writtenAt = 0n;
      const sendNext = () => {
        if (sent >= amount) return void socket.end();
        writtenAt = process.hrtime.bigint();
        socket.write(wire[sent++ % wire.length]);
      };
      socket.on('connect', sendNext);
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        for (;;) {
          const answer = readAnswer(pending);
          if (!answer) return;
          if (answer === 'malformed') return void socket.destroy(new Error('an answer that is not HTTP/1.1'));
          pending = pending.subarray(answer.length);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          latencies.push(Number(process.hrtime.bigint() - writtenAt) / 1e6);
          onAnswer(++answered);
          sendNext();
        }
      });
      socket.on('error', () => errors++);
      socket.on('close', () => resolve());
    });

  await Promise.all(Array.from({ length: Math.min(connections, amount) }, connection));
  latencies.sort((a, b) => a - b);
  const at = (q: number) => (latencies.length ? Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]) : 0);
  return { statuses, errors, latency: { p50: at(0.5), p99: at(0.99) } };
}

/** Requests written out as bytes for {@link sendLoad}, before the clock starts. */
export interface PreparedLoad {
  hostname: string;
  port: string;
  wire: Buffer[];
}

export function prepareLoad(url: string, requests: LoadRequest[]): PreparedLoad {
  const { hostname, port } = new URL(url);
  return { hostname, port, wire: requests.map((request) => encodeRequest(request, `${hostname}:${port}`)) };
}

function encodeRequest(request: LoadRequest, host: string): Buffer {
  const body = Buffer.from(request.body);
  const headers = Object.entries({ host, ...request.headers, 'content-length': String(body.length) })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return Buffer.concat([Buffer.from(`${request.method} ${request.path} HTTP/1.1\r\n${headers}\r\n`), body]);
}

/** The first whole answer in `bytes` (its status and length in bytes), null if not all there yet. */
function readAnswer(bytes: Buffer): { status: number; length: number } | 'malformed' | null {
  const headerEnd = bytes.indexOf(HEADER_END);
  if (headerEnd === -1) return null;
  const head = bytes.toString('latin1', 0, headerEnd);
  const status = Number(head.slice(9, 12));
  if (!head.startsWith('HTTP/1.1 ') || !Number.isInteger(status)) return 'malformed';
  const declared = /\r\ncontent-length: *(\d+)/i.exec(head);
  // The app answers every request with a Content-Length (no chunked bodies).
  if (!declared) return 'malformed';
  const length = headerEnd + HEADER_END.length + Number(declared[1]);
  return bytes.length >= length ? { status, length } : null;
}
