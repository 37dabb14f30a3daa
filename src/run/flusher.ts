import type { Logger } from "../lib/log.ts";
import { formatCount } from "../lib/plural.ts";
import { formatInstant } from "../lib/format.ts";
import type { WindowBatch } from "../window/types.ts";
import type { Windower } from "../window/windower.ts";
import type { Clock, Sink } from "./ports.ts";
import type { Telemetry } from "./telemetry.ts";

/**
 * While events still arrive late, a due window changes with nearly every event: rewriting it
 * at every flush (each second) would be most of the Redis traffic live. Rewrites of windows
 * already written, and checkpoints alone, go out at most this often; new and final windows
 * go out at every flush.
 */
export const REWRITE_INTERVAL_MS = 5000;

/** Hands the windower's due windows and checkpoint to the sink, pacing rewrites. */
export class Flusher {
  /** When the last flush ran (clock time). */
  lastFlush: number;
  private lastRewrite: number;
  private deferred: WindowBatch | null = null;

  constructor(
    private readonly windower: Windower,
    private readonly sink: Sink,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly telemetry?: Telemetry,
  ) {
    this.lastFlush = clock.now();
    this.lastRewrite = this.lastFlush;
  }

  /** Drains the windower into the sink; `final` forces rewrites (the run is ending). */
  flush(final = false): void {
    const now = this.clock.now();
    this.lastFlush = now;
    const rewrite = final || now - this.lastRewrite >= REWRITE_INTERVAL_MS;
    if (rewrite) this.lastRewrite = now;
    const batch = this.windower.drain(rewrite);
    if (batch?.gap !== undefined) {
      const { fromMs, toMs } = batch.gap;
      this.log.warn(`the stream has no history from ${formatInstant(fromMs)} to ${formatInstant(toMs)} (asked from the first, its first event is dated the second; older history is gone): the windows in between are marked incomplete`);
    }
    if (batch !== null && (batch.windows.length > 0 || batch.incomplete.length > 0 || rewrite)) {
      this.sink.write(batch);
      this.telemetry?.recordWindows(batch.windows, batch.incomplete);
      this.deferred = null;
      for (const w of batch.windows) this.log.debug(`window ${formatInstant(w.startMs)} ${w.final ? "final" : "due"}: ${formatCount(w.total, "change")}`);
    } else if (batch !== null) {
      // Only the position moved: keep it for the next rewrite instead of a write of its own.
      this.deferred = batch;
    } else if (this.deferred !== null && rewrite) {
      this.sink.write(this.deferred);
      this.deferred = null;
    }
  }
}
