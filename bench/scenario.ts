/**
 * One measurement each: spawn the consumer, time it, check what it counted, hand back the numbers.
 * Every check throws (the benchmark fails loudly) when a count is off.
 */
import { join } from "node:path";
import { spawnChild, waitUntil, type ChildResult } from "./child.ts";
import type { ChunkSizes, ConsumerReport } from "./consumer.ts";
import type { Feed } from "./feed.ts";
import { checkViews } from "./members.ts";
import { readClockTicks, readCpuTicks, readStatusKb } from "./probe.ts";
import type { BenchRedis } from "./redis.ts";
import type { LiveResult, LongRunResult, Sample } from "./report.ts";
import { START_MS, type Expectation } from "./stream.ts";

/** The checkout the benchmark runs in. */
export const ROOT = new URL("..", import.meta.url).pathname;
/** The compiled binary under test. */
export const BINARY = join(ROOT, "dist", "wikistream");

const BENCH = new URL(".", import.meta.url).pathname;
/** A clean environment for the binary, as a user's shell would give it (no REDIS_URL and the like). */
export const BINARY_ENV = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: process.env.HOME ?? "/tmp",
  NO_COLOR: "1",
  // The benchmark's stream is dated 2025: kept for ever, not refused as older than the retention.
  WIKISTREAM_RETAIN: "0",
};
/**
 * The Redis key prefix every binary run is given explicitly: builds before and after the default
 * prefix became `wikistream:` write the same keys. Redis is flushed before each run, so no run
 * resumes from an earlier one's checkpoint.
 */
export const BENCH_PREFIX = "bench:";

function fail(what: string, result: ChildResult, why: string): never {
  throw new Error(`${what}: ${why}\n--- exit code ${result.code}; stderr:\n${result.stderr.slice(-2000)}`);
}

function parseReport(what: string, result: ChildResult): ConsumerReport {
  if (result.code !== 0) fail(what, result, "exited with an error");
  const line = result.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line) as ConsumerReport;
  } catch {
    return fail(what, result, `printed no report (stdout: ${line.slice(0, 200)})`);
  }
}

/**
 * Throws unless Redis holds exactly the expected window totals. A window listed with a total of 0
 * that the data does not have is a quiet window (listed in `epochs` without a key) and is ignored.
 */
export function checkTotals(what: string, actual: Map<number, number>, expected: Expectation): void {
  let sum = 0;
  let windows = 0;
  const wrong: string[] = [];
  for (const [start, total] of expected.totals) {
    if (actual.get(start) !== total) wrong.push(`${new Date(start).toISOString()}: expected ${total}, found ${actual.get(start) ?? "nothing"}`);
  }
  for (const [start, total] of actual) {
    if (expected.totals.has(start) || total !== 0) windows++;
    sum += total;
    if (!expected.totals.has(start) && total !== 0) wrong.push(`${new Date(start).toISOString()}: unexpected window of ${total}`);
  }
  if (sum !== expected.counted || wrong.length > 0) {
    throw new Error(
      `${what}: Redis holds ${sum} counted events in ${windows} windows; the data says ${expected.counted} in ${expected.totals.size}.\n${wrong.slice(0, 10).join("\n")}`,
    );
  }
}

/** (a) Bun fetch reading and discarding the body; also the sizes of the chunks fetch delivered. */
export async function measureTransport(feed: Feed): Promise<Sample & { bytes: number; chunks: ChunkSizes | undefined }> {
  const result = await spawnChild(["bun", join(BENCH, "transport.ts"), "--url", feed.url]).done;
  const report = parseReport("(a) transport", result);
  if (feed.bytes !== null && report.bytes !== feed.bytes) fail("(a) transport", result, `read ${report.bytes} bytes of ${feed.bytes}`);
  return { wallMs: result.wallMs, peakKb: result.peakKb ?? report.hwmKb, bytes: report.bytes, chunks: report.chunks };
}

/** (e) bench/floor.ts: fetch + Latin-1 + eventsource-parser, nothing else; checks it parsed every event of the stream. */
export async function measureFloor(feed: Feed, events: number): Promise<Sample> {
  const result = await spawnChild(["bun", join(BENCH, "floor.ts"), "--url", feed.url]).done;
  const report = parseReport("(e) floor", result);
  if (report.events !== events) fail("(e) floor", result, `parsed ${report.events} events; the stream has ${events}`);
  return { wallMs: result.wallMs, peakKb: result.peakKb ?? report.hwmKb };
}

