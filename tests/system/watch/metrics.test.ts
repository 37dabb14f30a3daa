/**
 * GET /metrics (issue 9, item 2) on the compiled binary: the figures agree with the run's summary
 * line and with what it wrote to Redis; /readyz follows Redis going and coming back; the
 * listener binds loopback for `:PORT`, refuses a taken port with one line, and shows no secret.
 */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { networkInterfaces } from "node:os";
import pkg from "../../../package.json" with { type: "json" };
import { buildCycledStream } from "../../support/corpus.ts";
import { startFixtureServer } from "../../support/fixture-server.ts";
import { listeningAt, parseSamples, scrape, valueOf } from "../../support/metrics.ts";
import { killStrayRuns, runWikistream, skippedOf, spawnTracked, summaryOf, terminate, waitFor } from "../../support/process.ts";
import { findFreePort, startRedis } from "../../support/redis.ts";
import { shareFixtureServer, shareRedis } from "../../support/shared.ts";

setDefaultTimeout(60_000);

const WINDOW_MS = 10_000;
const LATENESS_MS = 20_000;
const cycled = buildCycledStream({ cycles: 2, windowMs: WINDOW_MS, canaryEvery: 40 });
// A few broken events among the real ones, so that more than one skip reason has a count.
const events = [...cycled.events];
events.splice(300, 0, "{not json");
events.splice(600, 0, "[1, 2]");
events.splice(900, 0, '{"meta":{"dt":"2021-10-08T10:00:00Z"},"server_name":""}');
const sinceMs = Math.floor(cycled.firstMs / WINDOW_MS) * WINDOW_MS;
/** The end of the last window the data makes final (the newest event time minus the lateness). */
const lastFinalEndMs = Math.floor((cycled.lastMs - LATENESS_MS) / WINDOW_MS) * WINDOW_MS;
const windowArgs = ["--window", `${WINDOW_MS / 1000}s`, "--lateness", `${LATENESS_MS / 1000}s`, "--since", String(sinceMs)];

const redis = shareRedis();

afterEach(killStrayRuns);

/** Window starts (seconds) in `<prefix>epochs` that the checkpoint says are final. */
async function finalEpochs(prefix: string): Promise<number[]> {
  const finalMs = Number((await redis.client.hget(`${prefix}checkpoint`, "final_ms")) ?? 0);
  const starts = (await redis.client.zrange(`${prefix}epochs`, 0, -1)).map(Number);
  return starts.filter((start) => start * 1000 + WINDOW_MS <= finalMs);
}

