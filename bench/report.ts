/** The benchmark's results: what was measured, the machine it ran on, and the markdown written to bench/results.md. */
import { readFileSync } from "node:fs";
import type { ChunkSizes } from "./consumer.ts";
import { checkGoals } from "./goals.ts";
import type { WatchResult } from "./watch.ts";
import { availableParallelism, release } from "node:os";

/** One run of one consumer. */
export interface Sample {
  wallMs: number;
  peakKb: number | undefined;
}

/** Every run of one consumer over the same stream. */
export interface ConsumerResult {
  label: string;
  samples: Sample[];
  /** Events it must read before it may stop (the transport reads the whole stream). */
  events: number;
  /** Bytes of stream it reads (approximately, for the ones that stop early). */
  bytes: number;
}

/** The 2M-event run of the binary. */
export interface LongRunResult {
  /** Who ran it, for the report's row: `dist/wikistream` unless a variant. */
  label?: string;
  events: number;
  wallMs: number;
  rssAtMarkKb: number | undefined;
  markEvents: number;
  rssAtEndKb: number | undefined;
  peakKb: number | undefined;
  /** The highest RSS read over the first and over the last `markEvents` events. */
  highFirstKb?: number;
  highLastKb?: number;
}

/** The paced (live) run of the binary. */
export interface LiveResult {
  ratePerSec: number;
  seconds: number;
  /** CPU (user + system) over the period as a percentage of one core. */
  cpuPercent: number;
  events: number;
  rssKb: number | undefined;
}

/** Everything one `bun run bench` measured. */
export interface BenchResults {
  quick: boolean;
  runs: number;
  ratePerSec: number;
  eventBytes: number;
  transport: ConsumerResult;
  binary: ConsumerResult;
  /** (b′), (b″), …: the same source built with another tuning (bench/variants.ts), run in the same rounds as (b). */
  variants: ConsumerResult[];
  naive: ConsumerResult;
  parseOnly: ConsumerResult;
  /** (e) fetch + eventsource-parser, nothing else. */
  floor: ConsumerResult;
  /** (b4) the default run with the four views, or why it did not run. */
  views: ConsumerResult | string;
  /** (b⁰) wikistream built from another commit (--baseline), run next to (b) in every round. */
  baseline: ConsumerResult | undefined;
  /** (b) over (b⁰), pair by pair, several pairs a round. */
  pairRatios: number[];
  /** The chunk sizes Bun's fetch delivered to (a), one summary per round. */
  chunks: ChunkSizes[];
  long: LongRunResult;
  /** The long run of the first variant (with `--long-variants`). */
  longVariant: LongRunResult | undefined;
  versionMs: number[];
  live: LiveResult;
  /** The live run again with --listen and the page's event stream open, and /metrics under load (absent with --no-watch). */
  watch?: WatchResult;
  totalSeconds: number;
  /** How peak RSS was read: GNU time's maximum resident set size, or VmHWM from /proc. */
  peakMethod: string;
}

/** Where the benchmark ran. */
export interface Machine {
  date: string;
  nproc: number;
  cpu: string;
  memory: string;
  os: string;
  bun: string;
  redis: string;
  binary: string;
}

/** The middle value (mean of the two middle ones for an even count); NaN when empty. */
export function computeMedian(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function readOsName(): string {
  try {
    const name = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1];
    return `${name ?? "Linux"}, kernel ${release()}`;
  } catch {
    return `${process.platform} ${release()}`;
  }
}

/** Describes this machine; `binary` is what `dist/wikistream --version` said. */
export function readMachine(redisVersion: string, binary: string): Machine {
  let cpu = "?";
  let memory = "?";
  try {
    cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? "?";
    const kb = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"))?.[1]);
    memory = `${(kb / 1024 / 1024).toFixed(1)} GiB`;
  } catch {
    // Not Linux: leave the question marks.
  }
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    nproc: availableParallelism(),
    cpu,
    memory,
    os: readOsName(),
    bun: Bun.version,
    redis: redisVersion,
    binary,
  };
}

/** Kilobytes (KiB, as /proc and GNU time give them) as decimal megabytes. */
export function convertKbToMb(kb: number | undefined): number {
  return kb === undefined ? Number.NaN : (kb * 1024) / 1e6;
}

