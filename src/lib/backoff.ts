/** How retries space out: the first wait and the longest. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * The one backoff formula of wikistream, for the stream and for Redis alike: attempt 0 waits
 * nothing; attempt n ≥ 1 waits a uniformly random time in [c/2, c] where
 * c = min(maxMs, baseMs · 2^(n−1)). "Full" jitter would let some waits be near zero (a retry
 * storm when many clients lose one server together); half of it keeps them apart while the
 * expected wait still doubles each time.
 */
export function resolveBackoff(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  if (attempt <= 0) return 0;
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
