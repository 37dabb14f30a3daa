/**
 * Events dated more than --max-ahead past this host's clock are skipped as `future`. One now and
 * then is a broken event; when they keep coming (in two periods running, or every event of a
 * period), this host's clock is likely slow: say so once, and again only after a period without
 * any. While every event of the last period was one, the run is not ready (/readyz).
 */
import { formatDuration } from "../lib/duration.ts";
import type { Logger } from "../lib/log.ts";
import { PeriodCounts } from "./period.ts";
import type { RunStats } from "./stats.ts";

/** Watches the share of future events; see the module comment. */
export class FutureWatch {
  private readonly period: PeriodCounts<"events" | "future">;
  private previousHadFuture = false;
  private said = false;
  /** Why the run is not ready, while every event of the last period was dropped as future; null otherwise. */
  droppingAll: string | null = null;

  constructor(
    private readonly periodMs: number,
    private readonly maxAheadMs: number,
    private readonly log: Logger,
    now: number,
  ) {
    this.period = new PeriodCounts(periodMs, (stats) => ({ events: stats.events, future: stats.skipped.future }), now);
  }

  /** Called now and then (each flush) with the run's counters. */
  check(now: number, stats: RunStats): void {
    const grown = this.period.next(now, stats);
    if (grown === null) return;
    const { events, future } = grown;
    const ahead = `dated more than --max-ahead ${formatDuration(this.maxAheadMs)} past this host's clock`;
    const all = future > 0 && future === events;
    if (events > 0) this.droppingAll = all ? `every event in the last ${formatDuration(this.periodMs)} was ${ahead}` : null;
    if (future === 0) this.said = false;
    else if (!this.said && (all || this.previousHadFuture)) {
      this.said = true;
      const share = all ? `all ${future} events` : `${future} of ${events} events`;
      this.log.warn(`${share} in the last ${formatDuration(this.periodMs)} were ${ahead}: they are skipped (counted as future); check this host's clock (timedatectl), or raise --max-ahead`);
    }
    this.previousHadFuture = future > 0;
  }
}
