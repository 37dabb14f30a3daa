/**
 * What watching costs (issue 9): the live run again, now with --listen and the live page's event
 * stream open (read by this process as the page's EventSource would), for its CPU; then
 * /metrics under 50 concurrent scrapes, for its latency.
 */
import { spawnChild, waitUntil } from "./child.ts";
import type { Feed } from "./feed.ts";
import { readClockTicks, readCpuTicks, readStatusKb } from "./probe.ts";
import type { BenchRedis } from "./redis.ts";
import { BINARY, BINARY_ENV } from "./scenario.ts";

/** The watched live run and the scrapes. */
export interface WatchResult {
  cpuPercent: number;
  rssKb: number | undefined;
  events: number;
  /** Messages the page's event stream sent per second, on average. */
  pageMessagesPerSecond: number;
  scrapes: { concurrency: number; count: number; p50Ms: number; p99Ms: number };
}

/** Reads an SSE stream until aborted, counting its messages. */
function followEventStream(url: string, signal: AbortSignal): { messages(): number } {
  let messages = 0;
  void (async () => {
    try {
      const response = await fetch(url, { signal, headers: { Accept: "text/event-stream" } });
      const reader = response.body?.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) return;
        messages += decoder.decode(chunk.value).split("\n\n").length - 1;
      }
    } catch {
      // Aborted at the end of the measurement.
    }
  })();
  return { messages: () => messages };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** 20 rounds of 50 concurrent GET /metrics; the latency of each, sorted. */
async function scrape(base: string, concurrency: number, rounds: number): Promise<WatchResult["scrapes"]> {
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        const started = performance.now();
        const response = await fetch(`${base}metrics`);
        await response.text();
        if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
        times.push(performance.now() - started);
      }),
    );
  }
  times.sort((a, b) => a - b);
  return { concurrency, count: times.length, p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) };
}

/** The live run with --listen and the page's event stream open, then the scrapes. */
export async function measureLiveWatched(feed: Feed, redis: BenchRedis, ratePerSec: number, seconds: number): Promise<WatchResult> {
  await redis.flush();
  const child = spawnChild([BINARY, "--url", feed.url, "--redis-url", redis.url, "--prefix", "watched:", "--listen", "127.0.0.1:0"], { env: BINARY_ENV, measurePeak: false });
  await waitUntil(() => child.stderr().includes("connected to") && /at (http:\/\/127\.0\.0\.1:\d+\/)/.test(child.stderr()), 10_000, "dist/wikistream to listen and connect");
  const base = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(child.stderr())?.[1] ?? "";
  const page = new AbortController();
  const stream = followEventStream(`${base}events`, page.signal);
  await Bun.sleep(1000);
  const pid = child.pid();
  if (pid === undefined) throw new Error("lost the pid of dist/wikistream");
  const ticksBefore = readCpuTicks(pid);
  const messagesBefore = stream.messages();
  const startedAt = performance.now();
  await Bun.sleep(seconds * 1000);
  const ticksAfter = readCpuTicks(pid);
  const elapsedMs = performance.now() - startedAt;
  const pageMessagesPerSecond = ((stream.messages() - messagesBefore) * 1000) / elapsedMs;
  const rssKb = readStatusKb(pid, "VmRSS");
  const scrapes = await scrape(base, 50, 20);
  page.abort();
  child.kill("SIGTERM");
  const result = await child.done;
  if (ticksBefore === undefined || ticksAfter === undefined || result.code !== 0) throw new Error(`watched live run failed:\n${result.stderr.slice(-1500)}`);
  const events = Number(/(\d+) events;/.exec(result.stderr)?.[1]);
  if (!(events >= ratePerSec * seconds * 0.9)) throw new Error(`watched live run read ${events} events; ${ratePerSec * seconds} were due`);
  const cpuPercent = (((ticksAfter - ticksBefore) / readClockTicks()) * 1000 * 100) / elapsedMs;
  return { cpuPercent, rssKb, events, pageMessagesPerSecond, scrapes };
}
