/**
 * Token buckets in this process's memory, one per key. Right for one replica; with N replicas behind
 * a load balancer each allows the full rate, so the limit must move to a shared store (a Redis
 * `INCR` per window, or the gateway) or be divided by N.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** Seconds to wait before retrying, or 0 when the request may go ahead. */
  take(key: string, perSecond: number, burst = perSecond * 2, now = Date.now()): number {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size > 100_000) this.buckets.clear();
      bucket = { tokens: burst, at: now };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
  }
}
