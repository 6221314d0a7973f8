import { setTimeout as sleep } from 'node:timers/promises';

/** Retries `attempt` with exponential backoff until it succeeds or `timeoutMs` has passed. */
export async function retryUntil<T>(timeoutMs: number, attempt: () => Promise<T>, onGiveUp: (lastError: unknown) => Error): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 250;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() + delay > deadline) throw onGiveUp(error);
      await sleep(delay);
      delay = Math.min(delay * 2, 5000);
    }
  }
}
