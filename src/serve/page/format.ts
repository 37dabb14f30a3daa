/**
 * What only the page writes: shares, the chart's time ticks and the busiest-first order. No DOM
 * here. Times, spans and ages come from lib/format.ts (bundled with the page), written as the CLI
 * writes them; the ticks stay here because uPlot asks for them in seconds and drops the seconds
 * on whole minutes.
 */
import { formatTimeOfDay } from "../../lib/format.ts";

/** A share of a total in percent with one decimal: `12.3%` (0.0% for an empty window). */
export function formatShare(count: number, total: number): string {
  return `${total === 0 ? "0.0" : ((count / total) * 100).toFixed(1)}%`;
}

/** A moment on the chart's time axis, in UTC: `22:25` on whole minutes, else `22:25:30`. */
export function formatTick(seconds: number): string {
  const time = formatTimeOfDay(seconds * 1000);
  return seconds % 60 === 0 ? time.slice(0, 5) : time;
}

/** [wiki, count] pairs busiest first, then by name (a steady order), as the table and the chart list them. */
export function sortCounts(counts: Iterable<[string, number]>): [string, number][] {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
