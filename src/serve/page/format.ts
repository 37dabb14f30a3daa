/** How the page writes times, durations and numbers. No DOM here. */

/** A window's span in UTC: `2026-11-29 21:30:00–21:30:30 UTC`. */
export function formatSpan(start: number, end: number): string {
  const from = new Date(start * 1000).toISOString();
  const to = new Date(end * 1000).toISOString();
  return `${from.slice(0, 10)} ${from.slice(11, 19)}–${to.slice(11, 19)} UTC`;
}

/** A duration in seconds, in the unit that reads best: `0.8 s`, `42 s`, `3.5 min`, `2.1 h`, `4.3 days`, `4.1 years`. */
export function formatDuration(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  if (seconds < 63_072_000) return `${(seconds / 86_400).toFixed(1)} days`;
  return `${(seconds / 31_557_600).toFixed(1)} years`;
}

/** A window length in seconds as a person says it: `30 s`, `2 min`, `1 h`, `90 s`. */
export function formatWindowLength(seconds: number): string {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** A share of a total in percent with one decimal: `12.3%` (0.0% for an empty window). */
export function formatShare(count: number, total: number): string {
  return `${total === 0 ? "0.0" : ((count / total) * 100).toFixed(1)}%`;
}

/** A moment on the chart's time axis, in UTC: `22:25` on whole minutes, else `22:25:30`. */
export function formatClock(seconds: number): string {
  const iso = new Date(seconds * 1000).toISOString();
  return seconds % 60 === 0 ? iso.slice(11, 16) : iso.slice(11, 19);
}

/** [wiki, count] pairs busiest first, then by name (a steady order), as the table and the chart list them. */
export function sortCounts(counts: Iterable<[string, number]>): [string, number][] {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
