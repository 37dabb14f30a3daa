/**
 * A real Prometheus scrapes the compiled binary (issue 20, items 3 and 5): Debian's prometheus
 * scrapes a `--listen` replay every second with deploy/prometheus/wikistream-rules.yml loaded;
 * its HTTP API returns the run's summary figures; `promtool check metrics` finds nothing to say
 * about /metrics; every expression of the rules and the dashboard parses and evaluates in that
 * Prometheus, and every metric they name exists in /metrics.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { buildCycledStream } from "../../support/corpus.ts";
import { fetchMetricsText, listeningAt, parseSamples, valueOf } from "../../support/metrics.ts";
import { spawnWikistream, summaryOf, terminate, waitFor, type WikistreamProcess } from "../../support/process.ts";
import {
  fillVariables,
  listDashboardQueries,
  listDeclaredNames,
  listMetricNames,
  readDashboard,
  readRules,
  readSingle,
  runPromtool,
  RULES_FILE,
  startPrometheus,
  waitForScrapeAttempt,
  type TestPrometheus,
} from "../../support/prometheus.ts";
import { findFreePort } from "../../support/redis.ts";
import { shareFixtureServer, shareRedis } from "../../support/shared.ts";

setDefaultTimeout(90_000);

const WINDOW_MS = 10_000;
const LATENESS_MS = 20_000;
const cycled = buildCycledStream({ cycles: 2, windowMs: WINDOW_MS, canaryEvery: 40 });
const sinceMs = Math.floor(cycled.firstMs / WINDOW_MS) * WINDOW_MS;
/** The end of the last window the data makes final (the newest event time minus the lateness). */
const lastFinalEndMs = Math.floor((cycled.lastMs - LATENESS_MS) / WINDOW_MS) * WINDOW_MS;
const PREFIX = "prom:";

const redis = shareRedis();
// About 10 s of reading (Prometheus scrapes it meanwhile), then the connection is held open so
// the run stays up to be scraped.
const server = shareFixtureServer({ events: cycled.events, ratePerSec: 1000, chunkEvents: 25, atEnd: "hold" });

let run: WikistreamProcess | undefined;
let base = "";
let prometheus: TestPrometheus | undefined;
/** /metrics as the binary served it once everything was written. */
let settled = "";

beforeAll(async () => {
  // Prometheus first, scraping the port the run will listen on, so that it sees the run read.
  const port = await findFreePort();
  prometheus = await startPrometheus({ targets: [`127.0.0.1:${port}`], interval: "1s", ruleFiles: [RULES_FILE] });
  await waitForScrapeAttempt(prometheus);
  const windowArgs = ["--window", `${WINDOW_MS / 1000}s`, "--lateness", `${LATENESS_MS / 1000}s`, "--since", String(sinceMs)];
  run = spawnWikistream(["--url", server.url, "--redis-url", redis.url, "--prefix", PREFIX, "--listen", `127.0.0.1:${port}`, ...windowArgs]);
  base = await listeningAt(run);
});

afterAll(async () => {
  if (run !== undefined && run.proc.exitCode === null) run.proc.kill("SIGKILL");
  await prometheus?.stop();
});

function api(): TestPrometheus {
  if (prometheus === undefined) throw new Error("prometheus did not start");
  return prometheus;
}

function started(): WikistreamProcess {
  if (run === undefined) throw new Error("wikistream did not start");
  return run;
}

/** Timestamps (s) of the samples Prometheus holds for `series` over the last minute. */
async function readSampleTimes(series: string): Promise<number[]> {
  const data = await api().query(`${series}[1m]`);
  const [first] = data.result as { values: [number, string][] }[];
  return (first?.values ?? []).map(([at]) => at);
}

