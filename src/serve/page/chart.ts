/// <reference lib="dom" />
/**
 * The chart: one uPlot line per busy wiki through the final windows, open windows shaded blue
 * with each wiki's count so far as a hollow mark (never joined to the line: a partial count is
 * not a fall), windows known to miss events shaded orange, the selected window drawn as a
 * vertical line. A click picks the window under the pointer.
 */
import uPlot from "uplot";
import { formatDuration } from "../../lib/duration.ts";
import { formatTick } from "./format.ts";
import { findOpenMax, listOpenRuns, type PlotData } from "./series.ts";

/** Ten colours told apart on light and dark backgrounds. */
const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#8c8c94"];
const HEIGHT = 340;
/** Time axis ticks (s): whole windows and minutes, never the 10 s steps uPlot would pick for a short span. */
const TIME_STEPS = [30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 86_400];
/** Radius of an open window's mark (CSS px). */
const MARK_RADIUS = 4;

/** A wiki's count so far in an open window, as drawn. */
interface OpenMark {
  start: number;
  name: string;
  value: number;
}

/** What the chart drew last, for the page's probe: the lines (by wiki, one value per window) and the open windows' marks. */
export interface DrawnChart {
  lines: Record<string, (number | null)[]>;
  openMarks: OpenMark[];
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/**
 * The uPlot chart of the page. It is rebuilt only when the set of wikis (or the mode) changes:
 * a change of rank among the same wikis keeps the lines, their order in the legend and their
 * colours, so a wiki keeps its colour while it stays in the chart.
 */
export class Chart {
  private plot: uPlot | undefined;
  private data: PlotData | undefined;
  private selected: number | null = null;
  /** The wikis as the chart was built with them, and its mode. */
  private order: string[] = [];
  private mode = "";
  private readonly colors = new Map<string, string>();
  private openMarks: OpenMark[] = [];

  constructor(
    private readonly el: HTMLElement,
    private readonly onSelect: (start: number) => void,
  ) {
    window.addEventListener("resize", () => this.plot?.setSize({ width: this.width(), height: HEIGHT }));
  }

  /** Shows `data`, with the window starting at `selected` marked. */
  update(data: PlotData, selected: number | null): void {
    this.data = data;
    this.selected = selected;
    const same = data.mode === this.mode && data.names.length === this.order.length && data.names.every((name) => this.order.includes(name));
    if (this.plot === undefined || !same) {
      this.plot?.destroy();
      this.order = [...data.names];
      this.mode = data.mode;
      this.assignColors();
      this.plot = new uPlot(this.options(data), this.columns(data), this.el);
      this.plot.over.addEventListener("click", (event) => this.pick(event));
      return;
    }
    this.plot.setData(this.columns(data));
  }

  /** Removes the chart (the page has nothing to plot). */
  clear(): void {
    this.plot?.destroy();
    this.plot = undefined;
    this.data = undefined;
    this.order = [];
    this.openMarks = [];
  }

  /** What the chart drew last; null when there is no chart. */
  drawn(): DrawnChart | null {
    const plot = this.plot;
    if (plot === undefined) return null;
    const lines = Object.fromEntries(this.order.map((name, i) => [name, Array.from(plot.data[i + 1] ?? [], (v) => v ?? null)]));
    return { lines, openMarks: [...this.openMarks] };
  }

  /** The lines in the chart's own series order: final windows only (an open window's partial count is a mark, see drawOpen). */
  private columns(data: PlotData): uPlot.AlignedData {
    const finalOnly = (values: (number | null)[]) => values.map((v, i) => (data.kinds[i] === "open" ? null : v));
    return [data.x, ...this.order.map((name) => finalOnly(data.values[data.names.indexOf(name)] ?? []))];
  }

  /** A wiki's value in window `index` as the legend shows it, "(open)" while it still counts. */
  private formatValue(name: string, index: number | null): string {
    const data = this.data;
    const v = index === null || data === undefined ? null : (data.values[data.names.indexOf(name)]?.[index] ?? null);
    if (v === null || index === null) return "–";
    const text = data?.mode === "share" ? `${v.toFixed(1)}%` : String(v);
    return data?.kinds[index] === "open" ? `${text} (open)` : text;
  }

  /** Keeps the colour of each wiki still shown; a new one takes a colour no wiki shown has. */
  private assignColors(): void {
    for (const name of [...this.colors.keys()]) if (!this.order.includes(name)) this.colors.delete(name);
    const used = new Set(this.colors.values());
    const free = PALETTE.filter((color) => !used.has(color));
    for (const name of this.order) if (!this.colors.has(name)) this.colors.set(name, free.shift() ?? PALETTE[0] ?? "#888");
  }

  /** Where the point of `name` (default: the busiest) in the window at `start` is, in viewport coordinates (to click it). */
  pointAt(start: number, name?: string): { x: number; y: number } | null {
    const plot = this.plot;
    const data = this.data;
    if (plot === undefined || data === undefined) return null;
    const index = data.x.indexOf(start);
    const series = name === undefined ? 0 : data.names.indexOf(name);
    const value = data.values[series]?.[index];
    if (index === -1 || value === null || value === undefined) return null;
    const rect = plot.over.getBoundingClientRect();
    return { x: rect.left + plot.valToPos(start, "x"), y: rect.top + plot.valToPos(value, "y") };
  }

