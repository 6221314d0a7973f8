import http, { IncomingMessage } from 'node:http';
import net, { AddressInfo } from 'node:net';
import pino from 'pino';
import { WEBHOOK_SIGNATURE_HEADER } from '@tandem/contracts';
import { MarketingWebhookHandler } from './marketing-webhook.handler';
import { MARKETING_WEBHOOKS_PATH, WebhookAnswer } from './marketing-webhooks.route';

const FORM = 'application/x-www-form-urlencoded';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Intake {
  raw: Buffer;
  signature: string | undefined;
  correlationId: string;
  answer(answer: WebhookAnswer): void;
  fail(error: Error): void;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** How many of the body's pieces were written when the answer was complete. */
  piecesSent: number;
}

/** The handler alone on a node:http server; its intake calls are held until the test answers them. */
async function serve() {
  const intakes: Intake[] = [];
  const access: { method: string; route: string; status: number; seconds: number; correlationId: string | undefined }[] = [];
  const logged: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
  const handler = new MarketingWebhookHandler(
    (raw, signature, correlationId) => new Promise<WebhookAnswer>((answer, fail) => intakes.push({ raw, signature, correlationId, answer, fail })),
    (method, route, status, seconds, correlationId) => access.push({ method, route, status, seconds, correlationId }),
    logger,
  );
  const server = http.createServer(handler.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { intakes, access, logged, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** One request written as given (body in `pieces`, `pauseMs` apart), and its answer read back in full. */
function exchange(port: number, head: string, pieces: Buffer[] = [], pauseMs = 0): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let piecesSent = 0;
    socket.on('connect', async () => {
      socket.write(head);
      for (const piece of pieces) {
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
        if (socket.destroyed) return;
        socket.write(piece);
        piecesSent++;
      }
    });
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const text = received.toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      const body = text.slice(end + 4);
      if (Buffer.byteLength(body) < Number(headers['content-length'])) return;
      socket.destroy();
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body, piecesSent });
    });
    socket.on('error', reject);
  });
}

function post(port: number, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const lines = Object.entries({ 'content-type': FORM, 'content-length': String(Buffer.byteLength(body)), ...headers }).map(([k, v]) => `${k}: ${v}\r\n`);
  return exchange(port, `POST ${MARKETING_WEBHOOKS_PATH} HTTP/1.1\r\nhost: x\r\n${lines.join('')}\r\n`, [Buffer.from(body)]);
}

