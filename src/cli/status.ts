/**
 * The status line on a terminal: one line on stderr, redrawn once a second, saying that the run
 * is alive between `connected to …` and the first window a minute later. stdout and stderr are
 * often the same terminal: whatever else is printed there (a log line, a window on stdout) is
 * printed between `hold` (the line is cleared, and not redrawn meanwhile) and `release` (it is
 * redrawn), so that nothing is ever glued onto it.
 */
import { formatAge } from "../lib/format.ts";
import { formatCount } from "../lib/plural.ts";
import type { Telemetry } from "../run/telemetry.ts";

/** How often the line is redrawn (and the telemetry's rate sampled). */
export const STATUS_INTERVAL_MS = 1000;

/** The status as one line: events/s, lag, open windows, the last write, reconnects, and what it waits for. */
export function formatStatus(telemetry: Telemetry, now: number): string {
  const lag = telemetry.lagSeconds();
  const reconnects = Object.values(telemetry.reconnects).reduce((a, b) => a + b, 0);
  const parts = [
    `${Math.round(telemetry.eventsPerSecond())} events/s`,
    lag === null ? "no event yet" : `lag ${formatAge(lag * 1000)}`,
    `${formatCount(telemetry.openWindows().length, "window")} open`,
    telemetry.lastWriteAt === null ? "nothing written yet" : `last write ${formatAge(now - telemetry.lastWriteAt)} ago`,
    formatCount(reconnects, "reconnect"),
  ];
  const waiting = telemetry.waitingFor();
  if (waiting === "standby") parts.push("standing by for the lock");
  else if (waiting === "redis") parts.push("waiting for Redis");
  else if (waiting === "backoff") parts.push("waiting to reconnect");
  else if (waiting === "backpressure") parts.push("reading paused: writes are behind");
  return parts.join(" · ");
}

/** Draws the status line; see the module comment. */
export class StatusLine {
  private shown = false;
  /** Prints under way on the terminal: the line stays off until the last is done. */
  private holds = 0;
  private stopped = false;

  constructor(
    private readonly telemetry: Telemetry,
    private readonly write: (text: string) => void,
    private readonly columns: () => number,
    private readonly color: boolean,
  ) {}

  /** Redraws the line now (watch.ts's one-second tick calls it), unless something is being printed. */
  draw(): void {
    if (this.holds > 0 || this.stopped) return;
    const width = Math.max(20, this.columns() - 1);
    let line = formatStatus(this.telemetry, Date.now());
    if (line.length > width) line = `${line.slice(0, width - 1)}…`;
    this.write(`\r\x1b[K${this.color ? `\x1b[2m${line}\x1b[22m` : line}`);
    this.shown = true;
  }

  /** Takes the line off the screen before something else is printed, until `release`. */
  hold(): void {
    this.holds++;
    if (!this.shown) return;
    this.write("\r\x1b[K");
    this.shown = false;
  }

  /** That print is done: the line comes back once no other is under way. */
  release(): void {
    this.holds = Math.max(0, this.holds - 1);
    if (this.holds === 0) this.draw();
  }

  /** Takes the line away for good, at the end of the run. */
  stop(): void {
    this.hold();
    this.stopped = true;
  }
}