export function formatMb(kb: number | undefined): string {
  return kb === undefined ? "?" : `${convertKbToMb(kb).toFixed(0)} MB`;
}

function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(0)} k`;
  return perSecond.toFixed(0);
}

/** A consumer's median wall time and peak RSS (median and worst) over its runs. */
export function summarise(result: ConsumerResult) {
  const walls = result.samples.map((s) => s.wallMs);
  const peaks = result.samples.map((s) => s.peakKb).filter((kb): kb is number => kb !== undefined);
  return {
    wallMs: computeMedian(walls),
    minWallMs: Math.min(...walls),
    maxWallMs: Math.max(...walls),
    peakKb: peaks.length > 0 ? computeMedian(peaks) : undefined,
    maxPeakKb: peaks.length > 0 ? Math.max(...peaks) : undefined,
  };
}

/** The ratio of `result` to `base` ((a), unless said) round by round (each run over the same round's run of `base`): median, lowest, highest, all. */
export function computeRatios(result: ConsumerResult, base: ConsumerResult): { median: number; min: number; max: number; all: number[] } {
  const all = result.samples.flatMap((s, i) => {
    const a = base.samples[i]?.wallMs;
    return a === undefined ? [] : [s.wallMs / a];
  });
  return { median: computeMedian(all), min: Math.min(...all), max: Math.max(...all), all };
}

/** The row key of the i-th variant: b′, b″, b‴, b⁗, then b′5, b′6, … */
export function nameVariantKey(index: number): string {
  return `b${["′", "″", "‴", "⁗"][index] ?? `′${index + 1}`}`;
}

function formatConsumerRow(key: string, result: ConsumerResult, transport: ConsumerResult): string[] {
  const s = summarise(result);
  const r = computeRatios(result, transport);
  return [
    `(${key}) ${result.label}`,
    `${formatSeconds(s.wallMs)} (${formatSeconds(s.minWallMs)}–${formatSeconds(s.maxWallMs)})`,
    `${formatRate((result.events * 1000) / s.wallMs)} events/s, ${((result.bytes / 1e6) * (1000 / s.wallMs)).toFixed(0)} MB/s`,
    key === "a" ? "1.0×" : `${r.median.toFixed(2)}× (${r.min.toFixed(2)}–${r.max.toFixed(2)})`,
    s.peakKb === undefined ? "?" : `${formatMb(s.peakKb)} (max ${formatMb(s.maxPeakKb)})`,
  ];
}

function formatLongRow(long: LongRunResult): string[] {
  return [
    `${long.label ?? "dist/wikistream"}, ${formatRate(long.events)} events (generated on the fly), 1 run`,
    formatSeconds(long.wallMs),
    `${formatRate((long.events * 1000) / long.wallMs)} events/s`,
    "",
    `RSS highest over the first ${formatRate(long.markEvents)} ${formatMb(long.highFirstKb)}, over the last ${formatMb(long.highLastKb)}; peak ${formatMb(long.peakKb)}`,
  ];
}

/** The table's rows: (a), (e), (b), the views, each variant, (c), (d), the long run(s), --version, live. */
function formatRows(results: BenchResults): string[][] {
  const views = results.views;
  const consumers: [string, ConsumerResult][] = [
    ["a", results.transport],
    ["e", results.floor],
    ["b", results.binary],
    ...(results.baseline === undefined ? [] : [["b⁰", results.baseline] as [string, ConsumerResult]]),
    ...(typeof views === "string" ? [] : [["b4", views] as [string, ConsumerResult]]),
    ...results.variants.map((v, i): [string, ConsumerResult] => [nameVariantKey(i), v]),
    ["c", results.naive],
    ["d", results.parseOnly],
  ];
  const rows = consumers.map(([key, result]) => formatConsumerRow(key, result, results.transport));
  if (typeof views === "string") rows.splice(results.baseline === undefined ? 3 : 4, 0, ["(b4) dist/wikistream with the four views of issue 19", views, "", "", ""]);
  rows.push(formatLongRow(results.long));
  if (results.longVariant) rows.push(formatLongRow(results.longVariant));
  rows.push([`dist/wikistream --version, ${results.versionMs.length} runs`, `${computeMedian(results.versionMs).toFixed(1)} ms`, "", "", ""]);
  rows.push([
    `dist/wikistream live: ${results.live.ratePerSec} events/s for ${results.live.seconds} s into Redis`,
    "",
    `${results.live.cpuPercent.toFixed(2)} % of one core (${results.live.events} events)`,
    "",
    `RSS ${formatMb(results.live.rssKb)}`,
  ]);
  const watch = results.watch;
  if (watch) {
    rows.push([
      "the same with --listen and the live page's event stream open",
      "",
      `${watch.cpuPercent.toFixed(2)} % of one core; the page got ${watch.pageMessagesPerSecond.toFixed(2)} messages/s`,
      "",
      `RSS ${formatMb(watch.rssKb)}`,
    ]);
    rows.push([`GET /metrics, ${watch.scrapes.count} scrapes ${watch.scrapes.concurrency} at a time`, `p50 ${watch.scrapes.p50Ms.toFixed(1)} ms`, `p99 ${watch.scrapes.p99Ms.toFixed(1)} ms`, "", ""]);
  }
  return rows;
}

function formatVariantNote(results: BenchResults): string {
  const n = results.variants.length;
  if (n === 0) return "";
  const keys = results.variants.map((_, i) => `(${nameVariantKey(i)})`).join(", ");
  return ` ${keys} ${n === 1 ? "is" : "are"} the same source built with another memory tuning (bench/variants.ts, dist/bench/), run and checked like (b) in the same rounds.`;
}

function formatKib(bytes: number): string {
  return `${(bytes / 1024).toFixed(bytes % 1024 === 0 ? 0 : 1)} KiB`;
}

/** What chunk sizes Bun's fetch delivered to (a), over the rounds: each figure's range across them. */
function formatChunks(chunks: readonly ChunkSizes[]): string {
  if (chunks.length === 0) return "";
  const range = (pick: (c: ChunkSizes) => number, format: (n: number) => string = formatKib) => {
    const values = chunks.map(pick);
    const low = Math.min(...values);
    const high = Math.max(...values);
    return low === high ? format(low) : `${format(low)}–${format(high)}`;
  };
  const count = range((c) => c.count, String);
  return `Bun's fetch delivered it in ${count} chunks a run (median size ${range((c) => c.p50)}, 10th percentile ${range((c) => c.p10)}, 90th ${range((c) => c.p90)}, largest ${range((c) => c.max)}), the chunks every consumer here reads.`;
}

