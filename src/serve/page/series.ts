/**
 * What the chart plots, worked out from the page's windows: the last hour of final windows plus
 * the open ones, one point per window length (a missing window is a gap), and the busiest wikis
 * over that span as series. No DOM here.
 */
import { sortCounts } from "../../lib/format.ts";
import type { WindowWire } from "../../window/wire.ts";
import { SHOWN_SPAN_S } from "./store.ts";

/** Plot counts, or each wiki's share of its window's total, in percent. */
export type Mode = "counts" | "share";

/** What a point of the x axis stands for. */
export type PointKind = "final" | "open" | "gap";

/** Columns of the chart: x (window starts, Unix s) and one row of values per wiki. */
export interface PlotData {
  x: number[];
  /** The wikis plotted, busiest first. */
  names: string[];
  /** values[i][j]: wiki names[i] in window x[j]; null in a gap. */
  values: (number | null)[][];
  kinds: PointKind[];
  incomplete: boolean[];
  totals: (number | null)[];
  /** The window length (s). */
  step: number;
  mode: Mode;
}

/** How many wikis get a line. */
export const TOP_WIKIS = 10;

/**
 * The windows in the shown span: every open one, and the final ones that start at most an hour
 * before the newest final end (or before the oldest open start, when the finals are an old
 * history from Redis: the hour is then empty, not a day of gaps).
 */
function pickShown(windows: readonly WindowWire[]): WindowWire[] {
  // Oldest first: find() is the oldest open window, findLast() the newest final one.
  const open = windows.find((w) => !w.final);
  const newestFinal = windows.findLast((w) => w.final);
  const cutoff = (open?.start ?? newestFinal?.end ?? 0) - SHOWN_SPAN_S;
  return windows.filter((w) => !w.final || w.start >= cutoff);
}

/** The `top` wikis with the most changes over `windows` (ties by name, for a steady order). */
export function pickTop(windows: readonly WindowWire[], top = TOP_WIKIS): string[] {
  const sums = new Map<string, number>();
  for (const w of windows) for (const [name, n] of Object.entries(w.counts)) sums.set(name, (sums.get(name) ?? 0) + n);
  return sortCounts(sums)
    .slice(0, top)
    .map(([name]) => name);
}

/**
 * The windows at each step from the first shown to the last, undefined where none is known.
 * A step after the newest final window with no window is open and empty (the run hands out
 * only open windows that hold counts), not a gap.
 */
function alignToSteps(shown: readonly WindowWire[], step: number): (WindowWire | undefined)[] {
  const first = shown[0];
  const last = shown[shown.length - 1];
  if (first === undefined || last === undefined) return [];
  const byStart = new Map(shown.map((w) => [w.start, w]));
  const lastFinal = shown.findLast((w) => w.final)?.start ?? Number.NEGATIVE_INFINITY;
  const empty = (start: number): WindowWire => ({ start, end: start + step, total: 0, final: false, incomplete: false, counts: {} });
  const slots: (WindowWire | undefined)[] = [];
  for (let start = first.start; start <= last.start; start += step) slots.push(byStart.get(start) ?? (start > lastFinal ? empty(start) : undefined));
  return slots;
}

/** Builds the chart's columns from the page's windows (oldest first). */
export function buildPlot(windows: readonly WindowWire[], mode: Mode, top = TOP_WIKIS): PlotData {
  const shown = pickShown(windows);
  const step = shown[0] ? shown[0].end - shown[0].start : 30;
  const names = pickTop(shown, top);
  const slots = alignToSteps(shown, step);
  const first = shown[0]?.start ?? 0;
  const value = (w: WindowWire | undefined, name: string): number | null => {
    if (w === undefined) return null;
    const n = w.counts[name] ?? 0;
    if (mode === "counts") return n;
    return w.total === 0 ? 0 : Math.round((n / w.total) * 10_000) / 100;
  };
  return {
    x: slots.map((_, i) => first + i * step),
    names,
    values: names.map((name) => slots.map((w) => value(w, name))),
    kinds: slots.map((w) => (w === undefined ? "gap" : w.final ? "final" : "open")),
    incomplete: slots.map((w) => w?.incomplete ?? false),
    totals: slots.map((w) => w?.total ?? null),
    step,
    mode,
  };
}

/** The runs of consecutive open windows, as [first start, last start]. */
export function listOpenRuns(data: PlotData): [number, number][] {
  const runs: [number, number][] = [];
  data.x.forEach((start, i) => {
    if (data.kinds[i] !== "open") return;
    const last = runs[runs.length - 1];
    if (last !== undefined && data.kinds[i - 1] === "open") last[1] = start;
    else runs.push([start, start]);
  });
  return runs;
}

/** The largest value in an open window (the lines leave them out, the y axis must still reach them). */
export function findOpenMax(data: PlotData): number {
  let max = 0;
  data.kinds.forEach((kind, i) => {
    if (kind === "open") for (const values of data.values) max = Math.max(max, values[i] ?? 0);
  });
  return max;
}
