import http from 'node:http';
import https from 'node:https';

/** The source cannot answer right now (429, 5xx, network): retry later, at `retryAfterMs` if it said. */
export class SourceUnavailableError extends Error {
  override readonly name = 'SourceUnavailableError';
  constructor(message: string, readonly status: number | null, readonly retryAfterMs: number | null) {
    super(message);
  }
}

interface Answer {
  status: number;
  retryAfter: string | null;
  body: Buffer;
}

/**
 * GETs JSON from a polled source's REST API on node:http with kept-alive connections (the WHATWG
 * `fetch` cost about as much CPU per record as mapping and producing it together). Every failure is
 * a {@link SourceUnavailableError} whose message starts with `label`: 429 and 5xx with the
 * Retry-After they sent, other non-2xx as refusals (a wrong setting, retried with backoff so a fixed
 * one recovers by itself), an answer that is not JSON, no answer within `timeoutMs`.
 */
export class SourceHttp {
  private readonly agent: http.Agent;

  constructor(private readonly label: string, private readonly base: URL, private readonly timeoutMs = 15000) {
    // A connector asks for the next page while it writes this one: a couple of connections do.
    this.agent = base.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets: 4 }) : new http.Agent({ keepAlive: true, maxSockets: 4 });
  }

  async getJson(url: URL, headers: Record<string, string>): Promise<unknown> {
    let answer: Answer;
    try {
      answer = await this.get(url, headers);
    } catch (error) {
      throw new SourceUnavailableError(`${this.label} unreachable: ${(error as Error).message}`, null, null);
    }
    if (answer.status === 429 || answer.status >= 500) {
      throw new SourceUnavailableError(`${this.label} answered ${answer.status}`, answer.status, retryAfterMs(answer.retryAfter));
    }
    if (answer.status < 200 || answer.status >= 300) throw new SourceUnavailableError(`${this.label} refused the call with ${answer.status}`, answer.status, null);
    try {
      return JSON.parse(answer.body.toString('utf8'));
    } catch {
      throw new SourceUnavailableError(`${this.label} answer is not JSON`, answer.status, null);
    }
  }

  private get(url: URL, headers: Record<string, string>): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      const request = (url.protocol === 'https:' ? https : http).get(url, { agent: this.agent, headers: { accept: 'application/json', ...headers } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          clearTimeout(timer);
          const retryAfter = response.headers['retry-after'];
          resolve({ status: response.statusCode ?? 0, retryAfter: typeof retryAfter === 'string' ? retryAfter : null, body: Buffer.concat(chunks) });
        });
      });
      const timer = setTimeout(() => request.destroy(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      request.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }
}

/** `Retry-After` as seconds or an HTTP date, in ms; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** The longest Retry-After honoured; a source asking for more is asked again after this. */
const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

/**
 * How long a polling connector waits after a failed step: what the source asked for (Retry-After,
 * up to 10 min), else exponential (500 ms, 1 s, 2 s…) up to `maxMs` with jitter, growing with the failures
 * in a row. `succeeded()` starts the count over.
 */
export class SourceBackoff {
  private failures = 0;

  constructor(private readonly maxMs: number, private readonly random: () => number = Math.random) {}

  /** Counts a failure and answers the wait before the next try, in ms. */
  failed(error: unknown): number {
    this.failures++;
    if (error instanceof SourceUnavailableError && error.retryAfterMs !== null) return Math.min(error.retryAfterMs, MAX_RETRY_AFTER_MS);
    const exponential = Math.min(this.maxMs, 250 * 2 ** Math.min(this.failures, 16));
    return Math.round(exponential / 2 + this.random() * (exponential / 2));
  }

  succeeded(): void {
    this.failures = 0;
  }
}