describe("a real Prometheus scraping a replay", () => {
  test("scrapes it twice once everything is written; promtool check metrics finds nothing in /metrics", async () => {
    // Everything sent is read and every window the data makes final is written.
    await waitFor(async () => Number((await redis.client.hget(`${PREFIX}checkpoint`, "final_ms")) ?? 0) >= lastFinalEndMs, 60_000, "the last final window in Redis");
    await waitFor(
      async () => {
        const samples = parseSamples((settled = await fetchMetricsText(base)));
        return valueOf(samples, "wikistream_events_read_total") === cycled.events.length && valueOf(samples, "wikistream_backlog_windows") === 0;
      },
      20_000,
      "every event read and an empty backlog",
    );
    const settledAt = Date.now() / 1000;
    await waitFor(async () => (await readSampleTimes('wikistream_events_read_total{job="wikistream"}')).filter((at) => at > settledAt).length >= 2, 30_000, "two scrapes after the last write");
    expect(await readSingle(api(), 'up{job="wikistream"}')).toBe(1);
    expect(await readSingle(api(), "wikistream_events_read_total")).toBe(cycled.events.length);

    // Every series is there by now (the lag, the last write, the histogram's buckets).
    const samples = parseSamples(settled);
    expect(valueOf(samples, "wikistream_last_write_timestamp_seconds")).toBeGreaterThan(0);
    expect(valueOf(samples, "wikistream_lag_seconds")).toBeGreaterThan(0);
    expect(runPromtool(["check", "metrics"], settled)).toEqual({ code: 0, output: "" });
  });

  test("every rule evaluates without an error on the scraped data, and the recording rules have values", async () => {
    const response = (await (await fetch(`${api().url}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
    const loaded = response.data.groups.flatMap((group) => group.rules);
    const shipped = readRules().flatMap((group) => group.rules.map((rule) => ("record" in rule ? rule.record : rule.alert)));
    expect(loaded.map((rule) => rule.name).sort()).toEqual([...shipped].sort());
    // Rules run every second: wait for each to have been evaluated once since the data arrived.
    await waitFor(
      async () => {
        const now = (await (await fetch(`${api().url}/api/v1/rules`)).json()) as typeof response;
        return now.data.groups.flatMap((group) => group.rules).every((rule) => rule.health === "ok");
      },
      20_000,
      "every rule evaluated",
    );
    // Each recording rule has a value, and the rate of counted events was above 0 while the run read.
    for (const name of readRules().flatMap((group) => group.rules.flatMap((rule) => ("record" in rule ? [rule.record] : [])))) {
      await waitFor(async () => (await api().vector(name)).length > 0, 20_000, `a value of ${name}`);
    }
    const counted = await api().vector('max_over_time(instance_outcome:wikistream_events:rate1m{outcome="counted", job="wikistream"}[5m])');
    expect(counted.map((sample) => [sample.metric.instance, Number(sample.value[1]) > 0])).toEqual([[new URL(base).host, true]]);
  });

  test("every expression of the rules and the dashboard parses and evaluates; every metric it names exists in /metrics", async () => {
    const declared = listDeclaredNames(settled);
    const recorded = new Set(readRules().flatMap((group) => group.rules.flatMap((rule) => ("record" in rule ? [rule.record] : []))));
    const known = (name: string) => declared.has(name) || recorded.has(name) || name === "up";

    const ruleExprs = readRules().flatMap((group) => group.rules.map((rule) => ({ where: "record" in rule ? rule.record : rule.alert, expr: rule.expr })));
    const dashboardExprs = listDashboardQueries().map(({ panel, expr }) => ({ where: panel, expr: fillVariables(expr) }));
    expect(dashboardExprs.length).toBeGreaterThanOrEqual(10);
    const variableQueries = readDashboard().templating.list.flatMap((variable) => {
      const query = typeof variable.query === "string" ? "" : (variable.query?.query ?? "");
      // label_values(SELECTOR, label): the selector is PromQL.
      const selector = /^label_values\((.*),\s*\w+\)$/.exec(query)?.[1];
      return selector === undefined ? [] : [{ where: `variable ${variable.name}`, expr: fillVariables(selector) }];
    });
    expect(variableQueries.length).toBe(2);

    const all = [...ruleExprs, ...dashboardExprs, ...variableQueries];
    const named = new Set(all.flatMap(({ expr }) => listMetricNames(expr)));
    // The extraction finds what the files are about (a check of the check).
    for (const name of ["up", "wikistream_last_write_timestamp_seconds", "wikistream_standby", "instance_outcome:wikistream_events:rate1m", "process_resident_memory_bytes"]) {
      expect([name, named.has(name)]).toEqual([name, true]);
    }
    expect([...named].filter((name) => !known(name))).toEqual([]);

    for (const { where, expr } of all) {
      // A refusal shows Prometheus's message (bad_data: "parse error at char 42: ...").
      const answer = await api()
        .query(expr)
        .then((data) => data.resultType, (error: Error) => error.message);
      expect([where, answer]).toEqual([where, "vector"]);
    }
    // Each panel's queries draw something from this run, but the Redis errors (there were none).
    for (const { where, expr } of dashboardExprs) {
      const expected = !expr.includes("wikistream_sink_errors_total");
      expect([where, expr, (await api().vector(expr)).length > 0]).toEqual([where, expr, expected]);
    }
  });

  test("after the run ends, Prometheus holds the summary line's counted events and final windows written", async () => {
    const result = await terminate(started());
    expect(result.code).toBe(0);
    const summary = summaryOf(result.stderr);
    const counted = Number(/; (\d+) counted/.exec(summary)?.[1]);
    const windows = Number(/; (\d+) final windows? written/.exec(summary)?.[1]);
    expect(counted).toBeGreaterThan(8000);
    expect(windows).toBeGreaterThan(40);
    // The target is down now (its series are stale): the last value each had.
    await waitFor(async () => (await readSingle(api(), 'up{job="wikistream"}')) === 0, 20_000, "the target down");
    expect(await readSingle(api(), 'last_over_time(wikistream_events_total{outcome="counted"}[5m])')).toBe(counted);
    expect(await readSingle(api(), "last_over_time(wikistream_windows_written_total[5m])")).toBe(windows);
  });
});
