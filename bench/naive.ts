/**
 * Consumer (c): what most JavaScript users would write first. The `eventsource` package,
 * JSON.parse on every message, counts in a Map per 30 s window, and each window written with
 * one MULTI of ZADDs through ioredis once it can no longer change (lateness 60 s), the same
 * keys wikistream writes. Ends like wikistream: once every window before --until is final.
 *   bun bench/naive.ts --url URL --until MS --redis-url URL [--prefix STR]
 */
import { EventSource } from "eventsource";
import Redis from "ioredis";
import { parseConsumerArgs, printReport, type ConsumerArgs } from "./consumer.ts";

interface RecentChange {
  timestamp?: number;
  server_name?: string;
  meta?: { domain?: string };
}

/** Counts the stream into Redis; resolves with how many events it read and counted. */
export function runNaive(args: ConsumerArgs): Promise<{ events: number; counted: number }> {
  if (args.redisUrl === undefined) throw new Error("naive needs --redis-url");
  const redis = new Redis(args.redisUrl);
  const es = new EventSource(args.url);
  const windows = new Map<number, Map<string, number>>();
  const writes: Promise<unknown>[] = [];
  const lastEnd = Math.ceil(args.untilMs / args.windowMs) * args.windowMs;
  let newest = Number.NEGATIVE_INFINITY;
  let events = 0;
  let counted = 0;
  let finished = false;

  function writeWindow(start: number, counts: Map<string, number>): void {
    const seconds = start / 1000;
    const multi = redis.multi();
    for (const [server, n] of counts) multi.zadd(`${args.prefix}${seconds}`, n, server);
    multi.zadd(`${args.prefix}epochs`, seconds, String(seconds));
    writes.push(multi.exec());
  }

  return new Promise((resolve, reject) => {
    es.onerror = (error) => process.stderr.write(`eventsource: ${error.message ?? "error"}\n`);
    es.onmessage = (message) => {
      if (finished) return;
      events++;
      const change = JSON.parse(message.data) as RecentChange;
      if (typeof change.timestamp !== "number" || typeof change.server_name !== "string" || change.meta?.domain === "canary") return;
      const time = change.timestamp * 1000;
      if (time > newest) newest = time;
      const start = Math.floor(time / args.windowMs) * args.windowMs;
      if (time < args.untilMs && start + args.windowMs > newest - args.latenessMs) {
        const counts = windows.get(start) ?? new Map<string, number>();
        counts.set(change.server_name, (counts.get(change.server_name) ?? 0) + 1);
        windows.set(start, counts);
        counted++;
      }
      for (const [windowStart, counts] of windows) {
        if (windowStart + args.windowMs <= newest - args.latenessMs) {
          writeWindow(windowStart, counts);
          windows.delete(windowStart);
        }
      }
      if (newest - args.latenessMs >= lastEnd) {
        finished = true;
        es.close();
        Promise.all(writes)
          .then(() => redis.quit())
          .then(() => resolve({ events, counted }), reject);
      }
    };
  });
}

if (import.meta.main) {
  const { events, counted } = await runNaive(parseConsumerArgs(process.argv.slice(2)));
  printReport({ events, counted, bytes: 0 });
}
