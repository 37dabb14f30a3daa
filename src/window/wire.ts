/**
 * THE wire form of a window: the one shape a window takes outside the process, wherever it is
 * read: stdout's JSON lines (`--format jsonl`), `top --json`, `read --json` and `tail --json`,
 * and the live page's messages (GET /events, see serve/page/messages.ts). The model stays in
 * types.ts (Maps, milliseconds); this is what it becomes as JSON.
 *
 * One key order and one rule, everywhere: `{start,end,total,final,incomplete,counts,views?}`;
 * every key is always there except `views`, which only several views (--by) add.
 */
import { sortCounts } from "../lib/format.ts";
import type { MemberCounts, WindowSnapshot } from "./types.ts";

/** A window as JSON: times in Unix seconds, counts as objects busiest first. */
export interface WindowWire {
  /** The window's start, Unix seconds. */
  start: number;
  /** The window's end (the next window's start), Unix seconds. */
  end: number;
  /** Events counted in the window (each event counts once in every view). */
  total: number;
  /** False while later events may still change it (a run stopped early, a writer still open to late events). */
  final: boolean;
  /** Known to miss events: it starts before the run's history, or a gap of the stream overlaps it. */
  incomplete: boolean;
  /**
   * The main view's member → count, busiest first, then by name; `{}` for a quiet window.
   * Members that read as array indices (`namespace`'s `0`, `14`) come first, in ascending order,
   * whatever their counts: JavaScript orders an object's keys so. On the live page, in a delta,
   * an open window holds only the members changed since the previous message (see
   * serve/page/messages.ts).
   */
  counts: Record<string, number>;
  /**
   * With several views (--by): every view's counts by its LIST, the main one first (the same as
   * `counts`), each ordered as `counts`; in a delta, the changed members alone, as `counts`.
   * Absent with one view.
   */
  views?: Record<string, Record<string, number>>;
}

/**
 * A window in its wire form. `incomplete` is given apart because the windower hands windows
 * out without it (a batch lists the incomplete starts), and a reader knows it per window.
 */
export function toWire(window: WindowSnapshot, incomplete: boolean): WindowWire {
  const counts = toCountsObject(window.counts);
  const wire: WindowWire = { start: window.startMs / 1000, end: window.endMs / 1000, total: window.total, final: window.final, incomplete, counts };
  const views = window.views;
  if (views !== undefined && views.size > 1) wire.views = Object.fromEntries([...views].map(([name, members]) => [name, members === window.counts ? counts : toCountsObject(members)]));
  return wire;
}

/**
 * Counts as a JSON object, busiest first (an object keeps the order keys were added in, array
 * indices apart). Object.fromEntries defines every key as its own, `__proto__` included.
 */
function toCountsObject(counts: MemberCounts): Record<string, number> {
  return Object.fromEntries(sortCounts(counts));
}
