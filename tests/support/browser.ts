/**
 * The live page's tests in a real browser: Debian's chromium (or WIKISTREAM_BROWSER) driven by
 * playwright-core with a fresh profile, and the compiled binary started with --listen on a free port.
 */
import { afterAll, afterEach, beforeAll } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { killStrayRuns, spawnTracked, waitFor, type WikistreamProcess } from "./process.ts";

/** Debian's chromium, or the browser WIKISTREAM_BROWSER names (Google Chrome on GitHub's runners). */
const CHROMIUM = process.env.WIKISTREAM_BROWSER || "/usr/bin/chromium";

/** A headless browser with its own profile directory (removed by `close`). */
export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Starts chromium headless, with a fresh profile (playwright passes it as --user-data-dir): nothing cached from an earlier run. */
async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (bun scripts/prepare-tests.ts does it)`);
  const profile = mkdtempSync(join(tmpdir(), "wikistream-chromium-"));
  const args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args, headless: true, viewport: { width: 1200, height: 900 } });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * One browser for a test file: launched before its tests, closed after them; the runs a test
 * started are killed after it, should it fail midway. Call at the top of the file.
 */
export function useBrowser(): { get(): TestBrowser } {
  let browser: TestBrowser | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(killStrayRuns);
  return {
    get() {
      if (browser === undefined) throw new Error("the browser is not launched (useBrowser's beforeAll did not run)");
      return browser;
    },
  };
}

/** Starts the binary with --listen on a free port and returns it with the page's address. */
export async function startListening(args: string[]): Promise<{ run: WikistreamProcess; url: string }> {
  const run = spawnTracked([...args, "--listen", "127.0.0.1:0"]);
  const pattern = /serving the live page, metrics and health at (http:\/\/127\.0\.0\.1:\d+\/)/;
  await waitFor(() => pattern.test(run.stderr()) || run.proc.exitCode !== null, 10_000, "the watch server's address on stderr");
  const url = pattern.exec(run.stderr())?.[1];
  if (url === undefined) throw new Error(`no address on stderr:\n${run.stderr()}`);
  return { run, url };
}

/** Opens the page in `browser`, recording every request it makes; `init` runs in the page before its own script. */
export async function openPage(browser: { get(): TestBrowser }, url: string, init?: () => void): Promise<{ page: Page; requests: string[] }> {
  const page = await browser.get().context.newPage();
  const requests: string[] = [];
  page.on("request", (request) => requests.push(request.url()));
  if (init) await page.addInitScript(init);
  await page.goto(url);
  return { page, requests };
}
