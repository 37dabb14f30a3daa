/// <reference lib="dom" />
/**
 * The table of the selected window: every wiki with its count and share, busiest first.
 * Names come from the stream, so they are set as text, never as HTML.
 */
import { formatSpan, sortCounts } from "../../lib/format.ts";
import type { WindowWire } from "../../window/wire.ts";
import { formatShare } from "./format.ts";

/** The elements the table draws into. */
export interface TableElements {
  title: HTMLElement;
  note: HTMLElement;
  body: HTMLTableSectionElement;
}

function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

/** What the note under the title says about a window. */
function describe(w: WindowWire): string {
  const members = Object.keys(w.counts).length;
  const parts = [`${w.total} change${w.total === 1 ? "" : "s"} on ${members} wiki${members === 1 ? "" : "s"}`];
  parts.push(w.final ? "final" : "open: late events may still be added");
  if (w.incomplete) parts.push("incomplete: known to miss events (before the run's history begins, or in a gap of the stream)");
  return parts.join("; ");
}

/** Draws `w` (or says there is no window yet). */
export function renderTable(el: TableElements, w: WindowWire | undefined): void {
  // No bare header without rows: the chart's place says what the page waits for.
  el.body.parentElement?.toggleAttribute("hidden", w === undefined);
  if (w === undefined) {
    el.title.textContent = "No window yet";
    el.note.textContent = "";
    el.body.replaceChildren();
    return;
  }
  el.title.textContent = formatSpan(w.start * 1000, w.end * 1000);
  el.note.textContent = describe(w);
  const rows = sortCounts(Object.entries(w.counts));
  const fragment = document.createDocumentFragment();
  rows.forEach(([name, count], i) => {
    const tr = document.createElement("tr");
    tr.dataset.wiki = name;
    tr.dataset.count = String(count);
    if (w.incomplete) tr.className = "incomplete";
    tr.append(cell(String(i + 1)), cell(name), cell(String(count), "num"), cell(formatShare(count, w.total), "num"));
    fragment.append(tr);
  });
  el.body.replaceChildren(fragment);
  el.body.parentElement?.setAttribute("data-start", String(w.start));
}
