/**
 * `bun run bench:views`: what a view of many members costs, measured. For each view set (the
 * default `server_name`; `server_name` + `server_name,title`; `server_name` + `user`) it replays
 * the same real-shaped span (bench/views-feed.ts: fixture events at --rate events per second of
 * event time, titles and users spread as the real stream spreads them) through
 * dist/wikistream --rollup 1h,1d --listen into a fresh redis-server, as fast as it reads, then
 * reports per view: members per window (median, max), Redis memory (MEMORY USAGE summed per key
 * kind) per day for windows, hourly and daily rollups, the write time per window (the run's own
 * wikistream_sink_write_duration_seconds histogram, scraped from /metrics, over the windows
 * written), Redis's own time in the write script (INFO commandstats), the process's peak RSS, and
 * what one live write late in the day costs for the daily rollup (the ZUNIONSTORE of the day's
 * hours the script runs on every write, timed on the replay's own keys).
 *
 *   bun run bench:views [--hours 24] [--rate 50] [--only default|title|user]
 *
 * With --hours under 24, windows and hourly rollups are scaled to a day linearly (they are
 * per-period keys), and the daily rollup's members by the Heaps exponent the feed uses.
 */
import Redis from "ioredis";
import { killChildren, spawnChild, waitUntil } from "./child.ts";
import { findFreePort, startRedis, type BenchRedis } from "./redis.ts";
import { BINARY, BINARY_ENV } from "./scenario.ts";
import { LATENESS_MS, START_MS, WINDOW_MS } from "./stream.ts";
import { TITLE_BETA, USER_BETA } from "./views-feed.ts";

/** One configuration measured: its --by lists (the first the main view) and the view it is about. */
interface ViewSet {
  name: string;
  by: string[];
  /** The view this run is about, and the Heaps exponent of its members over time (1 for bounded ones: no extrapolation). */
  view: string;
  beta: number;
}

const SETS: ViewSet[] = [
  { name: "default", by: ["server_name"], view: "server_name", beta: 0 },
  { name: "title", by: ["server_name", "server_name,title"], view: "server_name,title", beta: TITLE_BETA },
  { name: "user", by: ["server_name", "user"], view: "user", beta: USER_BETA },
];
const PREFIX = "views:";

function log(message: string): void {
  process.stderr.write(`views: ${message}\n`);
}

function readFlag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const value = i === -1 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number`);
  return value;
}

/** Starts bench/views-feed.ts and waits for its port. */
async function startViewsFeed(events: number, rate: number): Promise<{ url: string; stop(): Promise<void> }> {
  let port: number | undefined;
  const child = spawnChild(["bun", new URL("./views-feed.ts", import.meta.url).pathname, "--events", String(events), "--rate", String(rate)], {
    measurePeak: false,
    onStdout: (text) => {
      port ??= (JSON.parse(text.trim().split("\n")[0] ?? "{}") as { port?: number }).port;
    },
  });
  await waitUntil(() => port !== undefined, 60_000, "bench/views-feed.ts to start");
  return {
    url: `http://127.0.0.1:${port}/v2/stream/recentchange`,
    async stop() {
      child.kill("SIGKILL");
      await child.done;
    },
  };
}

/** The key prefix of a view's windows: the main view's is the prefix itself. */
function viewPrefix(set: ViewSet, view: string): string {
  return view === set.by[0] ? PREFIX : `${PREFIX}by:${view}:`;
}

/** Per key kind of one view: keys, bytes (MEMORY USAGE), and the windows' member counts. */
interface ViewKeys {
  windows: { keys: number; bytes: number; members: number[] };
  hour: { keys: number; bytes: number; members: number[] };
  day: { keys: number; bytes: number; members: number[]; names: string[] };
  hourNames: string[];
  windowNames: string[];
}

async function measureView(client: Redis, prefix: string): Promise<ViewKeys> {
  const result: ViewKeys = { windows: { keys: 0, bytes: 0, members: [] }, hour: { keys: 0, bytes: 0, members: [] }, day: { keys: 0, bytes: 0, members: [], names: [] }, hourNames: [], windowNames: [] };
  const keys = await client.keys(`${prefix}*`);
  for (const key of keys) {
    const rest = key.slice(prefix.length);
    const kind = /^\d+$/.test(rest) ? result.windows : /^1h:\d+$/.test(rest) ? result.hour : /^1d:\d+$/.test(rest) ? result.day : undefined;
    if (kind === undefined) continue;
    kind.keys++;
    kind.bytes += Number(await client.memory("USAGE", key, "SAMPLES", "0"));
    kind.members.push(await client.zcard(key));
    if (kind === result.day) result.day.names.push(key);
    if (kind === result.hour) result.hourNames.push(key);
    if (kind === result.windows) result.windowNames.push(key);
  }
  return result;
}

