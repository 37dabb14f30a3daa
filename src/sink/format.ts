/**
 * How windows are drawn for people: the stdout sink's table (a block per view), and what a
 * view's members are called. Windows as JSON are the wire form (window/wire.ts).
 */
import { formatSpan, sortCounts } from "../lib/format.ts";
import { formatCount } from "../lib/plural.ts";
import type { WindowSnapshot } from "../window/types.ts";

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
