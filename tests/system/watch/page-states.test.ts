/**
 * The live page reads at a glance (issue 17, item 9), in chromium against the compiled binary:
 * the open windows drawn apart from the final lines, the y axis titled with the run's window
 * length, an empty page that says what it waits for, and a stream that never connected named
 * by its cause on the page and in /readyz.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Page } from "playwright-core";
import { openPage, startListening, useBrowser } from "../../support/browser.ts";
import { createReplayScenario } from "../../support/corpus.ts";
import { startFixtureServer } from "../../support/fixture-server.ts";
import { waitFor } from "../../support/process.ts";

setDefaultTimeout(60_000);

// 20 s windows, so that a title saying 30 s (the default) is caught.
const { stream, sinceMs } = createReplayScenario({ cycles: 3, untilIntoLastCycleMs: 95_000, windowMs: 20_000 });

const browser = useBrowser();

/** Runs in the page before its script: every text drawn on a canvas (axis titles, labels) is kept in window.__canvasText. */
function recordCanvasText(): void {
  const texts = new Set<string>();
  Object.assign(window, { __canvasText: texts });
  const fillText = CanvasRenderingContext2D.prototype.fillText;
  CanvasRenderingContext2D.prototype.fillText = function (this: CanvasRenderingContext2D, text: string, x: number, y: number, maxWidth?: number) {
    texts.add(text);
    if (maxWidth === undefined) fillText.call(this, text, x, y);
    else fillText.call(this, text, x, y, maxWidth);
  };
}

/** Waits until `text` has been drawn on a canvas of the page. */
async function waitForCanvasText(page: Page, text: string): Promise<void> {
  await page.waitForFunction((wanted) => (window as Window & { __canvasText?: Set<string> }).__canvasText?.has(wanted) === true, text, { timeout: 10_000 });
}

/** Polls GET /readyz until its reason contains `cause`; returns the last answer. */
async function waitForReadyReason(url: string, cause: string): Promise<{ code: number; reason: string }> {
  let last = { code: 0, reason: "" };
  await waitFor(
    async () => {
      const response = await fetch(`${url}readyz`);
      last = { code: response.status, reason: ((await response.json()) as { reason: string }).reason };
      return last.reason.includes(cause);
    },
    20_000,
    `/readyz naming ${cause}`,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}; it said ${last.code} '${last.reason}'`);
  });
  return last;
}

/** The page says it waits, and why (`because`); no chart is drawn (no 0–1 axis) and no bare table header is shown. */
async function expectWaitingPage(page: Page, because: string): Promise<void> {
  await page.waitForFunction((cause) => document.getElementById("empty")?.innerText.includes(cause) === true, because, { timeout: 20_000 });
  expect(await page.locator("#empty").isVisible()).toBe(true);
  expect(await page.locator("#empty").innerText()).toMatch(/waiting/i);
  expect(await page.locator("#chart .uplot").count()).toBe(0);
  expect(await page.locator("#table").isVisible()).toBe(false);
}

describe("the live page reads at a glance, in chromium, against the binary", () => {
  test("open windows are hollow marks labelled open, never joined to the final lines; the y axis says changes per 20s window", async () => {
    const paced = startFixtureServer({ events: stream.events, ratePerSec: 500, chunkEvents: 10, atEnd: "hold" });
    try {
      const { url } = await startListening(["--url", paced.url, "--since", String(sinceMs), "--window", "20s", "--format", "jsonl"]);
      const { page } = await openPage(browser, url, recordCanvasText);
      await page.waitForFunction(
        () => {
          const plot = window.__wikistream?.plot;
          return plot !== undefined && plot.kinds.includes("final") && plot.kinds.includes("open") && plot.names.length >= 5;
        },
        undefined,
        { timeout: 20_000 },
      );
      await waitForCanvasText(page, "changes per 20s window");
      await waitForCanvasText(page, "open");
      // Read together, in one turn of the page's loop: what it plots, and what the chart drew of it.
      const { plot, drawn } = await page.evaluate(() => ({ plot: window.__wikistream?.plot, drawn: window.__wikistream?.drawn() }));
      if (plot === undefined || drawn === undefined || drawn === null) throw new Error("nothing plotted");
      expect(plot.step).toBe(20);
      const open = plot.x.flatMap((start, i) => (plot.kinds[i] === "open" ? [i] : []));
      const finals = plot.x.flatMap((start, i) => (plot.kinds[i] === "final" ? [i] : []));
      plot.names.forEach((name, s) => {
        const line = drawn.lines[name] ?? [];
        // The lines hold the final windows only: no segment reaches into an open window.
        for (const i of open) expect(line[i]).toBeNull();
        for (const i of finals) expect(line[i]).toBe(plot.values[s]?.[i] ?? Number.NaN);
      });
      // Each wiki's partial count in each open window is a mark of its own.
      const expected = open.flatMap((i) => plot.names.map((name, s) => ({ start: plot.x[i] ?? Number.NaN, name, value: plot.values[s]?.[i] ?? Number.NaN })));
      const byStartName = (a: { start: number; name: string }, b: { start: number; name: string }) => a.start - b.start || a.name.localeCompare(b.name);
      expect([...drawn.openMarks].sort(byStartName)).toEqual(expected.sort(byStartName));
      await page.click("#mode-share");
      await waitForCanvasText(page, "% of the changes per 20s window");
      await page.close();
    } finally {
      await paced.stop();
    }
  });

  test("a stream that never connected: /readyz and the page name the cause (content type, DNS, HTTP status), and the empty page says it waits for it", async () => {
    const portal = startFixtureServer({
      events: [],
      respond: () => new Response("<!doctype html><html><head><title>Sign in to the Wi-Fi</title></head></html>", { headers: { "content-type": "text/html; charset=utf-8" } }),
    });
    const failing = startFixtureServer({ events: [], respond: () => new Response("upstream down", { status: 503 }) });
    try {
      const html = await startListening(["--url", portal.url]);
      const dns = await startListening(["--url", "http://wikistream-test.invalid/v2/stream/recentchange"]);
      const status = await startListening(["--url", failing.url]);
      // The DNS failure shows by its host name, whatever the resolver's code (ENOTFOUND, or EAI_AGAIN without a resolver).
      const host = "wikistream-test.invalid";
      for (const [run, cause] of [[html, "text/html"], [dns, host], [status, "HTTP 503"]] as const) {
        const ready = await waitForReadyReason(run.url, cause);
        expect(ready.code).toBe(503);
        expect(ready.reason).toStartWith("the stream has not connected yet");
      }
      for (const [run, cause] of [[html, "text/html"], [dns, host]] as const) {
        const { page } = await openPage(browser, run.url);
        await page.waitForFunction((wanted) => document.getElementById("s-connection")?.innerText.includes(wanted) === true, cause, { timeout: 20_000 });
        await expectWaitingPage(page, cause);
        await page.close();
      }
    } finally {
      await portal.stop();
      await failing.stop();
    }
  });

  test("a stream connected but quiet: the empty page says it waits for the first event", async () => {
    const quiet = startFixtureServer({ events: [], atEnd: "hold" });
    try {
      const { url } = await startListening(["--url", quiet.url]);
      const { page } = await openPage(browser, url);
      await expectWaitingPage(page, "The stream is connected, waiting for its first event.");
      expect(await page.locator("#s-connection").innerText()).toBe("ready");
      await page.close();
    } finally {
      await quiet.stop();
    }
  });
});
