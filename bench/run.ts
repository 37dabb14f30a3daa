/**
 * `bun run bench`: how fast and how lean dist/wikistream is, next to the transport floor, the
 * consumer most people would write first, and a plain parse. Prints one table and writes it to
 * bench/results.md. Fails (exit 1) when any consumer's counts disagree with the data.
 *
 *   bun run bench                     the full benchmark (about 1.5 minutes on 2 cores)
 *   bun run bench --quick             2 runs each, 1M-event long run, 10 s live test; writes nothing
 *   flags: --runs N  --events N  --long-events N  --live-seconds N  --live-rate N  --rate N  --build
 */
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { killChildren } from "./child.ts";
import { startFeed } from "./feed.ts";
import { startRedis } from "./redis.ts";
import { formatResults, readMachine, type BenchResults, type ConsumerResult } from "./report.ts";
import { BINARY, ROOT, measureBinary, measureLive, measureLongRun, measureNaive, measureParseOnly, measureTransport, measureVersion } from "./scenario.ts";
import { computeExpectation, loadTemplates } from "./stream.ts";

/** What to run, from the command line. */
export interface BenchOptions {
  quick: boolean;
  runs: number;
  events: number;
  longEvents: number;
  liveSeconds: number;
  liveRate: number;
  rate: number;
  build: boolean;
}

/** Reads the benchmark's flags; --quick changes the defaults, explicit flags win. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const quick = argv.includes("--quick");
  const number = (flag: string, fallback: number): number => {
    const i = argv.indexOf(flag);
    if (i === -1) return fallback;
    const value = Number(argv[i + 1]);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag} needs a positive number`);
    return value;
  };
  const known = new Set(["--quick", "--build", "--runs", "--events", "--long-events", "--live-seconds", "--live-rate", "--rate"]);
  argv.forEach((arg, i) => {
    if (arg.startsWith("--") && !known.has(arg)) throw new Error(`unknown flag ${arg}; see the top of bench/run.ts`);
    if (!arg.startsWith("--") && !known.has(argv[i - 1] ?? "")) throw new Error(`unexpected argument ${arg}`);
  });
  return {
    quick,
    runs: number("--runs", quick ? 2 : 5),
    events: number("--events", 200_000),
    longEvents: number("--long-events", quick ? 1_000_000 : 2_000_000),
    liveSeconds: number("--live-seconds", quick ? 10 : 60),
    liveRate: number("--live-rate", 100),
    rate: number("--rate", 50),
    build: argv.includes("--build"),
  };
}

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** Builds dist/wikistream when it is missing (or when asked); warns when it is older than src/. */
function ensureBinary(build: boolean): string {
  if (build || !existsSync(BINARY)) {
    log("building dist/wikistream (bun run build)…");
    const result = Bun.spawnSync(["bun", "run", "build"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    if (result.exitCode !== 0) throw new Error(`bun run build failed:\n${result.stderr.toString()}`);
  }
  const version = Bun.spawnSync([BINARY, "--version"], { stdout: "pipe" }).stdout.toString().trim();
  const builtMs = statSync(BINARY).mtimeMs;
  const newestSource = Array.from(new Bun.Glob("src/**/*.ts").scanSync({ cwd: ROOT })).reduce(
    (newest, file) => Math.max(newest, statSync(join(ROOT, file)).mtimeMs),
    0,
  );
  if (newestSource > builtMs) log("warning: dist/wikistream is older than src/ (pass --build to rebuild it first)");
  return `${version}, built ${new Date(builtMs).toISOString().replace(/\.\d+Z$/, "Z")}`;
}

function createConsumer(label: string, events: number, bytes: number): ConsumerResult {
  return { label, samples: [], events, bytes };
}

/** Runs everything and returns the markdown report. */
export async function runBench(options: BenchOptions): Promise<string> {
  const startedAt = performance.now();
  const binary = ensureBinary(options.build);
  const redis = await startRedis();
  try {
    const templates = loadTemplates();
    const expected = computeExpectation(templates, options.events, options.rate);
    log(`serving ${options.events} events…`);
    const feed = await startFeed(["--mode", "buffer", "--events", String(options.events), "--rate", String(options.rate)]);
    const streamBytes = feed.bytes ?? 0;
    const readBytes = Math.round((streamBytes * expected.eventsRead) / options.events);
    const transport = createConsumer("raw transport: Bun fetch, body discarded", options.events, streamBytes);
    const binaryRuns = createConsumer("dist/wikistream → redis-server, --since … --until …", expected.eventsRead, readBytes);
    const naive = createConsumer("naive: `eventsource` + JSON.parse + ioredis MULTI per window", expected.eventsRead, readBytes);
    const parseOnly = createConsumer("fetch + eventsource-parser + JSON.parse + Map, no sink", expected.eventsRead, readBytes);
    try {
      for (let run = 1; run <= options.runs; run++) {
        log(`run ${run}/${options.runs}: (a) transport, (b) wikistream, (c) naive, (d) parse-only`);
        transport.samples.push(await measureTransport(feed));
        binaryRuns.samples.push(await measureBinary(feed, redis, expected));
        naive.samples.push(await measureNaive(feed, redis, expected));
        parseOnly.samples.push(await measureParseOnly(feed, expected));
      }
    } finally {
      await feed.stop();
    }

    log(`${options.longEvents} events through dist/wikistream…`);
    const longExpected = computeExpectation(templates, options.longEvents, options.rate);
    const longFeed = await startFeed(["--mode", "generate", "--events", String(options.longEvents), "--rate", String(options.rate), "--mark", String(options.events)]);
    const long = await measureLongRun(longFeed, redis, longExpected, options.longEvents, options.events).finally(() => longFeed.stop());

    log("dist/wikistream --version…");
    const versionMs = measureVersion(20);

    log(`live: ${options.liveRate} events/s for ${options.liveSeconds} s…`);
    const liveFeed = await startFeed(["--mode", "paced", "--live-rate", String(options.liveRate)]);
    const live = await measureLive(liveFeed, redis, options.liveRate, options.liveSeconds).finally(() => liveFeed.stop());

    const results: BenchResults = {
      quick: options.quick,
      runs: options.runs,
      ratePerSec: options.rate,
      eventBytes: streamBytes,
      transport,
      binary: binaryRuns,
      naive,
      parseOnly,
      long,
      versionMs,
      live,
      totalSeconds: (performance.now() - startedAt) / 1000,
      peakMethod: existsSync("/usr/bin/time") ? "GNU time's maximum resident set size" : "the last VmHWM read from /proc (install GNU time for an exact peak)",
    };
    return formatResults(results, readMachine(redis.version, binary));
  } finally {
    await redis.stop();
  }
}

if (import.meta.main) {
  const stop = () => {
    killChildren();
    process.exit(130);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  try {
    const options = parseBenchArgs(process.argv.slice(2));
    const markdown = await runBench(options);
    process.stdout.write(`\n${markdown}`);
    if (options.quick) {
      log("quick variant: bench/results.md left as it was");
    } else {
      writeFileSync(new URL("./results.md", import.meta.url), markdown);
      log("wrote bench/results.md");
    }
  } catch (error) {
    killChildren();
    process.stderr.write(`\nBENCH FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
