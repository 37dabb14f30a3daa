import type { SkipReason } from "../event/classify.ts";
import { formatCount } from "../lib/plural.ts";
import type { AddOutcome } from "../window/types.ts";

/** Counters of one run, logged at the end (and periodically with --verbose). */
export interface RunStats {
  events: number;
  outcomes: Record<AddOutcome, number>;
  skipped: Record<SkipReason, number>;
  streamErrors: number;
  connections: number;
  /** Events the fast field scanner handed to JSON.parse (invalid ones included: JSON.parse rejects them). */
  slowPath: number;
  /** Final windows written (each once), as the sink reports its writes. */
  windowsWritten: number;
}

/** Counters all at zero. */
export function createStats(): RunStats {
  return {
    events: 0,
    outcomes: { counted: 0, late: 0, final: 0, "after-until": 0 },
    skipped: {
      "invalid-json": 0,
      "not-object": 0,
      "no-server-name": 0,
      "bad-server-name": 0,
      "bad-unicode": 0,
      "bad-time": 0,
      future: 0,
      canary: 0,
      oversized: 0,
      duplicate: 0,
      filtered: 0,
      expired: 0,
      "other-event-type": 0,
    },
    streamErrors: 0,
    connections: 0,
    slowPath: 0,
    windowsWritten: 0,
  };
}

/** Counted events in windows a stopped run did not write (see formatStats). */
export interface Unwritten {
  events: number;
  windows: number;
}

/**
 * One line that sums up a run's counters, naming only the non-zero ones. `unwritten`: the
 * counted events that sit in windows not written when the run stopped (the stream had not
 * passed their end); the saved position lies before them, so the next run reads them again.
 * Said so that `counted` is not taken for what the store holds.
 */
export function formatStats(stats: RunStats, unwritten?: Unwritten): string {
  const skipped = Object.entries(stats.skipped)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason} ${n}`);
  const held =
    unwritten && unwritten.events > 0
      ? ` (${unwritten.events} of them in ${unwritten.windows === 1 ? "a window" : `${unwritten.windows} windows`} not written yet: the next run reads them again)`
      : "";
  const parts = [formatCount(stats.events, "event"), `${stats.outcomes.counted} counted${held}`];
  if (stats.outcomes.late > 0) parts.push(`${stats.outcomes.late} late`);
  if (stats.outcomes.final > 0) parts.push(`${stats.outcomes.final} replayed into final windows`);
  if (stats.outcomes["after-until"] > 0) parts.push(`${stats.outcomes["after-until"]} after --until`);
  if (skipped.length > 0) parts.push(`skipped: ${skipped.join(", ")}`);
  if (stats.streamErrors > 0) parts.push(formatCount(stats.streamErrors, "stream error event"));
  if (stats.slowPath > 0) parts.push(`${stats.slowPath} read by the slow path`);
  if (stats.windowsWritten > 0) parts.push(`${formatCount(stats.windowsWritten, "final window")} written`);
  return parts.join("; ");
}

/** What happened between two readings of the same counters (`before` taken earlier): one run's share of a process's counts. */
export function subtractStats(after: RunStats, before: RunStats): RunStats {
  const minus = <K extends string>(a: Record<K, number>, b: Record<K, number>): Record<K, number> => {
    const out = { ...a };
    for (const key of Object.keys(a) as K[]) out[key] = a[key] - b[key];
    return out;
  };
  return {
    events: after.events - before.events,
    outcomes: minus(after.outcomes, before.outcomes),
    skipped: minus(after.skipped, before.skipped),
    streamErrors: after.streamErrors - before.streamErrors,
    connections: after.connections - before.connections,
    slowPath: after.slowPath - before.slowPath,
    windowsWritten: after.windowsWritten - before.windowsWritten,
  };
}
