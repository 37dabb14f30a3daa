/**
 * `bun run bench`: how fast and how lean dist/wikistream is, next to the transport floor, the
 * parsing floor (fetch + eventsource-parser), the consumer most people would write first, and a
 * plain parse; with the four views of issue 19 when the binary takes `--by`. Prints one table
 * (each ratio to (a) the median of the rounds' own ratios, with their spread) and writes it to
 * bench/results.md. Fails (exit 1) when any consumer's counts disagree with the data.
 *
 *   bun run bench                     the full benchmark (about 2 minutes on 2 cores)
 *   bun run bench --quick             2 runs each, 1M-event long run, 10 s live test; writes nothing
 *   flags: --runs N  --events N  --long-events N  --live-seconds N  --live-rate N  --rate N  --build
 *   --no-watch         skip the live run with --listen and the page open, and the /metrics scrapes
 *   --baseline REF     also run wikistream built from the git ref REF (bench/baseline.ts) in every
 *                      round, beside (b), in pairs: "no regression" as a paired figure of this run
 *
 * Variants (bench/variants.ts: the same source built with another memory tuning into
 * dist/bench/wikistream-<name>, rebuilt when older than src/) run beside (b) in every round:
 *   --variant NAME     run this variant (repeatable; default gc-8mib, no-gc, ceiling-96); `bun bench/variants.ts --list`
 *   --no-variants      run none
 *   --long-variants    also give the first variant the long run (off by default: it takes time)
 * --build rebuilds dist/wikistream and the variants.
 */
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { killChildren } from "./child.ts";
import { startFeed } from "./feed.ts";
import { measureLiveWatched, type WatchResult } from "./watch.ts";
import { startRedis } from "./redis.ts";
import { parseBenchArgs, type BenchOptions } from "./options.ts";
import { formatResults, nameVariantKey, readMachine, type BenchResults, type ConsumerResult, type LongRunResult } from "./report.ts";
import type { BenchRedis } from "./redis.ts";
import type { Sample } from "./report.ts";
import type { ChunkSizes } from "./consumer.ts";
import { BINARY, ROOT, VIEW_FLAGS, VIEW_LISTS, acceptsViews, measureBinary, measureFloor, measureLive, measureLongRun, measureNaive, measureParseOnly, measureTransport, measureVersion, type Subject } from "./scenario.ts";
import { computeExpectation, loadTemplates, type Template } from "./stream.ts";
import { ensureVariants } from "./variants.ts";
import { prepareBaseline, type Baseline } from "./baseline.ts";

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

/** The 200k-event consumers, filled round by round. */
interface Rounds {
  transport: ConsumerResult;
  binary: ConsumerResult;
  variants: ConsumerResult[];
  naive: ConsumerResult;
  parseOnly: ConsumerResult;
  floor: ConsumerResult;
  /** The default run with the four views; a string saying why not when this build has no `--by`. */
  views: ConsumerResult | string;
  /** The chunk sizes Bun's fetch delivered to (a), one summary per round. */
  chunks: ChunkSizes[];
  eventBytes: number;
  /** (b⁰) the baseline's build (--baseline), run next to (b) in every round. */
  baseline: ConsumerResult | undefined;
  /** (b) over (b⁰), pair by pair (BASELINE_PAIRS a round). */
  pairRatios: number[];
}

/** A variant, built and ready to measure like (b). */
interface VariantSubject extends Subject {
  /** The report's label: "dist/wikistream built with <variant's label>". */
  label: string;
}

/** Builds the variants that are missing or stale (all of them with --build). */
function prepareVariants(options: BenchOptions): VariantSubject[] {
  const paths = ensureVariants(options.variants, options.build, log);
  return options.variants.map((v, i) => ({
    path: paths[i] ?? "",
    what: `(${nameVariantKey(i)}) dist/bench/wikistream-${v.name}`,
    label: `dist/wikistream built with ${v.label}`,
  }));
}

