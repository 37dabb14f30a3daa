/**
 * How `top` and `read` print stored windows: JSON (one document, one line), CSV (a row per
 * wiki per window) and `read`'s text (a line per window). Pure: windows in, text out.
 */
import { formatSpan, sortCounts } from "../lib/format.ts";
import { formatCount } from "../lib/plural.ts";
import type { WindowView } from "../window/types.ts";
import { toWire } from "../window/wire.ts";
import { nameMembers } from "../sink/format.ts";

/** `{"windows":[…]}` on one line, oldest first, each window in its wire form (window/wire.ts). */
export function formatWindowsJson(views: readonly WindowView[]): string {
  return printAll("json", views);
}

/** The header of `read --csv` for the main view of a prefix made before --by. */
export const CSV_HEADER = formatCsvHeader("server_name");

/** The header of `read --csv` for a view: a column per field of its LIST. */
function formatCsvHeader(view: string): string {
  return `start,end,${view.split(",").map(csvField).join(",")},count,incomplete,final`;
}

/** A CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line break. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * CSV with a header: a row per wiki per window, busiest first. A window with nothing counted
 * (or nothing matching --server) is one row with an empty server_name and count 0, so every
 * window stays visible and "zero" is told apart from "wikistream was not running".
 */
export function formatWindowsCsv(views: readonly WindowView[]): string {
  return printAll("csv", views);
}

/** The rows of formatWindowsCsv without its header, a line each; a composite member (`a|b`) spread over its fields' columns. */
function formatCsvRows(views: readonly WindowView[], fields = 1): string {
  const lines: string[] = [];
  const empty = ",".repeat(fields - 1);
  for (const view of views) {
    const head = `${view.startMs / 1000},${view.endMs / 1000}`;
    const tail = `${view.incomplete},${view.final}`;
    const rows = sortCounts(view.counts);
    if (rows.length === 0) lines.push(`${head},${empty},0,${tail}`);
    for (const [name, n] of rows) lines.push(`${head},${(fields === 1 ? [name] : name.split("|")).map(csvField).join(",")},${n},${tail}`);
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

/** Only the wikis matching one of `patterns` (all when there are none), total recounted. */
export function filterServers(view: WindowView, patterns: readonly RegExp[]): WindowView {
  if (patterns.length === 0) return view;
  const counts = new Map([...view.counts].filter(([name]) => patterns.some((p) => p.test(name))));
  let total = 0;
  for (const n of counts.values()) total += n;
  return { ...view, counts, total };
}

/** What a window's flags say, in words: "" for a final, complete one. */
export function describeFlags(view: WindowView): string {
  const notes = [view.incomplete ? "incomplete: misses events" : "", view.final ? "" : "not final: late events may still come"].filter(Boolean);
  return notes.length === 0 ? "" : ` (${notes.join("; ")})`;
}

/** Wikis named on a line of `read`'s text. */
const NAMED_WIKIS = 5;

/** `read`'s text: a line per window with its total and its busiest members (wikis for server_name; `view` names them). */
export function formatReadText(views: readonly WindowView[], viewName = "server_name"): string {
  const members = nameMembers(viewName);
  const lines = views.map((view) => {
    const rows = sortCounts(view.counts);
    const what = view.total === 0 ? "no changes" : `${formatCount(view.total, "change")} on ${formatCount(rows.length, members.noun, members.plural)}`;
    const named = rows.slice(0, NAMED_WIKIS).map(([name, n]) => `${name} ${n}`);
    if (rows.length > NAMED_WIKIS) named.push(`… ${rows.length - NAMED_WIKIS} more`);
    return `${formatSpan(view.startMs, view.endMs)}  ${what}${named.length > 0 ? `: ${named.join(", ")}` : ""}${describeFlags(view)}`;
  });
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

/** How `read` prints: text, CSV or JSON. */
export type ReadFormat = "text" | "csv" | "json";

/**
 * Prints windows a batch at a time (`read` over a long range): `head` first, then `batch` for
 * each batch, oldest first, then `tail`, the whole the same bytes however the windows are cut.
 */
export interface WindowsPrinter {
  head: string;
  batch(views: readonly WindowView[]): string;
  tail: string;
}

/** A WindowsPrinter for one format, of one view (its LIST names the CSV columns). */
export function createWindowsPrinter(format: ReadFormat, view = "server_name"): WindowsPrinter {
  const fields = view.split(",").length;
  if (format === "csv") return { head: `${formatCsvHeader(view)}\n`, batch: (views) => formatCsvRows(views, fields), tail: "" };
  if (format === "text") return { head: "", batch: (views) => formatReadText(views, view), tail: "" };
  let first = true;
  return {
    head: '{"windows":[',
    batch(views) {
      if (views.length === 0) return "";
      const items = views.map((view) => JSON.stringify(toWire(view, view.incomplete))).join(",");
      const text = first ? items : `,${items}`;
      first = false;
      return text;
    },
    tail: "]}\n",
  };
}

/** All of `views` in one format at once. */
function printAll(format: ReadFormat, views: readonly WindowView[]): string {
  const printer = createWindowsPrinter(format);
  return printer.head + printer.batch(views) + printer.tail;
}