/** The results as markdown: machine, the table, the goals. */
export function formatResults(results: BenchResults, machine: Machine): string {
  const rows = formatRows(results);
  const header = ["measurement", "median wall time (min–max)", "throughput / CPU", "× (a): median of the rounds (min–max)", "peak RSS (median of runs)"];
  const table = [header, header.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
  const goals = checkGoals(results)
    .map((g) => `- ${g.info ? "ℹ️" : g.holds ? "✅" : "❌"} ${g.goal}: ${g.measured}`)
    .join("\n");
  return `# wikistream benchmark${results.quick ? " (quick variant: fewer runs, shorter live test)" : ""}

${machine.date} · ${machine.nproc} cores · ${machine.cpu} · ${machine.memory} RAM · ${machine.os} · Bun ${machine.bun} · redis-server ${machine.redis} · ${machine.binary}

Stream: ${formatRate(results.transport.events)} real recentchange events cycled from tests/fixtures (${(results.eventBytes / results.transport.events).toFixed(0)} bytes per SSE frame, ${(results.eventBytes / 1e6).toFixed(0)} MB), ${results.ratePerSec} events per second of event time, framed like EventStreams, served by bench/server.ts in its own process in 64 KiB writes; ${formatChunks(results.chunks)} (b), (b4), (c) and (d) stop once every window before --until is final (${formatRate(results.binary.events)} events read) and their counts are checked against the data (JSON.parse of the stream's events): (b), its variants, (c) and the long run every member of every window, (b4) every member of each of its four views, (d) its total; (a) and (e) read the whole stream, and (e) must parse every event of it.${formatVariantNote(results)} Wall time is spawn to exit; ${results.runs} runs each, interleaved (a, b, …, d, e in every round); each ratio to (a) is the median of the ${results.runs} rounds' own ratios (each run over the same round's (a)), with the lowest and highest; peak RSS is ${results.peakMethod}.

${table}

Goals:

${goals}

\`bun run bench${results.quick ? " --quick" : ""}\` took ${results.totalSeconds.toFixed(0)} s.
`;
}
