/**
 * `wikistream top`'s table: the newest window's busiest wikis with a bar each, and a sparkline
 * per wiki over the windows read. Pure: windows in, text out.
 */
import { formatClock, formatSpan, sortCounts } from "../lib/format.ts";
import { formatCount } from "../lib/plural.ts";
import type { WindowView } from "../window/types.ts";
import { nameMembers } from "../sink/format.ts";
import { describeFlags } from "./query-format.ts";
import { markRow, sparkline } from "./sparkline.ts";

/** Wikis listed without --all. */
export const TOP_WIKIS = 10;
/** The bar column's width bounds: narrow terminals shrink it, wide ones do not stretch it. */
const BAR_MIN = 5;
const BAR_MAX = 40;
/** Windows a sparkline shows at the least, however narrow the terminal. */
const SPARK_MIN = 5;
const ALL_LABEL = "all wikis";
const MARK_LABEL = "incomplete";

/** Options of formatTop. */
export interface TopOptions {
  /** List every wiki of the newest window. */
  all?: boolean;
  /** The width to fit (the terminal's); 80 when unknown. */
  columns?: number;
  color?: boolean;
  /** What one of `windows` is called: "window" unless they are a rollup's hours or days. */
  unit?: string;
  /** The view shown (its LIST): names the member column; server_name's members are wikis. */
  view?: string;
}

/**
 * The table for `windows` (oldest first, the newest last). Every line but the header and the
 * footer starts with two spaces; no line has trailing spaces.
 */
export function formatTop(read: readonly WindowView[], options: TopOptions = {}): string {
  const newest = read[read.length - 1];
  if (newest === undefined) return "";
  const paint = (code: string, end: string, text: string) => (options.color && text !== "" ? `\x1b[${code}m${text}\x1b[${end}m` : text);
  const rows = sortCounts(newest.counts);
  const shown = options.all ? rows : rows.slice(0, TOP_WIKIS);
  const members = nameMembers(options.view ?? "server_name");
  const column = options.view === undefined || options.view === "server_name" ? "wiki" : options.view;
  const nameWidth = Math.max(column.length, ALL_LABEL.length, MARK_LABEL.length, ...shown.map(([name]) => name.length));
  const countWidth = Math.max("changes".length, String(newest.total).length);
  const columns = options.columns ?? 80;
  // The sparklines get the room the narrowest bar leaves: on a narrow terminal (or with a large
  // --windows) they show the newest windows that fit, so no line wraps.
  const room = columns - (2 + nameWidth + 2 + countWidth + 2 + BAR_MIN + 2);
  const windows = read.slice(-Math.max(SPARK_MIN, Math.min(read.length, room)));
  const sparkWidth = windows.length;
  const fixed = 2 + nameWidth + 2 + countWidth + 2 + 2 + sparkWidth;
  const barWidth = Math.max(BAR_MIN, Math.min(BAR_MAX, columns - fixed));
  const max = shown[0]?.[1] ?? 0;
  const line = (name: string, count: string, bar: string, spark: string) =>
    `  ${name.padEnd(nameWidth)}  ${count.padStart(countWidth)}  ${bar === "" ? " ".repeat(barWidth) : paint("36", "39", bar) + " ".repeat(barWidth - bar.length)}  ${spark}`.trimEnd();
  const series = (name: string | undefined) => windows.map((w) => (name === undefined ? w.total : (w.counts.get(name) ?? 0)));

  const what = newest.total === 0 ? "no changes" : `${formatCount(newest.total, "change")} on ${formatCount(rows.length, members.noun, members.plural)}`;
  const unit = options.unit ?? "window";
  const head = `newest ${unit} ${formatSpan(newest.startMs, newest.endMs)}: ${what}`;
  const flags = describeFlags(newest);
  // The flags go on a line of their own rather than wrap (a wrapped line spoils --watch's redraw).
  const heading = head.length + flags.length <= columns ? [`${head}${flags}`] : [head, ` ${flags}`];
  const lines = [...heading.map((text) => paint("1", "22", text)), ""];
  lines.push(line(column, "changes", "", `last ${formatCount(sparkWidth, unit)}`));
  for (const [name, n] of shown) {
    const bar = "█".repeat(Math.max(1, Math.round((n / (max || 1)) * barWidth)));
    lines.push(line(name, String(n), bar, sparkline(series(name))));
  }
  if (rows.length > shown.length) lines.push(`  … ${formatCount(rows.length - shown.length, `more ${members.noun}`, `more ${members.plural}`)} (--all lists them)`);
  lines.push(line(column === "wiki" ? ALL_LABEL : "all", String(newest.total), "", sparkline(series(undefined))));
  if (windows.some((w) => w.incomplete)) lines.push(line(MARK_LABEL, "", "", markRow(windows.map((w) => w.incomplete))));
  const oldest = windows[0] ?? newest;
  const from = formatClock(oldest.startMs);
  const to = formatClock(newest.endMs);
  const sameDay = from.slice(0, 10) === to.slice(0, 10);
  lines.push("", `sparklines ${from}–${sameDay ? to.slice(11) : to} UTC; each scaled to its own peak`);
  return `${lines.join("\n")}\n`;
}
