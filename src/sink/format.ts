import { formatSpan, sortCounts } from "../lib/format.ts";
import { formatCount } from "../lib/plural.ts";
import type { WindowSnapshot } from "../window/types.ts";

/** Counts as a JSON object, busiest first (object keys keep their insertion order). */
export function toSortedCounts(counts: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, n] of sortCounts(counts)) out[name] = n;
  return out;
}

/**
 * One JSON line per window: {"start":S,"end":E,"total":N,"counts":{"server":n,...}}, counts
 * largest first; `"incomplete":true` is added for a window known to miss events, and
 * `"final":false` for one printed before it was final (the run was stopped).
 */
export function formatWindowJson(window: WindowSnapshot, incomplete = false): string {
  const line: Record<string, unknown> = { start: window.startMs / 1000, end: window.endMs / 1000, total: window.total, counts: toSortedCounts(window.counts) };
  if (incomplete) line.incomplete = true;
  if (!window.final) line.final = false;
  return `${JSON.stringify(line)}\n`;
}

/** A compact table of the top wikis of one window, with bars scaled to the largest. */
export function formatWindowText(window: WindowSnapshot, options: { color?: boolean; top?: number; width?: number; incomplete?: boolean } = {}): string {
  const top = options.top ?? 10;
  const barWidth = options.width ?? 30;
  const rows = sortCounts(window.counts);
  const shown = rows.slice(0, top);
  const max = shown[0]?.[1] ?? 1;
  const nameWidth = Math.max(...shown.map(([name]) => name.length), 10);
  const countWidth = Math.max(...shown.map(([, n]) => String(n).length), 1);
  const bold = (t: string) => (options.color ? `\x1b[1m${t}\x1b[22m` : t);
  const cyan = (t: string) => (options.color ? `\x1b[36m${t}\x1b[39m` : t);
  const what = window.total === 0 ? "no changes" : `${formatCount(window.total, "change")} on ${formatCount(rows.length, "wiki")}`;
  const marks = `${options.incomplete ? "  (incomplete: misses events)" : ""}${window.final ? "" : "  (partial: stopped before it was final)"}`;
  const lines = [bold(`${formatSpan(window.startMs, window.endMs)}  ${what}${marks}`)];
  for (const [name, n] of shown) {
    const bar = "█".repeat(Math.max(1, Math.round((n / max) * barWidth)));
    lines.push(`  ${name.padEnd(nameWidth)}  ${String(n).padStart(countWidth)}  ${cyan(bar)}`);
  }
  if (rows.length > shown.length) lines.push(`  … and ${rows.length - shown.length} more`);
  return `${lines.join("\n")}\n\n`;
}