/** The histogram's sum and count and the windows written, from the last /metrics text read. */
function readMetrics(text: string): { seconds: number; writes: number; windows: number } {
  const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
  return { seconds: value("wikistream_sink_write_duration_seconds_sum"), writes: value("wikistream_sink_write_duration_seconds_count"), windows: value("wikistream_windows_written_total") };
}

/** Redis's own time in EVAL/EVALSHA/FCALL (µs) and the calls, from INFO commandstats. */
async function readScriptStats(client: Redis): Promise<{ usec: number; calls: number }> {
  const text = await client.info("commandstats");
  let usec = 0;
  let calls = 0;
  for (const match of text.matchAll(/^cmdstat_(?:eval|evalsha|fcall):calls=(\d+),usec=(\d+)/gm)) {
    calls += Number(match[1]);
    usec += Number(match[2]);
  }
  return { usec, calls };
}

/** Redis's main-thread CPU seconds so far (INFO cpu): unlike wall time, not stretched by other work on a busy machine. */
async function readRedisCpu(client: Redis): Promise<number> {
  const text = await client.info("cpu");
  const read = (name: string) => Number(new RegExp(`^${name}:(\\S+)`, "m").exec(text)?.[1] ?? Number.NaN);
  return read("used_cpu_user_main_thread") + read("used_cpu_sys_main_thread");
}

/**
 * Redis CPU (ms) of one ZUNIONSTORE of `sources` (the newest day's hours, or the newest hour's
 * windows), the mean of 5: what a live write, one window each, spends on each rollup level.
 */
