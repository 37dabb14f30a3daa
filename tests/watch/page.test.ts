/**
 * The live page (issue 9, item 3) in a real browser: Debian's chromium driven by playwright-core,
 * against the compiled binary on a paced replay into a real redis-server. What the page plots
 * and tables is compared with what the run wrote to Redis; every request it makes must stay on
 * its own origin. The event stream's messages are also read in-process (snapshot, deltas, the
 * back-fill from history).
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { Telemetry } from "../../src/run/telemetry.ts";
import type { WindowView } from "../../src/window/types.ts";
import { createLiveRoutes } from "../../src/serve/live.ts";
import type { LiveMessage } from "../../src/serve/page/messages.ts";
import type { PlotData } from "../../src/serve/page/series.ts";
import { openPage, startListening, useBrowser } from "../support/browser.ts";
import { createReplayScenario } from "../support/corpus.ts";
import { startFixtureServer } from "../support/fixture-server.ts";
import { waitFor } from "../support/process.ts";
import { startRedis, type TestRedis } from "../support/redis.ts";

setDefaultTimeout(30_000);

const ROOT = new URL("../..", import.meta.url).pathname;
const ARTIFACTS = join(ROOT, "tests", "artifacts");
const PREFIX = "page:";
// --since 10 s into a window: that first window is known to miss events (marked incomplete).
const { stream, sinceMs } = createReplayScenario({ cycles: 3, untilIntoLastCycleMs: 95_000 });
const SINCE = String(sinceMs + 10_000);

const browser = useBrowser();

/** The page's probe, read in the page as plain data. */
async function readProbe(page: Page): Promise<{ received: number; plot: PlotData | undefined; selected: number | null }> {
  return page.evaluate(() => {
    const probe = window.__wikistream;
    return { received: probe?.received ?? 0, plot: probe?.plot, selected: probe?.selected ?? null };
  });
}

/** A window's counts in Redis (an absent key is a quiet window: no counts). */
async function readRedisWindow(redis: TestRedis, start: number): Promise<Record<string, number>> {
  const flat = await redis.client.zrange(`${PREFIX}${start}`, 0, -1, "WITHSCORES");
  const counts: Record<string, number> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) counts[flat[i] ?? ""] = Number(flat[i + 1]);
  return counts;
}

/** The plotted values of window `index`, by wiki. */
function columnOf(plot: PlotData, index: number): Record<string, number | null> {
  return Object.fromEntries(plot.names.map((name, i) => [name, plot.values[i]?.[index] ?? null]));
}

/** The open windows' totals as plotted, as one comparable text. */
function openTotals(plot: PlotData | undefined): string {
  return JSON.stringify(plot?.x.flatMap((start, i) => (plot.kinds[i] === "open" ? [[start, plot.totals[i]]] : [])));
}

/** The chart: a canvas, a legend naming the wikis, and its newest final window (≥ 5 wikis) as Redis has it, incomplete ones marked. */
async function expectChartAsRedis(page: Page, redis: TestRedis): Promise<void> {
  expect(await page.locator("#chart canvas").count()).toBeGreaterThan(0);
  const legend = await page.locator("#chart .u-legend").innerText();
  for (const name of (await readProbe(page)).plot?.names ?? []) expect(legend).toContain(name);
  let plot: PlotData | undefined;
  let start = 0;
  // The page may show a final window a moment before its last write lands in Redis.
  await waitFor(
    async () => {
      plot = (await readProbe(page)).plot;
      const index = plot?.kinds.lastIndexOf("final") ?? -1;
      if (plot === undefined || index === -1) return false;
      start = plot.x[index] ?? 0;
      const inRedis = await readRedisWindow(redis, start);
      return Bun.deepEquals(columnOf(plot, index), Object.fromEntries(plot.names.map((name) => [name, inRedis[name] ?? 0])));
    },
    10_000,
    "the newest final window plotted as in Redis",
  );
  expect(plot?.names.length).toBeGreaterThanOrEqual(5);
  expect(await redis.client.zscore(`${PREFIX}epochs`, String(start))).toBe(String(start));
  // The window cut by --since is incomplete, in Redis and on the chart; the others are not.
  const incomplete = (await redis.client.smembers(`${PREFIX}incomplete`)).map(Number);
  expect(incomplete.length).toBeGreaterThan(0);
  const finals = plot?.x.filter((_, i) => plot?.kinds[i] === "final") ?? [];
  expect(finals.filter((x) => plot?.incomplete[plot.x.indexOf(x)])).toEqual(finals.filter((x) => incomplete.includes(x)));
}

