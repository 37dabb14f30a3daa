/**
 * Where the history a run holds has holes: a `?since=` the server answered from later than asked
 * (its history there is gone), and runs of windows with no event at all (quiet, or an outage).
 */
import { resolveWindowCeil, resolveWindowStart } from "./align.ts";

/** The longest run of quiet windows handed out at once: a week of 30 s windows. */
const MAX_QUIET_WINDOWS = 20_160;

/**
 * A `?since=` answered with a first event later than this after the time asked means the server
 * no longer had that history (EventStreams silently starts from now): the live stream is never
 * quiet for minutes, and a replay of it has pauses of a minute at most.
 */
export const HISTORY_GAP_MS = 300_000;

/** What the windower knows that a gap's marks depend on. */
export interface GapContext {
  windowMs: number;
  latenessMs: number;
  untilMs: number;
  /** Windows ending at or before this are final and written (complete); -Infinity when none. */
  finalMs: number;
  /** The run's first window (see Windower's origin): earlier windows are not its to mark; null while unknown. */
  originMs: number | null;
}

/** The windows a gap in history leaves missing events, [fromMs, beforeMs), and the gap to report. */
export interface GapMarks {
  fromMs: number;
  beforeMs: number;
  gap: { fromMs: number; toMs: number };
}

/**
 * The first event after a position asked by time: when it is later than that by more than
 * `boundMs`, the server lacked the history in between. Windows from the position to here miss
 * events, and so may later ones: the stream is out of order, and a lost event may be dated up to
 * the lateness after this one's window without having made it late. Final windows are complete,
 * and at most half the longest quiet run is marked, so that every window marked is handed out.
 */
export function resolveGapMarks(askedMs: number, boundMs: number, timeMs: number, context: GapContext): GapMarks | null {
  if (timeMs <= askedMs + boundMs) return null;
  const { windowMs } = context;
  const firstStart = resolveWindowStart(timeMs, windowMs);
  const fromMs = Math.max(resolveWindowStart(askedMs, windowMs), firstStart - (MAX_QUIET_WINDOWS / 2) * windowMs, context.finalMs, context.originMs ?? Number.NEGATIVE_INFINITY);
  const beforeMs = Math.min(firstStart + windowMs + context.latenessMs, resolveWindowCeil(context.untilMs, windowMs));
  return { fromMs, beforeMs, gap: { fromMs: askedMs, toMs: timeMs } };
}

/**
 * The starts of the windows in [fromMs, finalMs) to hand out as quiet (those not `taken`). A run
 * longer than MAX_QUIET_WINDOWS is an outage, not a quiet spell (the stream's history is a week):
 * none, as if not running.
 */
export function listQuietStarts(fromMs: number, finalMs: number, windowMs: number, taken: (startMs: number) => boolean): number[] {
  if ((finalMs - fromMs) / windowMs > MAX_QUIET_WINDOWS) return [];
  const starts: number[] = [];
  for (let startMs = fromMs; startMs + windowMs <= finalMs; startMs += windowMs) if (!taken(startMs)) starts.push(startMs);
  return starts;
}
