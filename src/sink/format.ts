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
  // Several views (--by): each by its LIST, the main one too, so that a reader picks any alike.
  if (window.views !== undefined && window.views.size > 1) line.views = Object.fromEntries([...window.views].map(([name, counts]) => [name, toSortedCounts(counts)]));
  if (incomplete) line.incomplete = true;
  if (!window.final) line.final = false;
  return `${JSON.stringify(line)}\n`;
}

/** What a view's members are called in a table: wikis for server_name, else the fields' names. */
export function nameMembers(view: string): { noun: string; plural: string } {
  return view === "server_name" ? { noun: "wiki", plural: "wikis" } : { noun: `${view} value`, plural: `${view} values` };
}

/** Options of formatWindowText. */
export interface WindowTextOptions {
  color?: boolean;
  top?: number;
  width?: number;
  incomplete?: boolean;
}

/** A compact table per view of one window (one when a single view is counted), with bars scaled to the largest. */
export function formatWindowText(window: WindowSnapshot, options: WindowTextOptions = {}): string {
  const views = window.views;
  if (views === undefined || views.size <= 1) return formatViewText(window, window.counts, views?.keys().next().value ?? "server_name", options);
  return [...views].map(([name, counts]) => formatViewText(window, counts, name, options)).join("");
}

function formatViewText(window: WindowSnapshot, counts: Map<string, number>, view: string, options: WindowTextOptions): string {
  const top = options.top ?? 10;
  const barWidth = options.width ?? 30;
  const rows = sortCounts(counts);
  const shown = rows.slice(0, top);
  const max = shown[0]?.[1] ?? 1;
  const nameWidth = Math.max(...shown.map(([name]) => name.length), 10);
  const countWidth = Math.max(...shown.map(([, n]) => String(n).length), 1);
  const bold = (t: string) => (options.color ? `\x1b[1m${t}\x1b[22m` : t);
  const cyan = (t: string) => (options.color ? `\x1b[36m${t}\x1b[39m` : t);
  const members = nameMembers(view);
  const what = window.total === 0 ? "no changes" : `${formatCount(window.total, "change")} ${view === "server_name" ? "on" : "by"} ${formatCount(rows.length, members.noun, members.plural)}`;
  const marks = `${options.incomplete ? "  (incomplete: misses events)" : ""}${window.final ? "" : "  (partial: stopped before it was final)"}`;
  const lines = [bold(`${formatSpan(window.startMs, window.endMs)}  ${what}${marks}`)];
  for (const [name, n] of shown) {
    const bar = "█".repeat(Math.max(1, Math.round((n / max) * barWidth)));
    lines.push(`  ${name.padEnd(nameWidth)}  ${String(n).padStart(countWidth)}  ${cyan(bar)}`);
  }
  if (rows.length > shown.length) lines.push(`  … and ${rows.length - shown.length} more`);
  return `${lines.join("\n")}\n\n`;
}
