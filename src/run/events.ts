/**
 * The hot path: one event from the source → a counted event in a window, or a counted skip.
 * The policy (event/policy.ts) judges each event once; this keeps what needs the run's state:
 * repeats after a reconnect, the windows, the statistics. Runs synchronously for every event.
 */
import type { EventFilter } from "../event/classify.ts";
import type { ViewSpec } from "../event/dimension.ts";
import { CountingPolicy } from "../event/policy.ts";
import { formatDuration } from "../lib/duration.ts";
import { decodeLatin1 } from "../lib/latin1.ts";
import type { Logger } from "../lib/log.ts";
import type { Windower } from "../window/windower.ts";
import type { RunStats } from "./stats.ts";

/**
 * After a reconnect, the server may send again events we already have (ids can repeat at
 * millisecond granularity): the next events are checked against the recent meta.ids, for twice
 * as many events as there are ids remembered.
 */
const DEDUP_WINDOW_FACTOR = 2;

/** What the event counter needs. */
export interface EventCounterOptions {
  windower: Windower;
  stats: RunStats;
  filter: EventFilter;
  /** The views counted, the main one first. */
  views: readonly ViewSpec[];
  maxEventBytes: number;
  log: Logger;
  /** Events dated after this (Unix ms: the clock plus --max-ahead) are skipped as `future`. */
  horizonMs(): number;
  /** Events dated before this (Unix ms) are past the retention: their windows would expire as written. */
  expiredBeforeMs(): number;
  /** How long windows are kept (for the message when events are past it); 0: for ever. */
  retainMs: number;
}

/** Counts events into windows; see the module comment. */
export class EventCounter {
  private readonly policy: CountingPolicy;
  private dedup: Set<string> | null = null;
  private dedupLeft = 0;

  constructor(private readonly options: EventCounterOptions) {
    this.policy = new CountingPolicy({ views: options.views, filter: options.filter, horizonMs: options.horizonMs, expiredBeforeMs: options.expiredBeforeMs });
  }

  /** A new connection: the server may repeat the events just before our position. */
  onConnect(): void {
    const recent = this.options.windower.recentIds();
    this.dedup = recent.length > 0 ? new Set(recent) : null;
    this.dedupLeft = this.dedup === null ? 0 : recent.length * DEDUP_WINDOW_FACTOR;
  }

  /** One `message` event. */
  onMessage(id: string | undefined, data: string, oversized: boolean): void {
    const { stats, windower } = this.options;
    stats.events++;
    if (oversized || data.length > this.options.maxEventBytes) {
      stats.skipped.oversized++;
      return windower.advance(id, undefined);
    }
    const verdict = this.policy.judge(data);
    if (verdict.parsed && this.dedupLeft > 0) {
      this.dedupLeft--;
      // Neither count a repeated event nor move our position back to it.
      if (verdict.metaId !== undefined && this.dedup !== null && this.dedup.has(verdict.metaId)) {
        stats.skipped.duplicate++;
        return;
      }
    }
    if (verdict.skip !== null) {
      if (verdict.skip === "expired") this.warnExpired();
      stats.skipped[verdict.skip]++;
      return windower.advance(id, undefined);
    }
    if (verdict.filtered) {
      // Its time still moves the windows on, so they close on time.
      windower.observe(verdict.timeMs);
      stats.skipped.filtered++;
    } else {
      stats.outcomes[windower.add(verdict.timeMs, verdict.members)]++;
    }
    windower.advance(id, verdict.metaId);
  }

  /** An event of another type: `error` is the server's report, the rest are skipped. */
  onOtherEvent(type: string, data: string): void {
    const stats = this.options.stats;
    if (type === "error") {
      stats.streamErrors++;
      this.options.log.warn(`the stream reported an error: ${decodeLatin1(data.slice(0, 600)).slice(0, 300)}`);
    } else {
      stats.events++;
      stats.skipped["other-event-type"]++;
    }
  }

  private warnExpired(): void {
    if (this.options.stats.skipped.expired === 0) {
      const keep = formatDuration(this.options.retainMs);
      this.options.log.warn(`events older than --retain ${keep} are skipped (counted as expired): their windows would expire as soon as written; run with --retain 0 to keep them`);
    }
  }
}
