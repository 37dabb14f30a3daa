/**
 * --give-up-after: a run that neither reads an event nor writes a window for that long (the
 * stream refuses us, Redis is away and reading is held) stops with exit 1 and the last problem
 * it met, instead of retrying forever: what a batch job with --until wants.
 */
import { formatDuration } from "../lib/duration.ts";
import { WikistreamError } from "../lib/error.ts";
import type { Logger } from "../lib/log.ts";

/** Anything that moves: events read, windows written. */
export interface ProgressCounters {
  events(): number;
  writes(): number;
  /** True while waiting is the job (a standby for the lock): it counts as progress. */
  paused(): boolean;
}

/** Watches for progress; `stuck` rejects when there has been none for `afterMs`. */
export class GiveUpWatch {
  /** Rejects with the reason once the run has been stuck too long; never resolves. */
  readonly stuck: Promise<never>;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(afterMs: number, counters: ProgressCounters, log: Logger, now: () => number) {
    let lastEvents = counters.events();
    let lastWrites = counters.writes();
    let lastProgress = now();
    this.stuck = new Promise<never>((_, reject) => {
      // Checked a few times per period; at least every second so short periods stay exact enough.
      this.timer = setInterval(
        () => {
          const events = counters.events();
          const writes = counters.writes();
          if (events !== lastEvents || writes !== lastWrites || counters.paused()) {
            lastEvents = events;
            lastWrites = writes;
            lastProgress = now();
            return;
          }
          if (now() - lastProgress < afterMs) return;
          const problem = log.lastProblem();
          reject(new WikistreamError("stuck", `no event read and no window written for ${formatDuration(afterMs)}${problem ? ` (last problem: ${problem})` : ""}: giving up, as --give-up-after asks`));
        },
        Math.max(50, Math.min(1000, afterMs / 4)),
      );
    });
    this.stuck.catch(() => undefined);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
