/**
 * Consumer (e), the parsing floor: Bun's fetch, each chunk as Latin-1 text (src/lib/latin1.ts,
 * the cheapest byte-exact text there is), eventsource-parser counting events; nothing else. No
 * JSON, no windows, no sink: what any SSE consumer that keeps eventsource-parser pays at least.
 * Reads the whole stream, like (a), and reports how many events it parsed (checked: all of them).
 *   bun bench/floor.ts --url URL
 */
import { createParser } from "eventsource-parser";
import { readLatin1 } from "../src/lib/latin1.ts";
import { parseConsumerArgs, printReport } from "./consumer.ts";

/** Reads `url` to the end; returns how many events eventsource-parser delivered. */
export async function countEvents(url: string): Promise<number> {
  let events = 0;
  const parser = createParser({
    onEvent() {
      events++;
    },
  });
  const response = await fetch(url, { headers: { Accept: "text/event-stream" } });
  if (response.body === null) throw new Error(`no body from ${url}`);
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parser.feed(readLatin1(value));
  }
  return events;
}

if (import.meta.main) {
  const events = await countEvents(parseConsumerArgs(process.argv.slice(2)).url);
  printReport({ events, counted: events, bytes: 0 });
}