async function timeRebuild(client: Redis, sources: string[]): Promise<number> {
  if (sources.length === 0) return Number.NaN;
  const before = await readRedisCpu(client);
  for (let i = 0; i < 5; i++) await client.zunionstore("views-bench-tmp", sources.length, ...sources);
  const spent = ((await readRedisCpu(client)) - before) * 1000;
  await client.del("views-bench-tmp");
  return spent / 5;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** What one view set's run measured. */
interface SetResult {
  set: ViewSet;
  views: Map<string, ViewKeys>;
  writeMsPerWindow: number;
  writes: number;
  windows: number;
  scriptMsPerWindow: number;
  peakKb: number | undefined;
  wallMs: number;
  dayRebuildMs: number;
  hourRebuildMs: number;
  usedMemory: number;
}

async function runSet(set: ViewSet, redis: BenchRedis, hours: number, rate: number): Promise<SetResult> {
  await redis.flush();
  await redis.client.config("RESETSTAT");
  const events = Math.round(hours * 3600 * rate) + Math.ceil(((LATENESS_MS + 2 * WINDOW_MS) / 1000) * rate);
  const feed = await startViewsFeed(events, rate);
  const port = findFreePort();
  let metrics = "";
  try {
    const until = new Date(START_MS + hours * 3600_000).toISOString();
    const by = set.by.flatMap((list) => ["--by", list]);
    const args = [BINARY, "--url", feed.url, "--redis-url", redis.url, "--prefix", PREFIX, "--since", new Date(START_MS).toISOString(), "--until", until, "--rollup", "1h,1d", "--retain-rollup", "0", "--listen", `127.0.0.1:${port}`, ...by];
    log(`${set.name}: ${events} events (${hours} h at ${rate}/s) through ${set.by.map((b) => `--by ${b}`).join(" ")}…`);
    const child = spawnChild(args, { env: BINARY_ENV, pollMs: 100 });
    let running = true;
    const scrape = (async () => {
      while (running) {
        try {
          metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        } catch {
          // Not listening yet, or gone: the last text read stays.
        }
        await Bun.sleep(200);
      }
    })();
    const result = await child.done;
    running = false;
    await scrape;
    if (result.code !== 0) throw new Error(`dist/wikistream (${set.name}) failed:\n${result.stderr.slice(-1500)}`);
    const { seconds, writes, windows } = readMetrics(metrics);
    const script = await readScriptStats(redis.client);
    const views = new Map<string, ViewKeys>();
    for (const view of set.by) views.set(view, await measureView(redis.client, viewPrefix(set, view)));
    const about = views.get(set.view);
    const lastDay = about?.hourNames.sort().slice(-24) ?? [];
    const lastHour = about?.windowNames.sort().slice(-3600_000 / WINDOW_MS) ?? [];
    const usedMemory = Number(/^used_memory:(\d+)/m.exec(await redis.client.info("memory"))?.[1]);
    return {
      set,
      views,
      writeMsPerWindow: (seconds * 1000) / windows,
      writes,
      windows,
      scriptMsPerWindow: script.usec / 1000 / (await redis.client.zcard(`${PREFIX}epochs`)),
      peakKb: result.peakKb,
      wallMs: result.wallMs,
      dayRebuildMs: await timeRebuild(redis.client, lastDay),
      hourRebuildMs: await timeRebuild(redis.client, lastHour),
      usedMemory,
    };
  } finally {
    await feed.stop();
  }
}

const mb = (bytes: number) => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`);

/** One markdown row for the view a run is about. */
function formatRow(r: SetResult, hours: number): string {
  const keys = r.views.get(r.set.view);
  if (keys === undefined) return "";
  const scale = 24 / hours;
  const day = keys.day.members.reduce((a, b) => a + b, 0);
  const dayBytesPerMember = keys.day.bytes / Math.max(1, day);
  // The daily rollup holds the distinct members of a day: they grow as hours^beta, not linearly.
  const dayMembers = hours >= 24 ? day : Math.round(day * scale ** r.set.beta);
  const extrapolated = hours >= 24 ? "" : " (extrapolated)";
  return [
    `| \`${r.set.view}\`${r.set.by.length > 1 ? ` (beside \`${r.set.by[0]}\`)` : ""}`,
    `${median(keys.windows.members)} / ${Math.max(...keys.windows.members)}`,
    mb(keys.windows.bytes * scale),
    `${mb(keys.hour.bytes * scale)} (${median(keys.hour.members).toLocaleString("en")} members an hour)`,
    `${mb(dayMembers * dayBytesPerMember)}, ${dayMembers.toLocaleString("en")} members${extrapolated}`,
    `${r.writeMsPerWindow.toFixed(1)} ms (${r.scriptMsPerWindow.toFixed(1)} ms in Redis; ${(r.windows / Math.max(1, r.writes)).toFixed(0)} windows a write)`,
    `${r.hourRebuildMs.toFixed(0)} ms + ${r.dayRebuildMs.toFixed(0)} ms (${Math.min(24, keys.hourNames.length)} hours)`,
    `${r.peakKb === undefined ? "?" : (r.peakKb / 1024).toFixed(0)} MB |`,
  ].join(" | ");
}

async function main(): Promise<void> {
  const hours = readFlag("--hours", 24);
  const rate = readFlag("--rate", 50);
  const onlyAt = process.argv.indexOf("--only");
  const only = onlyAt === -1 ? undefined : process.argv[onlyAt + 1];
  const sets = SETS.filter((s) => only === undefined || s.name === only);
  if (sets.length === 0) throw new Error(`--only takes ${SETS.map((s) => s.name).join(", ")}`);
  const redis = await startRedis();
  try {
    const results: SetResult[] = [];
    for (const set of sets) {
      const r = await runSet(set, redis, hours, rate);
      log(`${set.name}: ${(r.wallMs / 1000).toFixed(1)} s, ${r.windows} windows in ${r.writes} writes; Redis used_memory ${mb(r.usedMemory)}`);
      results.push(r);
    }
    const span = hours >= 24 ? "a day" : `${hours} h, scaled to a day`;
    const lines = [
      `Replay of ${span} at ${rate} events/s of event time, --rollup 1h,1d, Redis ${redis.version} (default zset-max-listpack-entries):`,
      "",
      "| view | members a window (median / max) | windows, a day | hourly rollups, a day | daily rollup, a day | write time a window (replay) | Redis CPU of the rollup rebuilds in each live write, late in the day: hour + day | peak RSS |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
      ...results.map((r) => formatRow(r, hours)),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await redis.stop();
  }
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    killChildren();
    process.stderr.write(`views: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
