/**
 * What the run's watchers (filter-watch.ts, future-watch.ts) share: counters read at the start
 * of a period, and once a whole period has passed, how much each grew over it. Checked at each
 * flush, so a period ends at the first check after its length, and the next starts there.
 */
import type { RunStats } from "./stats.ts";

/** The growth of each counter `read` names, period by period. */
export class PeriodCounts<Name extends string> {
  private start: number;
  /** The counters at the period's start; undefined for the first, which counts from zero. */
  private atStart: Record<Name, number> | undefined;

  constructor(
    private readonly periodMs: number,
    private readonly read: (stats: RunStats) => Record<Name, number>,
    now: number,
  ) {
    this.start = now;
  }

  /** How much each counter grew over the period just ended, or null while it has not. */
  next(now: number, stats: RunStats): Record<Name, number> | null {
    if (now - this.start < this.periodMs) return null;
    const current = this.read(stats);
    const grown = { ...current };
    for (const name in grown) grown[name] -= this.atStart?.[name] ?? 0;
    this.start = now;
    this.atStart = current;
    return grown;
  }
}
