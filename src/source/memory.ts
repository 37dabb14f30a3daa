/**
 * How the reading loop keeps memory bounded while catching up. Reading history at full speed
 * makes hundreds of MB/s of short-lived strings; left to its own pace the collector lets the
 * heap swell well past what is live. Forcing a full collection costs little in itself, but the
 * memory it frees goes back to the system and is faulted in again: done every 8 MiB (0.1.0)
 * that doubled the time of a catch-up. So the guard looks at the resident set now and then and
 * collects only when it is above a ceiling; live (a trickle) it never gets there.
 */

/** When to look, and what is too much. */
export interface MemoryPolicy {
  /** Look at the resident set after every this many bytes read (0: never look). */
  checkEveryBytes: number;
  /** Collect when the resident set is above this many bytes (0: at every look). */
  ceilingBytes: number;
}

/** Counts bytes read and runs a full collection when the policy says so. */
export class MemoryGuard {
  private sinceCheck = 0;
  private threshold: number;
  /** Full collections run so far. */
  collections = 0;

  constructor(
    private readonly policy: MemoryPolicy,
    private readonly readRss: () => number = () => process.memoryUsage.rss(),
    private readonly collect: () => void = () => Bun.gc(true),
  ) {
    this.threshold = policy.ceilingBytes;
  }

  /** Called with the size of every chunk read. */
  onBytes(bytes: number): void {
    if (this.policy.checkEveryBytes <= 0) return;
    this.sinceCheck += bytes;
    if (this.sinceCheck < this.policy.checkEveryBytes) return;
    this.sinceCheck = 0;
    if (this.policy.ceilingBytes > 0 && this.readRss() <= this.threshold) return;
    this.collect();
    this.collections++;
    if (this.policy.ceilingBytes <= 0) return;
    // What a collection cannot give back is not ours to chase: when the resident set stays
    // above the ceiling, the next collection waits until it has grown by a quarter more.
    this.threshold = Math.max(this.policy.ceilingBytes, this.readRss() * 1.25);
  }
}
