/**
 * `wikistream healthcheck`, the Dockerfile's HEALTHCHECK: 0 while a running instance answers
 * /healthz (or /readyz with --ready), 1 with one line when it does not.
 */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createReplayScenario } from "../support/corpus.ts";
import { startFixtureServer } from "../support/fixture-server.ts";
import { killStrayRuns, runWikistream, spawnTracked, waitFor } from "../support/process.ts";
import { findFreePort } from "../support/redis.ts";

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