/** The open windows' counts change on the page while it stays loaded. */
async function expectOpenWindowLive(page: Page): Promise<void> {
  await page.evaluate(() => Object.assign(window, { __notReloaded: true }));
  const before = openTotals((await readProbe(page)).plot);
  await page.waitForFunction(
    (seen) => {
      const plot = window.__wikistream?.plot;
      return JSON.stringify(plot?.x.flatMap((start, i) => (plot.kinds[i] === "open" ? [[start, plot.totals[i]]] : []))) !== seen;
    },
    before,
    { timeout: 10_000 },
  );
  expect(await page.evaluate(() => (window as Window & { __notReloaded?: boolean }).__notReloaded)).toBe(true);
}

/** A clicked final window is tabled as Redis has it (every wiki, counts and shares); share mode plots the same shares. */
async function expectTableAsRedis(page: Page, redis: TestRedis): Promise<void> {
  const clicked = await selectOlderFinal(page);
  const rows = await page.locator("#table tbody tr").evaluateAll((trs) => trs.map((tr) => [(tr as HTMLElement).dataset.wiki ?? "", Number((tr as HTMLElement).dataset.count)] as const));
  expect(Object.fromEntries(rows)).toEqual(await readRedisWindow(redis, clicked));
  expect(await page.locator("#table").getAttribute("data-start")).toBe(String(clicked));
  const total = rows.reduce((sum, [, n]) => sum + n, 0);
  const [topName, topCount] = rows[0] ?? ["", 0];
  expect(await page.locator("#table tbody tr >> nth=0 >> td >> nth=3").innerText()).toBe(`${((topCount / total) * 100).toFixed(1)}%`);
  await page.click("#mode-share");
  await page.waitForFunction(() => window.__wikistream?.plot?.mode === "share");
  const shares = (await readProbe(page)).plot;
  const busiest = shares?.names.indexOf(topName) ?? -1;
  expect(busiest).not.toBe(-1);
  expect(shares?.values[busiest]?.[shares.x.indexOf(clicked)] ?? Number.NaN).toBeCloseTo((topCount / total) * 100, 1);
  await page.click("#mode-counts");
  await page.waitForFunction(() => window.__wikistream?.plot?.mode === "counts");
}

/** Every request went to the page's own origin. */
function expectSameOrigin(requests: readonly string[], url: string): void {
  const origin = new URL(url).origin;
  expect(requests.length).toBeGreaterThanOrEqual(3);
  expect(requests.filter((r) => new URL(r).origin !== origin)).toEqual([]);
}

