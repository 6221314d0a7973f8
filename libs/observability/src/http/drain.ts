import type { Readable } from 'node:stream';

/** A refused body up to this size is read and dropped before the answer, so the client can read it; a larger one is cut off. */
export const DRAIN_LIMIT = 16 * 1024 * 1024;

/**
 * Reads the rest of `body` and drops it, then calls `then` once (at its end, close or error).
 * Answering while the client was still sending made the server close the connection under it, and
 * about half of the clients saw a reset (EPIPE) instead of the answer.
 */
export function discardBody(body: Readable, then: () => void): void {
  let called = false;
  const once = () => {
    if (called) return;
    called = true;
    then();
  };
  body.on('end', once);
  body.on('close', once);
  body.on('error', once);
  body.resume();
}
