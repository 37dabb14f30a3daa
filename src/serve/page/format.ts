/**
 * What only the page writes: shares, and the chart's time ticks (uPlot asks for them in
 * seconds; they drop the seconds on whole minutes). No DOM here. Times, spans, ages and the
 * busiest-first order come from lib/format.ts, bundled with the page, so it writes them as the
 * CLI does.
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
