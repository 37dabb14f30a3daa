/**
 * `wikistream healthcheck`, the Dockerfile's HEALTHCHECK: 0 while a running instance answers
 * /healthz (or /readyz with --ready), 1 with one line when it does not.
 */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createReplayScenario } from "../../support/corpus.ts";
import { startFixtureServer } from "../../support/fixture-server.ts";
import { killStrayRuns, runWikistream, spawnTracked, waitFor } from "../../support/process.ts";
import { findFreePort } from "../../support/redis.ts";

setDefaultTimeout(30_000);

const { stream, sinceMs } = createReplayScenario({ cycles: 1, untilIntoLastCycleMs: 95_000 });
afterEach(killStrayRuns);

describe("wikistream healthcheck", () => {
  test("answers 0 for a live instance (from WIKISTREAM_LISTEN, as in the image), and --ready follows /readyz", async () => {
    const server = startFixtureServer({ events: stream.events, atEnd: "hold" });
    const port = await findFreePort();
    try {
      const run = spawnTracked(["--url", server.url, "--since", String(sinceMs), "--format", "jsonl"], { env: { WIKISTREAM_LISTEN: `0.0.0.0:${port}` } });
      await waitFor(() => run.stderr().includes("connected to"), 10_000, "the instance to connect");
      expect(await runWikistream(["healthcheck"], { env: { WIKISTREAM_LISTEN: `0.0.0.0:${port}` } })).toMatchObject({ code: 0, stdout: "", stderr: "" });
      expect((await runWikistream(["healthcheck", "--ready", "--listen", `:${port}`])).code).toBe(0);
      run.proc.kill("SIGTERM");
      await run.done;
      const gone = await runWikistream(["healthcheck", "--listen", `:${port}`]);
      expect(gone.code).toBe(1);
      expect(gone.stderr).toBe(`error: http://127.0.0.1:${port}/healthz did not answer (connection refused): is wikistream running with --listen there?\n`);
    } finally {
      await server.stop();
    }
  });

  test("without an address, or with a bad flag, one line and exit 1 (Docker reserves 2)", async () => {
    const result = await runWikistream(["healthcheck"]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("give --listen ADDR (or WIKISTREAM_LISTEN)");
    const stray = await runWikistream(["healthcheck", "now"]);
    expect(stray.code).toBe(1);
    expect(stray.stderr).toBe("error: unexpected argument 'now': wikistream healthcheck takes only flags (see wikistream healthcheck --help)\n");
  });
});

describe("only wikistream's own answer is healthy (issue 17, item 5)", () => {
  const PAGE_404 = `<!DOCTYPE html>\n<html>\n<head><title>404 Not Found</title>\n<style>body { font-family: sans-serif; }</style></head>\n<body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n${"<p>filler</p>\n".repeat(200)}</body>\n</html>\n`;
  const others: [string, () => Response, RegExp][] = [
    ["another web server's 200 (plain text)", () => new Response("OK\n"), /answered 200 with "OK", not wikistream's health answer/],
    ["another service's JSON health 200", () => Response.json({ status: "ok" }), /answered 200 with "\{"status":"ok"\}", not wikistream's health answer/],
    ["a 404 HTML page", () => new Response(PAGE_404, { status: 404, headers: { "content-type": "text/html" } }), /answered 404 with "404 Not Found", not wikistream's health answer/],
    ["a 200 HTML page without a title", () => new Response(`<html><body><h1>Welcome</h1><p>${"word ".repeat(500)}</p></body></html>`, { headers: { "content-type": "text/html" } }), /answered 200 with "Welcome word word word word word word word…", not/],
  ];

  test.each(others)("%s: exit 1, one line with the status and a few words of the body", async (_name, respond, expected) => {
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: respond });
    try {
      for (const ready of [[], ["--ready"]]) {
        const result = await runWikistream(["healthcheck", "--listen", `127.0.0.1:${server.port}`, ...ready]);
        expect(result.code).toBe(1);
        expect(result.stdout).toBe("");
        const lines = result.stderr.split("\n").filter(Boolean);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(expected);
        expect(lines[0]).toContain("is the address the one wikistream serves with --listen?");
        expect(lines[0]).not.toMatch(/<|filler/);
        expect((lines[0] ?? "").length).toBeLessThan(220);
      }
    } finally {
      await server.stop(true);
    }
  });

  test("a wikistream that is alive but not ready: --ready exits 1 with its reason", async () => {
    // A stream that never answers: the run is alive, but not connected.
    const silent = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Promise<Response>(() => undefined) });
    const port = await findFreePort();
    try {
      const run = spawnTracked(["--url", `http://127.0.0.1:${silent.port}/`, "--format", "jsonl", "--listen", `127.0.0.1:${port}`]);
      await waitFor(() => run.stderr().includes("serving the live page"), 30_000, "the watch server");
      expect((await runWikistream(["healthcheck", "--listen", `127.0.0.1:${port}`])).code).toBe(0);
      const notReady = await runWikistream(["healthcheck", "--ready", "--listen", `127.0.0.1:${port}`]);
      expect(notReady.code).toBe(1);
      expect(notReady.stderr).toMatch(new RegExp(`^error: http://127\\.0\\.0\\.1:${port}/readyz answered 503: not ready \\(.+\\)\\n$`));
    } finally {
      await silent.stop(true);
    }
  });
});
