/**
 * The live page (issue 9, item 3) in a real browser: Debian's chromium driven by playwright-core,
 * against the compiled binary on a paced replay into a real redis-server. What the page plots
 * and tables is compared with what the run wrote to Redis; every request it makes must stay on
 * its own origin. (The event stream's messages, read in-process: tests/unit/serve/live.test.ts.)
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import type { PlotData } from "../../../src/serve/page/series.ts";
import { openPage, startListening, useBrowser } from "../../support/browser.ts";
import { createReplayScenario } from "../../support/corpus.ts";
import { startFixtureServer } from "../../support/fixture-server.ts";
import { waitFor } from "../../support/process.ts";
import { startRedis, type TestRedis } from "../../support/redis.ts";

setDefaultTimeout(30_000);

const ROOT = new URL("../../..", import.meta.url).pathname;
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
