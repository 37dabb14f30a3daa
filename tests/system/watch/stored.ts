/**
 * The windows of a prefix read straight from Redis with plain commands, following the README's
 * "Redis layout" (not wikistream's reader): what `top` and `read` must print. Also the writer
 * runs the watch tests share.
 */
import type Redis from "ioredis";
import { createReplayScenario } from "../../support/corpus.ts";
import { resolveBinary } from "../../support/process.ts";
import type { WindowWire } from "../../../src/window/wire.ts";

/** One window as `--json` prints it: the wire form. */
export type StoredWindow = WindowWire;

/** Busiest first, then by name (code units), as top and read print them. */
export function sortPairs(pairs: [string, number][]): [string, number][] {
  return pairs.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Every window `epochs` lists, oldest first; a listed window without a key counted zero. */
export async function readStored(client: Redis, prefix: string): Promise<StoredWindow[]> {
  const windowS = Number(await client.hget(`${prefix}layout`, "window_ms")) / 1000;
  const finalText = await client.hget(`${prefix}checkpoint`, "final_ms");
  const finalS = finalText === null ? Number.POSITIVE_INFINITY : finalText === "" ? Number.NEGATIVE_INFINITY : Number(finalText) / 1000;
  const out: StoredWindow[] = [];
  for (const start of (await client.zrange(`${prefix}epochs`, 0, -1)).map(Number)) {
    const flat = await client.zrange(`${prefix}${start}`, 0, -1, "WITHSCORES");
    const pairs: [string, number][] = [];
    for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i] ?? "", Number(flat[i + 1])]);
    const counts = Object.fromEntries(sortPairs(pairs));
    const total = pairs.reduce((sum, [, n]) => sum + n, 0);
    const incomplete = (await client.sismember(`${prefix}incomplete`, String(start))) === 1;
    out.push({ start, end: start + windowS, total, final: start + windowS <= finalS, incomplete, counts });
  }
  return out;
}

/** The rows `read --csv` must print for these windows (header first). */
export function toCsvRows(windows: readonly StoredWindow[]): string[] {
  const rows = ["start,end,server_name,count,incomplete,final"];
  for (const w of windows) {
    const entries = Object.entries(w.counts);
    if (entries.length === 0) rows.push(`${w.start},${w.end},,0,${w.incomplete},${w.final}`);
    for (const [name, n] of entries) rows.push(`${w.start},${w.end},${name},${n},${w.incomplete},${w.final}`);
  }
  return rows;
}

/**
 * The replay both watch test files write: the 2021 capture twice, --since 5 s past a window
 * boundary so the first window is known to miss events (and is marked so).
 */
export function createQueryScenario() {
  const scenario = createReplayScenario({ cycles: 2, untilIntoLastCycleMs: 95_000 });
  const sinceMs = scenario.sinceMs + 5_000;
  const args = (url: string, redisUrl: string, prefix: string) => ["--url", url, "--redis-url", redisUrl, "--prefix", prefix, "--since", String(sinceMs), "--until", String(scenario.untilMs)];
  return { ...scenario, sinceMs, args };
}

/** A running binary whose stdout is read as it comes (spawnWikistream's is only read at the end). */
export interface LiveRun {
  proc: ReturnType<typeof Bun.spawn>;
  stdout(): string;
  stderr(): string;
}

const live: LiveRun[] = [];

/** Starts the binary with a clean environment (as spawnWikistream does) and collects its output as it comes. */
export function spawnLive(args: string[]): LiveRun {
  const proc = Bun.spawn([resolveBinary(), ...args], { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  let out = "";
  let err = "";
  const collect = async (stream: ReadableStream<Uint8Array>, add: (text: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) add(decoder.decode(chunk, { stream: true }));
  };
  void collect(proc.stdout as ReadableStream<Uint8Array>, (t) => (out += t));
  void collect(proc.stderr as ReadableStream<Uint8Array>, (t) => (err += t));
  const run = { proc, stdout: () => out, stderr: () => err };
  live.push(run);
  return run;
}

/** Kills every spawnLive run still alive (for an afterEach: a failed test leaves none behind). */
export function killLiveRuns(): void {
  for (const run of live.splice(0)) if (run.proc.exitCode === null && run.proc.signalCode === null) run.proc.kill("SIGKILL");
}