/** The four views of issue 19 (`--by LIST`), the main one first. */
export const VIEW_LISTS = ["server_name", "type", "server_name,bot", "server_name,title"];
/** The four views as `--by` flags: one key per view. */
export const VIEW_FLAGS = VIEW_LISTS.flatMap((list) => ["--by", list]);
/** The views of a run without `--by`: the main view alone. */
const DEFAULT_LISTS = ["server_name"];

/** Whether `binary` takes `--by` (its --help names it); the views row runs only then. */
export function acceptsViews(binary: string): boolean {
  const help = Bun.spawnSync([binary, "--help"], { env: BINARY_ENV, stdout: "pipe", stderr: "pipe" });
  return /(^|\s)--by\b/m.test(help.stdout.toString() + help.stderr.toString());
}

/** The subject's command line: the stream, Redis, the range of the expectation, and its `--by`s. */
function createBinaryArgs(subject: Subject, feed: Feed, redis: BenchRedis, expected: Expectation): string[] {
  const range = ["--since", new Date(START_MS).toISOString(), "--until", new Date(expected.untilMs).toISOString()];
  const views = (subject.views ?? []).flatMap((list) => ["--by", list]);
  return [subject.path, "--url", feed.url, "--redis-url", redis.url, "--prefix", BENCH_PREFIX, ...range, ...views];
}

function checkBinaryStats(what: string, result: ChildResult, expected: Expectation): void {
  if (result.code !== 0) fail(what, result, "exited with an error");
  const counted = Number(/; (\d+) counted/.exec(result.stderr)?.[1]);
  if (counted !== expected.counted) fail(what, result, `its statistics say ${counted} counted; the data says ${expected.counted}`);
}

/** An executable to measure like (b): dist/wikistream or a variant, and how messages name it. */
export interface Subject {
  path: string;
  what: string;
  /** Its `--by` lists, the main one first (the views row's); none: the default view alone. */
  views?: readonly string[];
}

/** dist/wikistream as a Subject. */
export const MAIN_SUBJECT: Subject = { path: BINARY, what: "dist/wikistream" };

/**
 * Checks what a binary run left in Redis against the data: its own count, every window total of
 * the main view, and every member of every view (the views row's four: each key of each window).
 */
async function checkBinaryRun(what: string, result: ChildResult, redis: BenchRedis, expected: Expectation, subject: Subject): Promise<void> {
  checkBinaryStats(what, result, expected);
  checkTotals(what, await redis.readTotals(BENCH_PREFIX), expected);
  await checkViews(what, redis, BENCH_PREFIX, subject.views ?? DEFAULT_LISTS, expected.views);
}

/**
 * (b) dist/wikistream (or a variant, or the views run) from --since to --until into Redis; checks
 * its own count, every window total, and every member of every view against the data.
 */
export async function measureBinary(feed: Feed, redis: BenchRedis, expected: Expectation, subject: Subject = MAIN_SUBJECT): Promise<Sample> {
  await redis.flush();
  const result = await spawnChild(createBinaryArgs(subject, feed, redis, expected), { env: BINARY_ENV, pollMs: 20 }).done;
  await checkBinaryRun(subject.what, result, redis, expected, subject);
  return { wallMs: result.wallMs, peakKb: result.peakKb };
}

/** (c) bench/naive.ts: eventsource + JSON.parse + ioredis; checks its count and its windows in Redis, member by member. */
export async function measureNaive(feed: Feed, redis: BenchRedis, expected: Expectation): Promise<Sample> {
  await redis.flush();
  const prefix = "naive:";
  const args = ["--url", feed.url, "--until", String(expected.untilMs), "--redis-url", redis.url, "--prefix", prefix];
  const result = await spawnChild(["bun", join(BENCH, "naive.ts"), ...args]).done;
  const report = parseReport("(c) naive", result);
  if (report.counted !== expected.counted) fail("(c) naive", result, `counted ${report.counted}; the data says ${expected.counted}`);
  checkTotals("(c) naive", await redis.readTotals(prefix), expected);
  await checkViews("(c) naive", redis, prefix, DEFAULT_LISTS, expected.views);
  return { wallMs: result.wallMs, peakKb: result.peakKb ?? report.hwmKb };
}

/** (d) bench/parse-only.ts: fetch + eventsource-parser + JSON.parse + Map counting; checks its count. */
export async function measureParseOnly(feed: Feed, expected: Expectation): Promise<Sample> {
  const result = await spawnChild(["bun", join(BENCH, "parse-only.ts"), "--url", feed.url, "--until", String(expected.untilMs)]).done;
  const report = parseReport("(d) parse-only", result);
  if (report.counted !== expected.counted) fail("(d) parse-only", result, `counted ${report.counted}; the data says ${expected.counted}`);
  return { wallMs: result.wallMs, peakKb: result.peakKb ?? report.hwmKb };
}