/** `binary`, plus the variants' own version when they were built from another commit than dist/wikistream (with a warning). */
function describeBuilds(binary: string, subjects: VariantSubject[]): string {
  const first = subjects[0];
  if (first === undefined) return binary;
  const version = Bun.spawnSync([first.path, "--version"], { stdout: "pipe" }).stdout.toString().trim();
  if (binary.startsWith(`${version},`)) return binary;
  log(`warning: the variants are ${version} and dist/wikistream is not (pass --build to build both from src/)`);
  return `${binary}; variants: ${version}`;
}

/** The views row's subject, or why it cannot run. */
function prepareViews(): Subject | string {
  if (!acceptsViews(BINARY)) return "not available in this build (dist/wikistream --help has no --by)";
  return { path: BINARY, what: "(b4) dist/wikistream with four views", views: VIEW_LISTS };
}

/** Pairs of (b) and the baseline run back to back in every round: their ratios, not the table's one sample a round, decide the baseline goal. */
const BASELINE_PAIRS = 4;

/**
 * (b), and the baseline next to it when there is one, BASELINE_PAIRS times: in turn, the
 * baseline first every other time, so neither always runs on a machine the other has just
 * warmed. The round's first (b) and (b⁰) go in the table; every pair's ratio in `pairRatios`.
 */
async function measurePair(rounds: Rounds, binary: () => Promise<Sample>, baseline: (() => Promise<Sample>) | undefined): Promise<void> {
  if (baseline === undefined) {
    rounds.binary.samples.push(await binary());
    return;
  }
  for (let pair = 0; pair < BASELINE_PAIRS; pair++) {
    const first = rounds.pairRatios.length % 2 === 0;
    const before = first ? await baseline() : undefined;
    const ours = await binary();
    const theirs = before ?? (await baseline());
    if (pair === 0) {
      rounds.binary.samples.push(ours);
      rounds.baseline?.samples.push(theirs);
    }
    rounds.pairRatios.push(ours.wallMs / theirs.wallMs);
  }
}

/** Serves the 200k-event stream and runs (a), (b), the views run, each variant, (c), (d), (e) in turn, `runs` times. */
async function runRounds(options: BenchOptions, templates: Template[], redis: BenchRedis, subjects: VariantSubject[], baseline: Baseline | undefined): Promise<Rounds> {
  // Every view's members too: (b) and the variants are checked in the main view, (b4) in all four.
  const expected = computeExpectation(templates, options.events, options.rate, VIEW_LISTS);
  log(`serving ${options.events} events…`);
  const feed = await startFeed(["--mode", "buffer", "--events", String(options.events), "--rate", String(options.rate)]);
  const eventBytes = feed.bytes ?? 0;
  const views = prepareViews();
  if (typeof views === "string") log(`four views: ${views}`);
  const readBytes = Math.round((eventBytes * expected.eventsRead) / options.events);
  const rounds: Rounds = {
    transport: createConsumer("raw transport: Bun fetch, body discarded", options.events, eventBytes),
    binary: createConsumer("dist/wikistream → redis-server, --since … --until …", expected.eventsRead, readBytes),
    variants: subjects.map((v) => createConsumer(v.label, expected.eventsRead, readBytes)),
    naive: createConsumer("naive: `eventsource` + JSON.parse + ioredis MULTI per window", expected.eventsRead, readBytes),
    parseOnly: createConsumer("fetch + eventsource-parser + JSON.parse + Map, no sink", expected.eventsRead, readBytes),
    floor: createConsumer("floor: fetch + eventsource-parser, nothing else (Latin-1 text, events counted)", options.events, eventBytes),
    views: typeof views === "string" ? views : createConsumer(`dist/wikistream with four views (${VIEW_FLAGS.join(" ")})`, expected.eventsRead, readBytes),
    chunks: [],
    eventBytes,
    pairRatios: [],
    baseline: baseline === undefined ? undefined : createConsumer(`wikistream built from ${baseline.ref} (${baseline.sha}), run next to (b)`, expected.eventsRead, readBytes),
  };
  const baselineSubject: Subject | undefined = baseline === undefined ? undefined : { path: baseline.path, what: `(b⁰) wikistream at ${baseline.ref}` };
  try {
    const viewsKey = typeof views === "string" ? [] : ["(b4) four views"];
    const order = ["(a) transport", "(b) wikistream", ...(baselineSubject ? ["(b⁰) baseline"] : []), ...viewsKey, ...subjects.map((v) => v.what), "(c) naive", "(d) parse-only", "(e) floor"].join(", ");
    for (let run = 1; run <= options.runs; run++) {
      log(`run ${run}/${options.runs}: ${order}`);
      const transport = await measureTransport(feed);
      rounds.transport.samples.push(transport);
      if (transport.chunks) rounds.chunks.push(transport.chunks);
      await measurePair(rounds, () => measureBinary(feed, redis, expected), baselineSubject && (() => measureBinary(feed, redis, expected, baselineSubject)));
      if (typeof rounds.views !== "string" && typeof views !== "string") rounds.views.samples.push(await measureBinary(feed, redis, expected, views));
      for (const [i, subject] of subjects.entries()) rounds.variants[i]?.samples.push(await measureBinary(feed, redis, expected, subject));
      rounds.naive.samples.push(await measureNaive(feed, redis, expected));
      rounds.parseOnly.samples.push(await measureParseOnly(feed, expected));
      rounds.floor.samples.push(await measureFloor(feed, options.events));
    }
  } finally {
    await feed.stop();
  }
  return rounds;
}

