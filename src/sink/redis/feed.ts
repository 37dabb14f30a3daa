/**
 * The feed (--feed): a Redis Stream, `{prefix}feed`, with an entry per final window, its ID
 * `<start in ms>-0`, appended by the write script (write-script.ts) in the same script as the
 * window's final write. What an entry holds is declared here, for the writer and the readers:
 * `start`, `end` (Unix seconds), `total`, `incomplete` (0/1), then one field per view, each a
 * JSON object: `counts` for the main view, then `by:LIST` for each further view (--by).
 */
import type { WindowSnapshot, WindowView } from "../../window/types.ts";
import { toWire } from "../../window/wire.ts";

/** The field of the main view: member → count, busiest first, the wire form's `counts` (window/wire.ts). */
const COUNTS_FIELD = "counts";

/** The field of a further view (--by LIST): `by:LIST`. */
function formatViewField(view: string): string {
  return `by:${view}`;
}

/**
 * The view fields of one window's entry, in the order they are written: the main view's
 * `counts`, then each further view's; each JSON object as the wire form writes it.
 */
export function listFeedViews(window: WindowSnapshot): [field: string, json: string][] {
  const wire = toWire(window, false);
  const fields: [string, string][] = [[COUNTS_FIELD, JSON.stringify(wire.counts)]];
  for (const [name, counts] of Object.entries(wire.views ?? {}).slice(1)) fields.push([formatViewField(name), JSON.stringify(counts)]);
  return fields;
}

/**
 * The write script's feed arguments for one write: the number of final windows, then per window
 * its start (seconds), total and its view fields (count, then field/value pairs).
 */
export function encodeFeedEntries(windows: readonly WindowSnapshot[]): (string | number)[] {
  const final = windows.filter((window) => window.final);
  const args: (string | number)[] = [final.length];
  for (const window of final) {
    const views = listFeedViews(window);
    args.push(window.startMs / 1000, window.total, views.length, ...views.flat());
  }
  return args;
}

/** The Stream ID of a window's entry. */
export function formatFeedId(startMs: number): string {
  return `${startMs}-0`;
}

/**
 * The ID just below the entries of windows starting at or after `fromMs`: where a reader (or a
 * new consumer group) starts to get them.
 */
export function formatFeedIdBefore(fromMs: number): string {
  return fromMs <= 0 ? "0-0" : `${Math.ceil(fromMs) - 1}-0`;
}

/** A view field's JSON object as member → count, or undefined when it is not one. */
function parseViewCounts(json: string | undefined): Map<string, number> | undefined {
  let counts: unknown;
  try {
    counts = JSON.parse(json ?? "");
  } catch {
    return undefined;
  }
  if (typeof counts !== "object" || counts === null || Array.isArray(counts)) return undefined;
  const map = new Map<string, number>();
  for (const [name, n] of Object.entries(counts)) if (typeof n === "number") map.set(name, n);
  return map;
}

/**
 * One entry as a window, or a text saying what is wrong with it. `views` are the prefix's views
 * (its layout's, the main one first): with several, the window carries each by its LIST.
 */
export function parseFeedEntry(id: string, flat: readonly string[] | null, views: readonly string[] = []): WindowView | string {
  if (flat === null) return `entry ${id} is gone (trimmed by --retain before it was read)`;
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] ?? "", flat[i + 1] ?? "");
  const start = Number(fields.get("start"));
  const end = Number(fields.get("end"));
  const total = Number(fields.get("total"));
  const counts = parseViewCounts(fields.get(COUNTS_FIELD));
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || !Number.isSafeInteger(total) || counts === undefined) {
    return `entry ${id} is not a window wikistream wrote (start, end, total and counts expected)`;
  }
  const window: WindowView = { startMs: start * 1000, endMs: end * 1000, total, counts, final: true, incomplete: fields.get("incomplete") === "1" };
  if (views.length <= 1) return window;
  const byView = new Map<string, Map<string, number>>([[views[0] ?? "", counts]]);
  for (const view of views.slice(1)) {
    const viewCounts = parseViewCounts(fields.get(formatViewField(view)));
    if (viewCounts === undefined) return `entry ${id} has no ${formatViewField(view)} field, though the prefix counts --by ${view}`;
    byView.set(view, viewCounts);
  }
  window.views = byView;
  return window;
}