describe("the live page, in chromium, against the binary and Redis", () => {
  test("plots the busiest wikis as Redis has them, updates the open window live, tables a clicked window, and loads nothing from elsewhere", async () => {
    const paced = startFixtureServer({ events: stream.events, ratePerSec: 500, chunkEvents: 10, atEnd: "hold" });
    const redis = await startRedis();
    try {
      const { url } = await startListening(["--url", paced.url, "--since", SINCE, "--redis-url", redis.url, "--prefix", PREFIX]);
      const { page, requests } = await openPage(browser, url);
      // Two final windows at least (one followed, one to click), and open ones after them.
      await page.waitForFunction(
        () => {
          const plot = window.__wikistream?.plot;
          return plot !== undefined && plot.kinds.filter((k) => k === "final").length >= 2 && plot.kinds.includes("open") && plot.names.length >= 5;
        },
        undefined,
        { timeout: 15_000 },
      );
      await expectChartAsRedis(page, redis);
      await expectOpenWindowLive(page);
      await expectTableAsRedis(page, redis);
      // A picture of it (tests/artifacts/; WIKISTREAM_UPDATE_DOCS_SCREENSHOT=1 also refreshes the README's).
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "page.png") });
      if (process.env.WIKISTREAM_UPDATE_DOCS_SCREENSHOT === "1") copyFileSync(join(ARTIFACTS, "page.png"), join(ROOT, "docs", "watching.png"));
      // The status says Redis is in use, that windows are open, and when the last write landed.
      expect(await page.locator("#s-sink").innerText()).toStartWith("Redis");
      expect(await page.locator("#s-write").innerText()).toContain("ago");
      expect(Number(await page.locator("#s-open").innerText())).toBeGreaterThan(0);
      expectSameOrigin(requests, url);
      await page.close();
    } finally {
      await paced.stop();
      await redis.stop();
    }
  });

  test("works without Redis: windows come from the process, and the status says stdout", async () => {
    const paced = startFixtureServer({ events: stream.events, ratePerSec: 1000, chunkEvents: 10, atEnd: "hold" });
    try {
      const { url } = await startListening(["--url", paced.url, "--since", SINCE, "--format", "jsonl"]);
      const { page, requests } = await openPage(browser, url);
      await page.waitForFunction(() => window.__wikistream?.plot?.kinds.includes("final") === true, undefined, { timeout: 15_000 });
      expect(await page.locator("#s-sink").innerText()).toContain("stdout");
      expect(await page.locator("#table tbody tr").count()).toBeGreaterThan(0);
      expectSameOrigin(requests, url);
      await page.close();
    } finally {
      await paced.stop();
    }
  });
});

describe("the live page with several --by views", () => {
  test("a view picker lists the run's views; picking one plots and tables that view, composite members readable", async () => {
    const paced = startFixtureServer({ events: stream.events, ratePerSec: 1000, chunkEvents: 10, atEnd: "hold" });
    try {
      const { url } = await startListening(["--url", paced.url, "--since", SINCE, "--format", "jsonl", "--by", "server_name", "--by", "type", "--by", "server_name,bot"]);
      const { page, requests } = await openPage(browser, url);
      await page.waitForFunction(() => window.__wikistream?.plot?.kinds.includes("final") === true, undefined, { timeout: 15_000 });
      expect(await page.locator("#view-box").isVisible()).toBe(true);
      expect(await page.locator("#view option").allInnerTexts()).toEqual(["server_name", "type", "server_name,bot"]);
      await page.selectOption("#view", "type");
      await page.waitForFunction(() => (window.__wikistream?.plot?.names ?? []).includes("edit"), undefined, { timeout: 5_000 });
      const names = (await readProbe(page)).plot?.names ?? [];
      expect(names.every((name) => ["edit", "new", "log", "categorize", "external", "(none)"].includes(name))).toBe(true);
      expect(await page.locator("#table-member").innerText()).toBe("type");
      expect(await page.locator("#chart-title").innerText()).toBe("Busiest by type, last hour");
      await page.selectOption("#view", "server_name,bot");
      await page.waitForFunction(() => (window.__wikistream?.plot?.names ?? []).some((name) => name.endsWith(" · true") || name.endsWith(" · false")), undefined, { timeout: 5_000 });
      const rows = await page.locator("#table tbody tr td:nth-child(2)").allInnerTexts();
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((name) => / · (true|false)$/.test(name))).toBe(true);
      expectSameOrigin(requests, url);
      await page.close();
    } finally {
      await paced.stop();
    }
  });
});

