/**
 * Consumer (d): the straightforward parse with no fast path and no sink. fetch → TextDecoder →
 * eventsource-parser → JSON.parse → a Map of counts per window, ending like wikistream at --until.
 *   bun bench/parse-only.ts --url URL --until MS
 */
import { createParser } from "eventsource-parser";
import { parseConsumerArgs, printReport, type ConsumerArgs } from "./consumer.ts";

interface RecentChange {
  timestamp?: number;
  server_name?: string;
  meta?: { domain?: string };
}

/** Counts the stream at `args.url` per window and server_name; returns how many events it read and counted. */
export async function countStream(args: ConsumerArgs): Promise<{ events: number; counted: number; windows: Map<number, Map<string, number>> }> {
  const windows = new Map<number, Map<string, number>>();
  const lastEnd = Math.ceil(args.untilMs / args.windowMs) * args.windowMs;
  let events = 0;
  let counted = 0;
  let newest = Number.NEGATIVE_INFINITY;
  const parser = createParser({
    onEvent(message) {
      events++;
      const change = JSON.parse(message.data) as RecentChange;
      if (typeof change.timestamp !== "number" || typeof change.server_name !== "string" || change.meta?.domain === "canary") return;
      const timeMs = change.timestamp * 1000;
      if (timeMs > newest) newest = timeMs;
      const start = Math.floor(timeMs / args.windowMs) * args.windowMs;
      if (timeMs >= args.untilMs || start + args.windowMs <= newest - args.latenessMs) return;
      let counts = windows.get(start);
      if (counts === undefined) {
        counts = new Map();
        windows.set(start, counts);
      }
      counts.set(change.server_name, (counts.get(change.server_name) ?? 0) + 1);
      counted++;
    },
  });
  const response = await fetch(args.url, { headers: { Accept: "text/event-stream" } });
  if (response.body === null) throw new Error(`no body from ${args.url}`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parser.feed(decoder.decode(value, { stream: true }));
    if (newest - args.latenessMs >= lastEnd) break;
  }
  await reader.cancel().catch(() => undefined);
  return { events, counted, windows };
}

if (import.meta.main) {
  const { events, counted } = await countStream(parseConsumerArgs(process.argv.slice(2)));
  printReport({ events, counted, bytes: 0 });
}
