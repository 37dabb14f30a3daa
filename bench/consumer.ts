/** What the consumer scripts (transport, floor, naive, parse-only) share: their flags and their report line. */
import { readStatusKb } from "./probe.ts";
import { LATENESS_MS, WINDOW_MS } from "./stream.ts";

/** Flags of a consumer script. */
export interface ConsumerArgs {
  url: string;
  /** Unix ms; events at or after it are not counted, and the run ends once its last window is final. */
  untilMs: number;
  redisUrl: string | undefined;
  prefix: string;
  windowMs: number;
  latenessMs: number;
}

/** Reads `--url URL --until MS [--redis-url URL] [--prefix STR]`. */
export function parseConsumerArgs(argv: readonly string[]): ConsumerArgs {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i === -1 ? undefined : argv[i + 1];
  };
  const url = value("--url");
  const untilMs = Number(value("--until") ?? Number.POSITIVE_INFINITY);
  if (url === undefined) throw new Error("usage: --url URL [--until MS] [--redis-url URL] [--prefix STR]");
  return { url, untilMs, redisUrl: value("--redis-url"), prefix: value("--prefix") ?? "", windowMs: WINDOW_MS, latenessMs: LATENESS_MS };
}

/** The sizes (bytes) of the chunks Bun's fetch handed over while reading the stream. */
export interface ChunkSizes {
  count: number;
  p10: number;
  p50: number;
  p90: number;
  max: number;
}

/** What every consumer script prints as its one stdout line. */
export interface ConsumerReport {
  /** SSE events read (0 for the transport, which does not parse). */
  events: number;
  /** Events counted into windows. */
  counted: number;
  /** Bytes read (transport only; 0 elsewhere). */
  bytes: number;
  /** The transport's chunk sizes (transport only). */
  chunks?: ChunkSizes;
  /** Peak RSS from the consumer's own /proc/self/status at exit. */
  hwmKb: number | undefined;
}

/** Prints the consumer's report line. */
export function printReport(report: Omit<ConsumerReport, "hwmKb">): void {
  const line: ConsumerReport = { ...report, hwmKb: readStatusKb("self", "VmHWM") };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