/** What a long run reads: a fresh generated feed, its expectation, and when to take the first RSS. */
export interface LongRun {
  feed: Feed;
  expected: Expectation;
  events: number;
  markEvents: number;
}

/**
 * The binary (or a variant) over a long generated stream: VmRSS when the server has sent
 * `markEvents`, the last VmRSS read before it exits, and the highest VmRSS read (every 50 ms)
 * over the first and over the last `markEvents` events. A forced collection makes RSS a saw
 * tooth: two single reads may fall on a tooth's top and on its foot, while the highest of each
 * span compare like with like. The feed must announce `events - markEvents` as a mark too.
 * Checks every window total and member.
 */
export async function measureLongRun(redis: BenchRedis, run: LongRun, subject: Subject = MAIN_SUBJECT): Promise<LongRunResult> {
  const { feed, expected, events, markEvents } = run;
  await redis.flush();
  const child = spawnChild(createBinaryArgs(subject, feed, redis, expected), { env: BINARY_ENV, pollMs: 50 });
  let rssAtMarkKb: number | undefined;
  let phase: "first" | "middle" | "last" = "first";
  const high = { first: 0, last: 0 };
  const sample = setInterval(() => {
    const kb = child.readRss() ?? 0;
    if (phase !== "middle") high[phase] = Math.max(high[phase], kb);
  }, 50);
  feed.onMark((sent) => {
    if (sent >= markEvents && rssAtMarkKb === undefined) {
      rssAtMarkKb = child.readRss();
      phase = "middle";
    }
    if (sent >= events - markEvents && events - markEvents > markEvents) phase = "last";
  });
  const result = await child.done.finally(() => clearInterval(sample));
  await checkBinaryRun(`${subject.what} over ${events} events`, result, redis, expected, subject);
  const highs = high.first > 0 && high.last > 0 ? { highFirstKb: high.first, highLastKb: high.last } : {};
  return { events, wallMs: result.wallMs, rssAtMarkKb, markEvents, rssAtEndKb: result.lastRssKb, peakKb: result.peakKb, ...highs };
}

/** Wall time of `dist/wikistream --version`, `runs` times after two warm-up runs. */
export function measureVersion(runs: number): number[] {
  const times: number[] = [];
  for (let i = -2; i < runs; i++) {
    const started = performance.now();
    const result = Bun.spawnSync([BINARY, "--version"], { env: BINARY_ENV, stdout: "pipe", stderr: "pipe" });
    const ms = performance.now() - started;
    if (result.exitCode !== 0 || !result.stdout.toString().startsWith("wikistream ")) {
      throw new Error(`dist/wikistream --version failed: ${result.stderr.toString()}`);
    }
    if (i >= 0) times.push(ms);
  }
  return times;
}

/**
 * The binary reading a paced live stream into Redis: its CPU time (user + system, from
 * /proc/<pid>/stat) over `seconds`, starting one second after it connected.
 */
export async function measureLive(feed: Feed, redis: BenchRedis, ratePerSec: number, seconds: number): Promise<LiveResult> {
  await redis.flush();
  const child = spawnChild([BINARY, "--url", feed.url, "--redis-url", redis.url, "--prefix", "live:"], { env: BINARY_ENV, measurePeak: false });
  await waitUntil(() => child.stderr().includes("connected to"), 10_000, "dist/wikistream to connect to the paced stream");
  await Bun.sleep(1000);
  const pid = child.pid();
  if (pid === undefined) throw new Error("lost the pid of dist/wikistream");
  const ticksBefore = readCpuTicks(pid);
  const startedAt = performance.now();
  await Bun.sleep(seconds * 1000);
  const ticksAfter = readCpuTicks(pid);
  const elapsedMs = performance.now() - startedAt;
  const rssKb = readStatusKb(pid, "VmRSS");
  child.kill("SIGTERM");
  const result = await child.done;
  if (ticksBefore === undefined || ticksAfter === undefined) fail("live run", result, "exited during the measurement");
  if (result.code !== 0) fail("live run", result, "did not stop cleanly on SIGTERM");
  const events = Number(/(\d+) events;/.exec(result.stderr)?.[1]);
  if (!(events >= ratePerSec * seconds * 0.9)) fail("live run", result, `read ${events} events; ${ratePerSec * seconds} were due`);
  const cpuPercent = (((ticksAfter - ticksBefore) / readClockTicks()) * 1000 * 100) / elapsedMs;
  return { ratePerSec, seconds, cpuPercent, events, rssKb };
}