/** One long run over a freshly generated stream, for dist/wikistream or a variant. */
async function runLong(options: BenchOptions, templates: Template[], redis: BenchRedis, subject?: Subject): Promise<LongRunResult> {
  log(`${options.longEvents} events through ${subject?.what ?? "dist/wikistream"}…`);
  const expected = computeExpectation(templates, options.longEvents, options.rate);
  const feed = await startFeed(["--mode", "generate", "--events", String(options.longEvents), "--rate", String(options.rate), "--mark", String(options.events), "--mark", String(options.longEvents - options.events)]);
  const run = { feed, expected, events: options.longEvents, markEvents: options.events };
  return measureLongRun(redis, run, subject).finally(() => feed.stop());
}

/** The first variant's long run, when `--long-variants` asked for it. */
async function runLongVariant(options: BenchOptions, templates: Template[], redis: BenchRedis, subjects: VariantSubject[]): Promise<LongRunResult | undefined> {
  const first = subjects[0];
  if (!options.longVariants || first === undefined) return undefined;
  const long = await runLong(options, templates, redis, first);
  return { ...long, label: `(${nameVariantKey(0)}) ${first.label}` };
}

/** Runs everything and returns the markdown report. */
export async function runBench(options: BenchOptions): Promise<string> {
  const startedAt = performance.now();
  const binary = ensureBinary(options.build);
  const subjects = prepareVariants(options);
  const builds = describeBuilds(binary, subjects);
  const baseline = options.baseline === undefined ? undefined : prepareBaseline(options.baseline, log);
  const redis = await startRedis();
  try {
    const templates = loadTemplates();
    const rounds = await runRounds(options, templates, redis, subjects, baseline);
    const long = await runLong(options, templates, redis);
    const longVariant = await runLongVariant(options, templates, redis, subjects);

    log("dist/wikistream --version…");
    const versionMs = measureVersion(20);

    log(`live: ${options.liveRate} events/s for ${options.liveSeconds} s…`);
    const liveFeed = await startFeed(["--mode", "paced", "--live-rate", String(options.liveRate)]);
    const live = await measureLive(liveFeed, redis, options.liveRate, options.liveSeconds).finally(() => liveFeed.stop());
    let watch: WatchResult | undefined;
    if (options.watch) {
      log(`live again with --listen and the page's event stream open, then /metrics under load…`);
      const watchedFeed = await startFeed(["--mode", "paced", "--live-rate", String(options.liveRate)]);
      watch = await measureLiveWatched(watchedFeed, redis, options.liveRate, options.liveSeconds).finally(() => watchedFeed.stop());
    }

    const results: BenchResults = {
      ...rounds,
      quick: options.quick,
      runs: options.runs,
      ratePerSec: options.rate,
      long,
      longVariant,
      versionMs,
      live,
      watch,
      totalSeconds: (performance.now() - startedAt) / 1000,
      peakMethod: existsSync("/usr/bin/time") ? "GNU time's maximum resident set size" : "the last VmHWM read from /proc (install GNU time for an exact peak)",
    };
    return formatResults(results, readMachine(redis.version, builds));
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
