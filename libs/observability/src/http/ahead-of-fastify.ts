import type { INestApplication } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** A request handler of node:http's own kind. */
export type RawRequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** The requests a handler served ahead of Fastify takes. */
export interface AheadRoute {
  method: string;
  /** The exact path, with or without a query string (a URL holding `%00` is left to Fastify, which refuses it). */
  path: string;
  /** Further conditions (a content type, say); the requests it declines go to Fastify. */
  accepts?(request: IncomingMessage): boolean;
}

/**
 * Serves `route` with `handler` on the app's own HTTP server before Fastify and Nest see the
 * request; every other request goes to Fastify untouched, as does every request once the server
 * is closing (so Fastify's 503 while closing still applies). For a route taking one small request
 * per event at thousands a second, where the framework's per-request pipeline costs several times
 * the route's own work. The handler owns everything the framework would do for it: correlation id,
 * body limits, the error shape, access log and latency histogram (see `createAccessRecorder`).
 *
 * Call it once the app is created (Fastify has made its server) and before it listens. Only the
 * server Nest hands out is covered: with HOST=localhost, Fastify's second binding (the other
 * address family) serves the route through the framework, with the same answers.
 */
export function serveAheadOfFastify(app: INestApplication, route: AheadRoute, handler: RawRequestHandler): void {
  const server = app.getHttpServer() as Server;
  const framework = server.listeners('request') as RawRequestHandler[];
  if (framework.length !== 1) throw new Error(`serveAheadOfFastify expects Fastify's one request listener, found ${framework.length}`);
  const fastify = framework[0];
  const { method, path } = route;
  const withQuery = `${path}?`;
  server.removeListener('request', fastify);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const url = request.url ?? '';
    const matches =
      request.method === method && (url === path || (url.startsWith(withQuery) && !url.includes('%00'))) && server.listening && (route.accepts?.(request) ?? true);
    if (matches) handler(request, response);
    else fastify(request, response);
  });
}