describe("/metrics after a replay", () => {
  // About 5 s of reading, and the connection held open at the end so the run stays up.
  const server = shareFixtureServer({ events, ratePerSec: 2000, chunkEvents: 25, atEnd: "hold" });

  test("mid-run and at the end, the figures equal the summary line and the final windows in Redis", async () => {
    const prefix = "metrics:";
    const run = spawnTracked(["--url", server.url, "--redis-url", redis.url, "--prefix", prefix, "--listen", "127.0.0.1:0", ...windowArgs]);
    const base = await listeningAt(run);

    let mid = await scrape(base);
    await waitFor(async () => valueOf((mid = await scrape(base)), "wikistream_events_read_total") > 1000, 20_000, "a thousand events read");
    expect(valueOf(mid, "wikistream_events_read_total")).toBeLessThan(events.length);
    expect(valueOf(mid, "wikistream_stream_connected")).toBe(1);
    expect(valueOf(mid, "wikistream_stream_connections_total")).toBe(1);

    // Everything sent is read, and every window the data makes final is in Redis.
    await waitFor(async () => Number((await redis.client.hget(`${prefix}checkpoint`, "final_ms")) ?? 0) >= lastFinalEndMs, 30_000, "the last final window in Redis");
    let end = await scrape(base);
    await waitFor(async () => valueOf((end = await scrape(base)), "wikistream_backlog_windows") === 0, 10_000, "an empty backlog");
    const finals = await finalEpochs(prefix);

    const result = await terminate(run);
    expect(result.code).toBe(0);
    const summary = summaryOf(result.stderr);
    const counted = Number(/; (\d+) counted/.exec(summary)?.[1]);
    expect(counted).toBeGreaterThan(8000);

    expect(valueOf(end, "wikistream_events_read_total")).toBe(events.length);
    expect(valueOf(end, 'wikistream_events_total{outcome="counted"}')).toBe(counted);
    // Twenty seconds of lateness against the capture's 58 s of disorder: some events come too late.
    const late = Number(/; (\d+) late/.exec(summary)?.[1]);
    expect(late).toBeGreaterThan(0);
    expect(valueOf(end, 'wikistream_events_total{outcome="late"}')).toBe(late);
    expect(valueOf(end, 'wikistream_events_total{outcome="after_until"}')).toBe(0);
    const skipped = skippedOf(summary);
    expect(Object.keys(skipped).sort()).toEqual(["bad-server-name", "canary", "invalid-json", "not-object"]);
    for (const reason of ["invalid-json", "not-object", "no-server-name", "bad-server-name", "bad-unicode", "bad-time", "canary", "oversized", "duplicate", "filtered", "other-event-type"]) {
      expect([reason, valueOf(end, `wikistream_events_skipped_total{reason="${reason.replaceAll("-", "_")}"}`)]).toEqual([reason, skipped[reason] ?? 0]);
    }

    expect(finals.length).toBeGreaterThan(40);
    expect(valueOf(end, "wikistream_windows_written_total")).toBe(finals.length);
    const writes = valueOf(end, "wikistream_sink_writes_total");
    expect(writes).toBeGreaterThan(0);
    expect(valueOf(end, "wikistream_sink_write_duration_seconds_count")).toBe(writes);
    expect(valueOf(end, 'wikistream_sink_write_duration_seconds_bucket{le="+Inf"}')).toBe(writes);
    expect(valueOf(end, "wikistream_last_write_timestamp_seconds") * 1000).toBeGreaterThan(Date.now() - 60_000);
    expect(valueOf(end, "wikistream_lag_seconds")).toBeGreaterThan(0);
    expect(valueOf(end, "wikistream_ready")).toBe(1);
    // Counters only grow between the two scrapes.
    for (const [series, value] of mid) if (series.endsWith("_total") && series.startsWith("wikistream_")) expect([series, valueOf(end, series) >= value]).toEqual([series, true]);
  });
});

describe("/readyz follows Redis", () => {
  test("503 while Redis is down, 200 once it is back; /healthz stays 200", async () => {
    const own = await startRedis(["--appendonly", "yes", "--appendfsync", "always"]);
    // Slow enough that events still flow (and writes are due) when Redis goes away and comes back.
    const server = startFixtureServer({ events, ratePerSec: 300, chunkEvents: 10, atEnd: "hold" });
    try {
      const run = spawnTracked(["--url", server.url, "--redis-url", own.url, "--prefix", "ready:", "--listen", "127.0.0.1:0", ...windowArgs]);
      const base = await listeningAt(run);
      const status = async (path: string) => (await fetch(`${base}${path}`)).status;
      await waitFor(async () => (await status("readyz")) === 200, 20_000, "/readyz 200");

      await own.kill();
      await waitFor(async () => (await status("readyz")) === 503, 20_000, "/readyz 503 with Redis down");
      expect(await status("healthz")).toBe(200);
      const body = (await (await fetch(`${base}readyz`)).json()) as { service: string; status: string; reason: string };
      expect(body).toEqual({ service: "wikistream", status: "not ready", reason: "waiting for Redis" });
      expect(valueOf(await scrape(base), "wikistream_ready")).toBe(0);

      await own.start();
      // Both at one moment: the gauge and /readyz read the same state, but two requests apart a
      // retry due at the reconnect can still be landing.
      await waitFor(async () => (await status("readyz")) === 200 && valueOf(await scrape(base), "wikistream_ready") === 1, 20_000, "/readyz 200 and wikistream_ready 1 with Redis back");
      expect(await status("healthz")).toBe(200);
      expect((await terminate(run)).code).toBe(0);
    } finally {
      await server.stop();
      await own.stop();
    }
  });
});

