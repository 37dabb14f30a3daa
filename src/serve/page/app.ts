/// <reference lib="dom" />
/**
 * The live page's script: listens to GET /events (no polling: the server sends at most one
 * message a second), keeps the windows in a Store, and redraws the chart, the table of the
 * selected window and the status after each message; with no window yet, it says what it waits
 * for instead of drawing an empty chart. Bundled with uPlot into the binary.
 */
import { Chart, type DrawnChart } from "./chart.ts";
import type { LiveMessage } from "./messages.ts";
import { buildPlot, type Mode, type PlotData } from "./series.ts";
import { renderStatus, type Connection } from "./status-bar.ts";
import { Store, projectView } from "./store.ts";
import { renderTable } from "./table.ts";
import { describeWaiting } from "./waiting.ts";

/** What the page shows, readable from outside (the browser tests read it; so can a curious user). */
export interface PageProbe {
  /** Messages received from GET /events. */
  received: number;
  /** The chart's data as last drawn. */
  plot: PlotData | undefined;
  /** The window whose table is shown (start, Unix s). */
  selected: number | null;
  /** Viewport coordinates of a wiki's point (default: the busiest) in the window at `start`, to click it. */
  pointAt(start: number, name?: string): { x: number; y: number } | null;
  /** What the chart drew last (its lines and the open windows' marks); null while there is no chart. */
  drawn(): DrawnChart | null;
}

declare global {
  interface Window {
    __wikistream?: PageProbe;
  }
}

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the page has no #${id}`);
  return el as T;
}

const store = new Store();
let mode: Mode = "counts";
/** The view shown (a --by LIST), when the run counts several; undefined: the main one. */
let view: string | undefined;
let follow = true;
let selected: number | null = null;
let connection: Connection = "connecting";
let plot: PlotData | undefined;
const chart = new Chart(byId("chart"), (start) => {
  follow = false;
  selected = start;
  render();
});
const table = { title: byId("table-title"), note: byId("table-note"), body: byId<HTMLTableElement>("table").tBodies[0] ?? byId<HTMLTableElement>("table").createTBody() };
const waiting = { box: byId("empty"), title: byId("empty-title"), why: byId("empty-why"), chart: byId("chart"), hint: byId("hint") };
const followButton = byId("follow");
const modeButtons: Record<Mode, HTMLElement> = { counts: byId("mode-counts"), share: byId("mode-share") };
const viewPicker = { box: byId("view-box"), select: byId<HTMLSelectElement>("view"), title: byId("chart-title"), column: byId("table-member") };

/** The picker lists the run's views (hidden with one); titles name the view shown. */
function renderViews(): void {
  const views = store.views();
  viewPicker.box.hidden = views.length < 2;
  if (view !== undefined && !views.includes(view)) view = undefined;
  if (viewPicker.select.options.length !== views.length || views.some((name, i) => viewPicker.select.options[i]?.value !== name)) {
    viewPicker.select.replaceChildren(...views.map((name) => new Option(name, name)));
  }
  const shown = view ?? views[0];
  if (shown !== undefined) viewPicker.select.value = shown;
  const named = shown === undefined || shown === "server_name" ? "wiki" : shown.replace(/,/g, " · ");
  viewPicker.title.textContent = named === "wiki" ? "Busiest wikis, last hour" : `Busiest by ${named}, last hour`;
  viewPicker.column.textContent = named;
}

/** The window to show when following: the newest final one, else the newest open one. */
function newestStart(): number | null {
  const windows = store.windows();
  return (windows.findLast((w) => w.final) ?? windows[windows.length - 1])?.start ?? null;
}

function render(): void {
  if (!follow && (selected === null || store.find(selected) === undefined)) follow = true;
  if (follow) selected = newestStart();
  renderViews();
  const windows = store.windows().map((w) => projectView(w, view));
  plot = buildPlot(windows, mode);
  // Nothing to plot: say what the page waits for rather than draw a 0–1 axis with no line.
  // Shown before the chart is drawn, so that it takes the page's width.
  waiting.box.hidden = windows.length > 0;
  waiting.chart.hidden = waiting.hint.hidden = windows.length === 0;
  if (windows.length === 0) {
    const { title, detail } = describeWaiting(store.status, connection);
    waiting.title.textContent = title;
    waiting.why.textContent = detail;
    chart.clear();
  } else {
    chart.update(plot, selected);
  }
  const shown = selected === null ? undefined : store.find(selected);
  renderTable(table, shown === undefined ? undefined : projectView(shown, view));
  renderStatus(store.status, connection);
  followButton.setAttribute("aria-pressed", String(follow));
  for (const [name, button] of Object.entries(modeButtons)) button.setAttribute("aria-pressed", String(name === mode));
}

for (const [name, button] of Object.entries(modeButtons) as [Mode, HTMLElement][]) {
  button.addEventListener("click", () => {
    mode = name;
    render();
  });
}
viewPicker.select.addEventListener("change", () => {
  view = viewPicker.select.value;
  render();
});
followButton.addEventListener("click", () => {
  follow = true;
  render();
});

const source = new EventSource("/events");
source.addEventListener("open", () => {
  connection = "open";
});
source.addEventListener("error", () => {
  // EventSource reconnects by itself (after the retry the server set) and then gets a new snapshot.
  connection = "lost";
  render();
});
source.addEventListener("message", (event: MessageEvent<string>) => {
  connection = "open";
  store.apply(JSON.parse(event.data) as LiveMessage);
  render();
});

window.__wikistream = {
  get received() {
    return store.received;
  },
  get plot() {
    return plot;
  },
  get selected() {
    return selected;
  },
  pointAt: (start, name) => chart.pointAt(start, name),
  drawn: () => chart.drawn(),
};
render();
