import { BadRequestException, INestApplication, PayloadTooLargeException } from '@nestjs/common';
import type { FastifyBodyParser, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { CORRELATION_HEADER, currentCorrelationId, withCorrelation } from '../logging/correlation';
import type { Metrics } from '../metrics/metrics';
import { createAccessRecorder } from './access-log';
import { discardBody, DRAIN_LIMIT } from './drain';

/** Options of a service served by Fastify. */
export interface FastifyHttpOptions {
  /** Largest JSON body accepted, in bytes. */
  jsonBodyLimit: number;
  logger: Logger;
  metrics: Metrics;
}

/** `\u0000` in JSON text, not preceded by an escaped backslash. */
const ESCAPED_NUL = /(?:^|[^\\])(?:\\\\)*\\u0000/;

/**
 * Deepest nesting of arrays and objects a JSON body may have. Validation walks a body recursively
 * (Nest's ValidationPipe strips prototype keys level by level): a body nested some thousands deep
 * overflowed the stack there, a 500. No request of these services comes near this.
 */
export const JSON_MAX_DEPTH = 64;

/** Largest body a request may declare for each content type this app parses; the rest wait for their parser's own limit. */
const declaredLimits = new WeakMap<FastifyInstance, Map<string, number>>();

/**
 * The Fastify side of what every service gets: a correlation id before anything else (so even a
 * refused body's error carries it), body parsers whose failures say what is wrong in plain words,
 * and one access-log line and one latency observation per request. Only JSON is parsed unless the
 * app adds a parser (`addBodyParser`); other bodies are refused with 415.
 */
export function applyFastifyDefaults(app: INestApplication, options: FastifyHttpOptions): void {
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  declaredLimits.set(fastify, new Map());
  fastify.removeAllContentTypeParsers();

  fastify.addHook('onRequest', (request, reply, done) => {
    const incoming = request.headers[CORRELATION_HEADER];
    withCorrelation(typeof incoming === 'string' ? incoming : undefined, () => {
      const correlationId = currentCorrelationId()!;
      request.headers[CORRELATION_HEADER] = correlationId;
      // On the raw response: kept by Fastify's own replies and by routes that stream to the socket.
      reply.raw.setHeader(CORRELATION_HEADER, correlationId);
      // PostgreSQL text cannot hold NUL: refused here, once, rather than failing a query later as a 500.
      if (request.url.includes('%00')) return done(new BadRequestException('the request URL holds a NUL character (%00), which no parameter may hold'));
      done();
    });
  });

  // A declared length over the limit is refused, with the limit in the message, before the body is
  // parsed. The body is read and dropped first (up to DRAIN_LIMIT): answering while the client was
  // still sending made the server close the connection under it, and about half of the clients
  // saw a reset (EPIPE) instead of the 413.
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    const length = Number(request.headers['content-length']);
    const limit = limitFor(fastify, request.headers['content-type']);
    if (limit === undefined || !(length > limit)) return done(null, payload);
    const refusal = new PayloadTooLargeException(`Request body is larger than the limit of ${limit} bytes`);
    if (length > DRAIN_LIMIT) return done(refusal);
    discardBody(payload, () => done(refusal));
  });

  // Fastify's own parser: it refuses `__proto__` and `constructor.prototype` keys as well.
  const json = fastify.getDefaultJsonParser('error', 'error');
  addBodyParser(app, 'application/json', options.jsonBodyLimit, (body) => {
    if (body.trim() === '') return {};
    const parsed = parseJson(json, body);
    if (jsonDepth(body) > JSON_MAX_DEPTH) throw new BadRequestException(`Request body is nested deeper than ${JSON_MAX_DEPTH} levels`);
    if (ESCAPED_NUL.test(body)) throw new BadRequestException('Request body holds a NUL character (\\u0000), which no field may hold');
    return parsed;
  });

  const recordAccess = createAccessRecorder(options.logger, options.metrics);
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done) => {
    const correlationId = request.headers[CORRELATION_HEADER];
    recordAccess(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000, typeof correlationId === 'string' ? correlationId : undefined);
    done();
  });
}

/**
 * Parses bodies of `contentType` up to `limit` bytes with `parse`; a thrown HttpException is the
 * answer, any other error a 400 naming the content type.
 */
export function addBodyParser(app: INestApplication, contentType: string, limit: number, parse: (body: string) => unknown): void {
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  declaredLimits.get(fastify)?.set(contentType, limit);
  fastify.addContentTypeParser(contentType, { parseAs: 'string', bodyLimit: limit }, (_request, body, done) => {
    try {
      done(null, parse(body as string));
    } catch (error) {
      done(error instanceof Error && 'getStatus' in error ? error : new BadRequestException(`Request body is not valid ${contentType}`), undefined);
    }
  });
}

/**
 * Lets bodies of these content types through unread: the route reads `request.raw` as a stream
 * (large uploads such as recipient lists) and bounds it itself.
 */
export function addStreamedBody(app: INestApplication, contentTypes: string[]): void {
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  fastify.addContentTypeParser(contentTypes, (_request, _payload, done) => done(null, undefined));
}

function limitFor(fastify: FastifyInstance, contentType: string | undefined): number | undefined {
  if (!contentType) return undefined;
  const type = contentType.split(';')[0].trim().toLowerCase();
  return declaredLimits.get(fastify)?.get(type);
}

// The parser answers synchronously, through its callback.
function parseJson(parser: FastifyBodyParser<string>, body: string): unknown {
  let result: unknown;
  let failure: Error | null = null;
  parser(undefined as never, body, (error, value) => {
    failure = error;
    result = value;
  });
  if (failure) {
    // The parser says the same for both; a body that is JSON apart from a poisoning key is told so.
    const poisoned = /"(__proto__|constructor)"\s*:/.test(body) && isJson(body);
    throw new BadRequestException(poisoned ? 'Request body holds a forbidden property (__proto__ or constructor.prototype)' : 'Request body is not valid JSON');
  }
  return result;
}

/** The deepest nesting of arrays and objects in valid JSON text (brackets inside strings do not count). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

function isJson(body: string): boolean {
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}