describe("the listener", () => {
  test("a port in use exits 2 with one line", async () => {
    const holder = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const result = await runWikistream(["--url", "http://127.0.0.1:1/", "--listen", `127.0.0.1:${holder.port}`], { timeoutMs: 30_000 });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr.trim().split("\n")).toEqual([`error: --listen 127.0.0.1:${holder.port}: the port is in use: pick another port (or stop what holds it)`]);
    } finally {
      holder.stop(true);
    }
  });

  test("':PORT' binds 127.0.0.1 only, and nothing served names Redis, its password or a header", async () => {
    const password = "metrics-secret-9f3c";
    const locked = await startRedis(["--requirepass", password]);
    const port = await findFreePort();
    const userAgent = "metrics-test-agent/1.0 (ua-marker-5d1e)";
    try {
      const url = `redis://:${password}@127.0.0.1:${locked.port}`;
      const run = spawnTracked(["--url", "http://127.0.0.1:1/", "--user-agent", userAgent, "--listen", `:${port}`, "--prefix", "secret:"], { env: { REDIS_URL: url } });
      const base = await listeningAt(run);
      expect(base).toBe(`http://127.0.0.1:${port}/`);
      const other = Object.values(networkInterfaces())
        .flat()
        .find((address) => address !== undefined && address.family === "IPv4" && !address.internal);
      if (other !== undefined) {
        const reached = await fetch(`http://${other.address}:${port}/healthz`, { signal: AbortSignal.timeout(2000) }).then(() => true, () => false);
        expect(reached).toBe(false);
      }
      await waitFor(async () => valueOf(await scrape(base), 'wikistream_stream_reconnects_total{cause="network"}') > 0, 10_000, "a failed stream connection");
      for (const path of ["metrics", "healthz", "readyz", "nowhere"]) {
        const response = await fetch(`${base}${path}`);
        const text = `${[...response.headers].join("\n")}\n${await response.text()}`;
        for (const secret of [password, "redis://", `127.0.0.1:${locked.port}`, userAgent, "ua-marker", "user-agent"]) {
          expect([path, secret, text.toLowerCase().includes(secret.toLowerCase())]).toEqual([path, secret, false]);
        }
      }
      expect((await terminate(run)).code).toBe(0);
    } finally {
      await locked.stop();
    }
  });

  test("/metrics is Prometheus text with help on each metric, wikistream_build_info carries the version, unknowns have no sample", async () => {
    const version = await runWikistream(["--version"]);
    const commit = /\(([^)]+)\)/.exec(version.stdout)?.[1];
    const run = spawnTracked(["--url", "http://127.0.0.1:1/", "--listen", "127.0.0.1:0"]);
    const base = await listeningAt(run);
    const response = await fetch(`${base}metrics`);
    expect(response.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
    const text = await response.text();
    const samples = parseSamples(text);
    expect(valueOf(samples, `wikistream_build_info{version="${pkg.version}",commit="${commit}"}`)).toBe(1);

    const helped = new Set([...text.matchAll(/^# HELP (\S+) \S/gm)].map((m) => m[1]));
    const typed = new Set([...text.matchAll(/^# TYPE (\S+) (counter|gauge|histogram)$/gm)].map((m) => m[1]));
    for (const series of samples.keys()) {
      const base = series.split("{")[0] ?? "";
      // A histogram's _bucket, _sum and _count series share its HELP and TYPE lines.
      const name = helped.has(base) ? base : base.replace(/_(bucket|sum|count)$/, "");
      expect([series, helped.has(name), typed.has(name)]).toEqual([series, true, true]);
    }
    // Before the first event and the first write there is nothing to tell: no sample, not 0.
    expect(text).toContain("# TYPE wikistream_lag_seconds gauge");
    expect(samples.has("wikistream_lag_seconds")).toBe(false);
    expect(samples.has("wikistream_last_write_timestamp_seconds")).toBe(false);
    expect(valueOf(samples, "wikistream_ready")).toBe(0);
    expect(valueOf(samples, "wikistream_standby")).toBe(0);
    // The process metrics that work under Bun, and none of those that report nothing true there.
    expect(valueOf(samples, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(valueOf(samples, "process_resident_memory_bytes")).toBeGreaterThan(1_000_000);
    expect(valueOf(samples, "process_open_fds")).toBeGreaterThan(0);
    expect(text).not.toMatch(/^nodejs_(active_|gc_|heap_space_|version_info)/m);
    expect((await terminate(run)).code).toBe(0);
  });
});