/** Clicks the chart on the final window before the newest one, and waits until the page selected it. */
async function selectOlderFinal(page: Page): Promise<number> {
  const { plot, selected } = await readProbe(page);
  const finals = plot?.x.filter((_, i) => plot.kinds[i] === "final") ?? [];
  const target = finals[finals.length - 2];
  if (target === undefined) throw new Error("fewer than two final windows plotted");
  expect(target).not.toBe(selected ?? -1);
  const point = await page.evaluate((start) => window.__wikistream?.pointAt(start) ?? null, target);
  if (point === null) throw new Error(`no point plotted at ${target}`);
  await page.mouse.click(point.x, point.y);
  await page.waitForFunction((start) => window.__wikistream?.selected === start, target, { timeout: 5_000 });
  return target;
}

/** Reads the messages of an event stream as they come. */
function readMessages(body: ReadableStream<Uint8Array>): () => Promise<LiveMessage | null> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return async () => {
    for (;;) {
      const end = buffer.indexOf("\n\n");
      if (end !== -1) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame.split("\n").find((line) => line.startsWith("data: "));
        if (data !== undefined) return JSON.parse(data.slice(6)) as LiveMessage;
        continue;
      }
      const { value, done } = await reader.read();
      if (done) return null;
      buffer += decoder.decode(value, { stream: true });
    }
  };
}

function view(startS: number, counts: Record<string, number>, final: boolean, incomplete = false): WindowView {
  const map = new Map(Object.entries(counts));
  return { startMs: startS * 1000, endMs: (startS + 30) * 1000, total: [...map.values()].reduce((a, b) => a + b, 0), counts: map, final, incomplete };
}

describe("GET /events, in-process", () => {
  test("a snapshot first, then deltas (new final windows whole, open windows' changed counts only), and a new snapshot once the history is in", async () => {
    const telemetry = new Telemetry();
    let open = [view(90, { "a.org": 1, "b.org": 2 }, false)];
    telemetry.attach({ newestEventMs: () => 100_000, openWindows: () => open, backlog: () => 0 });
    let giveHistory: (windows: WindowView[]) => void = () => undefined;
    const history = new Promise<WindowView[]>((resolve) => (giveHistory = resolve));
    const live = createLiveRoutes({ telemetry, redis: true, loadHistory: () => history });
    const events = live.routes["/events"];
    if (typeof events !== "function") throw new Error("/events is no handler");
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, routes: { "/events": events } });
    try {
      const response = await fetch(`${server.url.href}events`);
      expect(response.headers.get("content-type")).toBe("text/event-stream");
      const next = readMessages(response.body ?? new ReadableStream());
      const first = await next();
      expect(first).toMatchObject({ kind: "snapshot", windows: [], open: [{ start: 90, end: 120, total: 3, incomplete: false, counts: { "a.org": 1, "b.org": 2 } }] });
      expect(first?.status).toMatchObject({ redis: true, history: "loading", openWindows: 1, lastWrite: null });

      open = [view(90, { "a.org": 1, "b.org": 5 }, false)];
      telemetry.recordWindows([view(60, { "c.org": 7 }, true)], [60_000]);
      const second = await next();
      expect(second).toMatchObject({ kind: "delta", windows: [{ start: 60, total: 7, incomplete: true, counts: { "c.org": 7 } }], open: [{ start: 90, total: 6, counts: { "b.org": 5 } }] });

      giveHistory([view(0, { "d.org": 4 }, true), view(30, { "d.org": 1 }, true)]);
      let third = await next();
      while (third?.kind === "delta") third = await next();
      expect(third?.windows.map((w) => w.start)).toEqual([0, 30, 60]);
      expect(third?.status.history).toBe("loaded");
      open = [];
      const fourth = await next();
      expect(fourth).toMatchObject({ kind: "delta", windows: [], open: [] });
      live.close();
      expect(await next()).toBeNull();
    } finally {
      live.close();
      await server.stop(true);
    }
  });
});