  private width(): number {
    return Math.max(320, this.el.clientWidth);
  }

  private pick(event: MouseEvent): void {
    const plot = this.plot;
    const data = this.data;
    if (plot === undefined || data === undefined) return;
    const index = plot.posToIdx(event.clientX - plot.over.getBoundingClientRect().left);
    const start = data.x[index];
    if (start !== undefined && data.kinds[index] !== "gap") this.onSelect(start);
  }

  private options(data: PlotData): uPlot.Options {
    const share = data.mode === "share";
    const fg = cssVar("--fg") || "#1d1d1f";
    const grid = { stroke: cssVar("--line") || "#e2e2e4", width: 1 };
    return {
      width: this.width(),
      height: HEIGHT,
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      // Room on the right for the last time label.
      padding: [12, 28, 0, 0],
      legend: { live: true },
      scales: {
        x: { time: true, range: (_u, min, max) => [min, max + data.step] },
        y: {
          range: (_u, _min, max) => {
            const top = Math.max(1, Math.max(max ?? 0, this.data ? findOpenMax(this.data) : 0) * 1.1);
            return [0, share ? Math.min(100, top) : top];
          },
        },
      },
      axes: [
        { stroke: fg, grid, ticks: grid, space: 64, incrs: TIME_STEPS, values: (_u, splits) => splits.map(formatTick) },
        {
          stroke: fg,
          grid,
          ticks: grid,
          size: 56,
          label: `${share ? "% of the changes" : "changes"} per ${formatDuration(data.step * 1000)} window`,
          labelSize: 22,
          labelFont: "12px system-ui, sans-serif",
          values: (_u, splits) => splits.map((v) => (share ? `${v}%` : String(v))),
        },
      ],
      series: [
        { label: "window (UTC)", value: (_u, v) => (v === null ? "–" : formatTick(v)) },
        ...this.order.map((name) => ({
          label: name,
          stroke: this.colors.get(name),
          width: 1.5,
          // Filled dots on the lines, so that the open windows' hollow marks stand apart.
          points: { fill: this.colors.get(name) },
          spanGaps: false,
          value: (_u: uPlot, _v: number | null, _series: number, index: number | null) => this.formatValue(name, index),
        })),
      ],
      hooks: { drawClear: [(u) => this.drawBands(u)], draw: [(u) => this.drawOpen(u), (u) => this.drawSelected(u)] },
    };
  }

  /** Shades open and incomplete windows behind the lines. */
  private drawBands(u: uPlot): void {
    const data = this.data;
    if (data === undefined) return;
    const { ctx, bbox } = u;
    const fills = { open: cssVar("--open"), incomplete: cssVar("--incomplete") };
    ctx.save();
    ctx.beginPath();
    ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
    ctx.clip();
    data.x.forEach((start, i) => {
      const fill = data.incomplete[i] ? fills.incomplete : data.kinds[i] === "open" ? fills.open : "";
      if (fill === "") return;
      const left = u.valToPos(start, "x", true);
      ctx.fillStyle = fill;
      ctx.fillRect(left, bbox.top, u.valToPos(start + data.step, "x", true) - left, bbox.height);
    });
    ctx.restore();
  }

  /**
   * Draws the open windows: each wiki's count so far as a hollow mark in its colour, unjoined,
   * and "open" over each run of open windows.
   */
  private drawOpen(u: uPlot): void {
    const data = this.data;
    this.openMarks = [];
    if (data === undefined) return;
    const { ctx, bbox } = u;
    const ratio = devicePixelRatio;
    ctx.save();
    ctx.lineWidth = 1.5 * ratio;
    ctx.fillStyle = cssVar("--bg") || "#fff";
    data.x.forEach((start, i) => {
      if (data.kinds[i] !== "open") return;
      const x = u.valToPos(start, "x", true);
      for (const name of this.order) {
        const value = data.values[data.names.indexOf(name)]?.[i];
        if (value === null || value === undefined) continue;
        ctx.strokeStyle = this.colors.get(name) ?? "#888";
        ctx.beginPath();
        ctx.arc(x, u.valToPos(value, "y", true), MARK_RADIUS * ratio, 0, 2 * Math.PI);
        ctx.fill();
        ctx.stroke();
        this.openMarks.push({ start, name, value });
      }
    });
    ctx.fillStyle = cssVar("--muted") || "#6b6b70";
    ctx.font = `${12 * ratio}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const [from, to] of listOpenRuns(data)) {
      const left = u.valToPos(from, "x", true);
      const right = u.valToPos(to + data.step, "x", true);
      ctx.fillText("open", (left + right) / 2, bbox.top + 4 * ratio);
    }
    ctx.restore();
  }

  /** A vertical line at the selected window. */
  private drawSelected(u: uPlot): void {
    if (this.selected === null) return;
    const { ctx, bbox } = u;
    const x = Math.round(u.valToPos(this.selected, "x", true));
    if (x < bbox.left || x > bbox.left + bbox.width) return;
    ctx.save();
    ctx.strokeStyle = cssVar("--selected") || "#555";
    ctx.lineWidth = 2 * devicePixelRatio;
    ctx.setLineDash([4 * devicePixelRatio, 4 * devicePixelRatio]);
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    ctx.restore();
  }
}
