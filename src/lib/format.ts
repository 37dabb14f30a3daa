/**
 * How times and spans are written for people, in one place for the CLI, the sinks and the live
 * page (which bundles this module): moments in logs, window spans, clock times, ages at a glance.
 * All in UTC; and the order counts are listed in. The text of a duration flag (`30s`, `2m`) and its parser stay together in
 * duration.ts, so that what is printed parses back.
 */

/** Spans this long show the end's date too: a daily rollup ends at the next midnight. */
const DAY_MS = 86_400_000;

/** A moment as ISO time with its Unix seconds beside it, for logs: `2026-11-26T10:00:00Z (1795687200)`. */
export function formatInstant(ms: number): string {
  return `${new Date(ms).toISOString().replace(".000Z", "Z")} (${ms / 1000})`;
}

/** `2026-11-26 10:00:00` (UTC), as the table, `top` and `read` show times. */
export function formatClock(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

/** `10:00:30` (UTC): the time of day alone. */
export function formatTimeOfDay(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** A window's span: `2026-11-26 10:00:00–10:00:30 UTC`; a day or longer: `2026-11-26 00:00:00 – 2026-11-27 00:00:00 UTC`. */
export function formatSpan(startMs: number, endMs: number): string {
  return endMs - startMs >= DAY_MS ? `${formatClock(startMs)} – ${formatClock(endMs)} UTC` : `${formatClock(startMs)}–${formatTimeOfDay(endMs)} UTC`;
}

/** A span for a glance (a lag, the time since a write): `1.2s`, `45s`, `12m`, `5h`, `3d`, `4.1y`. */
export function formatAge(ms: number): string {
  const s = ms / 1000;
  if (s < 9.95) return `${s.toFixed(1)}s`; // 9.97 s reads 10s, not 10.0s
  if (s < 120) return `${Math.round(s)}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  if (s < 63_115_200) return `${Math.round(s / 86_400)}d`;
  return `${(s / 31_557_600).toFixed(1)}y`;
}

/** [name, count] pairs busiest first, then by name (a steady order), as every table, chart and JSON object lists them. */
export function sortCounts(counts: Iterable<[string, number]>): [string, number][] {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Seconds with one decimal, for waits and round trips in messages: `1.2s`, `30.0s`. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
