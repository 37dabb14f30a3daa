/** What a prefix holds, and the one-line refusals when it does not fit this run. */
import { formatDuration } from "../../lib/duration.ts";
import { WikistreamError } from "../../lib/error.ts";
import { formatCount } from "../../lib/plural.ts";
import type { RedisClient } from "./client.ts";
import { PRESET_VIEWS, createViewKeys, type RedisKeys } from "./keys.ts";
import { runScript } from "./commands.ts";
import { INSPECT_SCRIPT } from "./scripts.ts";

/** What Redis holds under a prefix, read before the first write. */
export interface PrefixState {
  /** The window length recorded in the layout key, or null when there is none. */
  layoutWindowMs: number | null;
  /** The window length the checkpoint was made with (a prefix written before the layout key existed). */
  checkpointWindowMs: number | null;
  /** How many windows `epochs` lists. */
  epochs: number;
  /** The views the layout key records ("" when none: a prefix from before --by holds server_name's, if anything). */
  layoutViews: string;
}

/** The names Redis gives its types, as a person would say them. */
const TYPE_NAMES: Record<string, string> = { string: "a string", hash: "a hash", zset: "a sorted set", set: "a set", list: "a list", stream: "a stream" };

/** A key of the prefix holds another type than wikistream keeps there. */
export function describeWrongType(key: string, found: string): WikistreamError {
  return new WikistreamError(
    "redis",
    `Redis key '${key}' holds ${TYPE_NAMES[found] ?? `a ${found}`}, which wikistream did not write: delete it or choose another --prefix (nothing was written)`,
  );
}

/** The prefix was made with other windows. */
export function describeLayoutMismatch(prefix: string, heldMs: number, windowMs: number): WikistreamError {
  return new WikistreamError(
    "usage",
    `prefix '${prefix}' holds ${formatDuration(heldMs)} windows, and --window is ${formatDuration(windowMs)}: windows of two lengths cannot share a prefix. Run with --window ${formatDuration(heldMs)}, or give these windows their own --prefix`,
  );
}

/** The prefix holds other views than this run counts (--by). */
export function describeViewsMismatch(prefix: string, held: readonly string[], views: readonly string[]): WikistreamError {
  const flags = (list: readonly string[]) => list.map((view) => `--by ${view}`).join(" ");
  return new WikistreamError(
    "usage",
    `prefix '${prefix}' holds the views ${flags(held)}, and this run counts ${flags(views)}: a prefix keeps one set of views (nothing was written). Run with ${flags(held)}, or give these views their own --prefix`,
  );
}

/**
 * Refuses a run whose --window does not fit what the prefix holds. The layout key decides; a
 * prefix from before it existed is judged by its checkpoint; one with windows but neither is
 * not ours to guess.
 */
export function checkPrefixLayout(state: PrefixState, prefix: string, windowMs: number, views: readonly string[] = PRESET_VIEWS): void {
  const held = state.layoutWindowMs ?? state.checkpointWindowMs;
  const heldViews = state.layoutViews !== "" ? state.layoutViews.split(";") : held !== null || state.epochs > 0 ? PRESET_VIEWS : null;
  if (heldViews !== null && heldViews.join(";") !== views.join(";")) throw describeViewsMismatch(prefix, heldViews, views);
  if (held !== null && held !== windowMs) throw describeLayoutMismatch(prefix, held, windowMs);
  if (held === null && state.epochs > 0) {
    throw new WikistreamError(
      "usage",
      `prefix '${prefix}' lists ${formatCount(state.epochs, "window")} but has no layout or checkpoint key, so their length is unknown: give this run another --prefix`,
    );
  }
}

/** Window keys checked before the first write, at most: a week of 30 s windows. */
const MAX_INSPECTED_WINDOWS = 20_160;

/** What inspectPrefix looks at. */
export interface InspectOptions {
  prefix: string;
  windowMs: number;
  /** The windows the run expects to write (Unix ms, end excluded). */
  range: { fromMs: number; toMs: number } | undefined;
  /** The database scripts select ("" in a Cluster). */
  db: string;
  /** The run appends to the feed (--feed): its key is checked too. */
  feed?: boolean;
  /** The views the run counts, the main one first. */
  views?: readonly string[];
}

/**
 * Before anything is written: every key the run will write is either absent or of the type
 * wikistream keeps there, and the prefix holds windows of this run's length. Throws the refusal.
 */
export async function inspectPrefix(client: RedisClient, keys: RedisKeys, options: InspectOptions): Promise<void> {
  const windows: string[] = [];
  const { range, windowMs } = options;
  const views = options.views ?? PRESET_VIEWS;
  if (range) {
    const first = Math.max(Math.floor(range.fromMs / windowMs), Math.ceil(range.toMs / windowMs) - MAX_INSPECTED_WINDOWS);
    for (const view of views.map((name) => createViewKeys(options.prefix, views, name))) {
      for (let n = first; n * windowMs < range.toMs; n++) windows.push(view.window((n * windowMs) / 1000));
    }
  }
  const reply = (await runScript(client, INSPECT_SCRIPT, [...keys.fixed, ...windows, ...(options.feed ? [keys.feed] : [])], [options.db])) as string[];
  if (reply[0] === "type") throw describeWrongType(reply[1] ?? "?", reply[2] ?? "?");
  const number = (text: string | undefined) => (text === undefined || text === "" ? null : Number(text));
  checkPrefixLayout({ layoutWindowMs: number(reply[1]), checkpointWindowMs: number(reply[3]), epochs: Number(reply[4] ?? 0), layoutViews: reply[5] ?? "" }, options.prefix, windowMs, views);
}
