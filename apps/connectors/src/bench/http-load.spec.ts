import http from 'node:http';
import { AddressInfo } from 'node:net';
import { LoadRequest, prepareLoad, sendLoad } from './http-load';

describe('sendLoad', () => {
  it('should send each request once over keep-alive connections and count the answers by status', async () => {
    const received: string[] = [];
    const sockets = new Set<unknown>();
    const server = http.createServer((request, response) => {
      sockets.add(request.socket);
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        received.push(body);
        // Answers of different lengths, one of them split over two writes.
        const refused = body.endsWith('7');
        const answer = refused ? JSON.stringify({ statusCode: 401, message: 'signature does not match' }) : '{"accepted":1}';
        response.writeHead(refused ? 401 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
        if (refused) response.end(answer);
        else {
          response.write('{"accepted":');
          response.end('1}');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const requests: LoadRequest[] = Array.from({ length: 60 }, (_, i) => ({ method: 'POST', path: '/v1/webhooks/marketing', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `n=${i}` }));
    let answered = 0;
    const result = await sendLoad(prepareLoad(url, requests), 50, 4, (n) => (answered = n));
    await new Promise((resolve) => server.close(resolve));

    expect(received.sort()).toEqual(requests.slice(0, 50).map((r) => r.body).sort());
    expect(result.statuses).toEqual(new Map([[200, 45], [401, 5]]));
    expect(result.errors).toBe(0);
    expect(answered).toBe(50);
    expect(sockets.size).toBe(4);
  });
});
