import net from 'node:net';

/**
 * A TCP port on 127.0.0.1 that nothing listens on now: the system's pick for port 0. For tests and
 * benchmarks that start apps on ports of their own (a fixed one could be held by any program, or
 * by a client socket when it lies in the ephemeral range).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
