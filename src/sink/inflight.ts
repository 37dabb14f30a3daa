/**
 * The write on its way to the store. Its windows count as unwritten until it is answered (a stop
 * must not say "0 windows unwritten" while one may still land); an answer that takes longer
 * than {@link SLOW_WRITE_MS} is said once, and again when it comes.
 */
import type { Logger } from "../lib/log.ts";
import { formatSeconds } from "../lib/format.ts";
import { formatCount } from "../lib/plural.ts";
import type { SinkObserver } from "../run/ports.ts";
import type { WriteUnit } from "./queue.ts";

/** How long a write may wait for its answer before it is said (a hung or sleeping store). */
const SLOW_WRITE_MS = 10_000;

interface Sent {
  starts: readonly number[];
  /** The write's name in the stop line (Redis: the sequence number it leaves when it lands). */
  name: string;
  sentAt: number;
  slow: boolean;
  timer: ReturnType<typeof setTimeout>;
}

/** The one write in flight, if any; see the module comment. */
export class InFlightWrite {
  private sent: Sent | undefined;

  /** `store` names where writes go in messages ("Redis at redis://127.0.0.1:6379"). */
  constructor(private readonly options: { log: Logger; store: string; observer?: SinkObserver }) {}

  /** `unit` is sent as write `name`. */
  begin(unit: WriteUnit, name: string): void {
    const sent: Sent = {
      starts: unit.windows.map((w) => w.startMs),
      name,
      sentAt: performance.now(),
      slow: false,
      timer: setTimeout(() => {
        sent.slow = true;
        this.options.log.warn(`a write to ${this.options.store} has had no answer for ${SLOW_WRITE_MS / 1000}s (${formatCount(sent.starts.length, "window")}); waiting for it`);
        this.options.observer?.onSlowWrite?.(Date.now() - SLOW_WRITE_MS);
      }, SLOW_WRITE_MS),
    };
    // A stop must not wait for this timer: the stop line names the write instead.
    sent.timer.unref();
    this.sent = sent;
  }

  /** Its answer came, or the connection broke: what became of it, for the line after a slow one. */
  end(outcome: "landed" | "was refused" | "failed"): void {
    const sent = this.sent;
    if (sent === undefined) return;
    this.sent = undefined;
    clearTimeout(sent.timer);
    if (!sent.slow) return;
    const line = `the write to ${this.options.store} ${outcome} after ${formatSeconds(performance.now() - sent.sentAt)}`;
    if (outcome === "landed") this.options.log.info(line);
    else this.options.log.warn(line);
    this.options.observer?.onSlowWrite?.(null);
  }

  /** Windows of the write in flight that `isQueued` does not count already. */
  countOutside(isQueued: (startMs: number) => boolean): number {
    return this.sent === undefined ? 0 : this.sent.starts.filter((start) => !isQueued(start)).length;
  }

  /** The write in flight for the stop line ("3 of them in write 7, sent 1.6s ago and not answered yet"), or undefined. */
  describe(): string | undefined {
    const sent = this.sent;
    if (sent === undefined) return undefined;
    const which = sent.starts.length === 0 ? `none of them in write ${sent.name} (the checkpoint only)` : `${sent.starts.length} of them in write ${sent.name}`;
    return `${which}, sent ${formatSeconds(performance.now() - sent.sentAt)} ago and not answered yet`;
  }
}
