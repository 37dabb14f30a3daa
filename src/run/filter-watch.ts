/**
 * A filter that matches nothing (`--type Edit`, `--server 'xx.wiki*'`) would count nothing for
 * hours with no sign. Once every event of a whole window length was filtered out while events
 * flowed, say so once, and again only after some got through in between.
 */
import { formatDuration } from "../lib/duration.ts";
import type { Logger } from "../lib/log.ts";
import { PeriodCounts } from "./period.ts";
import type { RunStats } from "./stats.ts";

function countPassed(stats: RunStats): number {
  return stats.outcomes.counted + stats.outcomes.late + stats.outcomes.final + stats.outcomes["after-until"];
}

/** Watches the share of filtered events; see the module comment. */
export class FilterWatch {
  private readonly period: PeriodCounts<"filtered" | "passed">;
  private said = false;

  constructor(
    private readonly periodMs: number,
    /** The filters as typed, e.g. `--server 'xx.wiki*'`. */
    private readonly filters: string,
    private readonly log: Logger,
    now: number,
  ) {
    this.period = new PeriodCounts(periodMs, (stats) => ({ filtered: stats.skipped.filtered, passed: countPassed(stats) }), now);
  }

  /** Called now and then (each flush) with the run's counters. */
  check(now: number, stats: RunStats): void {
    const grown = this.period.next(now, stats);
    if (grown === null) return;
    if (grown.passed > 0) this.said = false;
    else if (grown.filtered > 0 && !this.said) {
      this.said = true;
      this.log.warn(`all ${grown.filtered} events in the last ${formatDuration(this.periodMs)} were filtered out by ${this.filters}: nothing is counted; check the filter (see wikistream --help)`);
    }
  }
}
