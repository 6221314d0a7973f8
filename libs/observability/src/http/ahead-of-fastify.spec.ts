import type { INestApplication } from '@nestjs/common';
import Fastify, { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveAheadOfFastify } from './ahead-of-fastify';

/** Fastify with one route, the handler ahead of it for POST /hook with `x-lean: yes`. */
async function serve() {
  const fastify: FastifyInstance = Fastify();
  fastify.all('/hook', async () => ({ by: 'fastify' }));
  fastify.all('/hook/', async () => ({ by: 'fastify' }));
  const app = { getHttpServer: () => fastify.server } as unknown as INestApplication;
  serveAheadOfFastify(app, { method: 'POST', path: '/hook', accepts: (request) => request.headers['x-lean'] === 'yes' }, (_request: IncomingMessage, response: ServerResponse) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"by":"lean"}');
  });
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`;
  const by = async (method: string, path: string, lean = true) => {
    const response = await fetch(`${url}${path}`, { method, headers: lean ? { 'x-lean': 'yes' } : {}, body: method === 'POST' ? 'a=1' : undefined });
    return response.status === 200 ? ((await response.json()) as { by: string }).by : response.status;
  };
  return { fastify, by };
}

describe('serveAheadOfFastify', () => {
  it('should give the handler the one method and path it takes, with or without a query, and Fastify everything else', async () => {
    const { fastify, by } = await serve();
    expect(await by('POST', '/hook')).toBe('lean');
    expect(await by('POST', '/hook?source=list-1')).toBe('lean');
    expect(await by('GET', '/hook')).toBe('fastify');
    expect(await by('PUT', '/hook')).toBe('fastify');
    expect(await by('POST', '/hook/')).toBe('fastify');
    expect(await by('POST', '/hooks')).toBe(404);
    expect(await by('POST', '/hook?x=%00')).toBe('fastify');
    // Declined by `accepts`: Fastify answers.
    expect(await by('POST', '/hook', false)).toBe('fastify');
    await fastify.close();
  });

  it('should refuse an app whose server does not have exactly one request listener', () => {
    const server = { listeners: () => [] };
    const app = { getHttpServer: () => server } as unknown as INestApplication;
    expect(() => serveAheadOfFastify(app, { method: 'POST', path: '/hook' }, () => undefined)).toThrow(/one request listener, found 0/);
  });
});