async function untilIntake(intakes: Intake[]): Promise<Intake> {
  for (let turn = 0; turn < 200 && intakes.length === 0; turn++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (intakes.length === 0) throw new Error('the handler passed nothing on');
  return intakes[0];
}

describe('MarketingWebhookHandler', () => {
  it('should pass on the raw body, signature and caller correlation id, and answer only once the intake resolved', async () => {
    const app = await serve();
    const body = 'type=subscribe&data%5Bemail%5D=ann%40example.invalid';
    let answered = false;
    const response = post(app.port, body, { [WEBHOOK_SIGNATURE_HEADER]: 't=1,v1=ab', 'x-correlation-id': 'mailchimp-42' }).then((r) => ((answered = true), r));
    const intake = await untilIntake(app.intakes);
    expect(intake.raw.toString('utf8')).toBe(body);
    expect(intake.signature).toBe('t=1,v1=ab');
    expect(intake.correlationId).toBe('mailchimp-42');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(false);

    intake.answer({ status: 200, body: '{"accepted":1,"deadLettered":0}' });
    const answer = await response;
    expect(answer).toMatchObject({ status: 200, body: '{"accepted":1,"deadLettered":0}' });
    expect(answer.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8', 'x-correlation-id': 'mailchimp-42' });
    expect(app.access).toEqual([{ method: 'POST', route: MARKETING_WEBHOOKS_PATH, status: 200, seconds: expect.any(Number), correlationId: 'mailchimp-42' }]);
    expect(app.access[0].seconds).toBeGreaterThanOrEqual(0.05);
    await app.close();
  });

  it('should give a request a new correlation id when it brings none or one that is not short and printable', async () => {
    const app = await serve();
    const responses = [post(app.port, 'a=1'), post(app.port, 'a=2', { 'x-correlation-id': 'has spaces {and} braces' })];
    for (let turn = 0; turn < 200 && app.intakes.length < 2; turn++) await new Promise((resolve) => setTimeout(resolve, 5));
    for (const intake of app.intakes) intake.answer({ status: 200, body: '{}' });
    const answers = await Promise.all(responses);
    const ids = app.intakes.map((intake) => intake.correlationId);
    expect(ids).toEqual([expect.stringMatching(UUID), expect.stringMatching(UUID)]);
    expect(ids[0]).not.toBe(ids[1]);
    expect(answers.map((a) => a.headers['x-correlation-id']).sort()).toEqual([...ids].sort());
    await app.close();
  });

  it('should send Retry-After with an answer that asks for it (the paused connector)', async () => {
    const app = await serve();
    const response = post(app.port, 'a=1');
    (await untilIntake(app.intakes)).answer({ status: 503, body: '{"statusCode":503}', retryAfter: '60' });
    const answer = await response;
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('60');
    await app.close();
  });

  it('should answer 500 in the error shape with an error id, logged, when Kafka did not acknowledge', async () => {
    const app = await serve();
    const response = post(app.port, 'a=1', { 'x-correlation-id': 'c-500' });
    (await untilIntake(app.intakes)).fail(new Error('broker unreachable'));
    const answer = await response;
    expect(answer.status).toBe(500);
    const body = JSON.parse(answer.body);
    expect(body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal error; quote the errorId to the operators', correlationId: 'c-500', errorId: expect.stringMatching(UUID) });
    expect(answer.body).not.toContain('broker unreachable');
    expect(app.logged).toContainEqual(expect.objectContaining({ msg: 'unhandled error', errorId: body.errorId, correlationId: 'c-500', err: expect.objectContaining({ message: 'broker unreachable' }) }));
    expect(app.access.map((a) => a.status)).toEqual([500]);
    await app.close();
  });

  it('should read a declared body over 256 KB to its end, then answer 413 that the client can read, passing nothing on', async () => {
    const app = await serve();
    const piece = Buffer.alloc(64 * 1024, 'x');
    const pieces = Array.from({ length: 5 }, () => piece);
    const head = `POST ${MARKETING_WEBHOOKS_PATH} HTTP/1.1\r\nhost: x\r\ncontent-type: ${FORM}\r\ncontent-length: ${5 * piece.length}\r\nx-correlation-id: big-1\r\n\r\n`;
    // Sent slowly: answered only after the last piece, not while the client is still writing.
    const answer = await exchange(app.port, head, pieces, 20);
    expect(answer.status).toBe(413);
    expect(answer.piecesSent).toBe(pieces.length);
    expect(JSON.parse(answer.body)).toEqual({ statusCode: 413, error: 'Payload Too Large', message: 'Request body is too large', correlationId: 'big-1' });
    expect(answer.headers.connection).toBe('close');
    expect(app.intakes).toHaveLength(0);
    expect(app.access.map((a) => a.status)).toEqual([413]);
    await app.close();
  });

  it('should answer 413 to a chunked body once it passes 256 KB, and put a smaller chunked body together whole', async () => {
    const app = await serve();
    const chunked = (size: number) => {
      const data = Buffer.alloc(64 * 1024, 'y');
      const chunks: Buffer[] = [];
      for (let sent = 0; sent < size; sent += data.length) chunks.push(Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]));
      chunks.push(Buffer.from('0\r\n\r\n'));
      return chunks;
    };
    const head = `POST ${MARKETING_WEBHOOKS_PATH} HTTP/1.1\r\nhost: x\r\ncontent-type: ${FORM}\r\ntransfer-encoding: chunked\r\n\r\n`;
    expect((await exchange(app.port, head, chunked(320 * 1024), 5)).status).toBe(413);
    expect(app.intakes).toHaveLength(0);

    const response = exchange(app.port, head, chunked(192 * 1024), 5);
    const intake = await untilIntake(app.intakes);
    expect(intake.raw.equals(Buffer.alloc(192 * 1024, 'y'))).toBe(true);
    intake.answer({ status: 200, body: '{}' });
    expect((await response).status).toBe(200);
    await app.close();
  });

  it('should take form-encoded requests only, whatever the case and parameters of the type', () => {
    const request = (type?: string) => ({ headers: type === undefined ? {} : { 'content-type': type } }) as IncomingMessage;
    expect(MarketingWebhookHandler.accepts(request(FORM))).toBe(true);
    expect(MarketingWebhookHandler.accepts(request('Application/X-WWW-Form-Urlencoded; charset=UTF-8'))).toBe(true);
    expect(MarketingWebhookHandler.accepts(request('application/json'))).toBe(false);
    expect(MarketingWebhookHandler.accepts(request('application/x-www-form-urlencoded-extra'))).toBe(false);
    expect(MarketingWebhookHandler.accepts(request())).toBe(false);
  });
});
