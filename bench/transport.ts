/**
 * Consumer (a), the floor: Bun's fetch reading the body and throwing it away.
 *   bun bench/transport.ts --url URL
 */
import { parseConsumerArgs, printReport } from "./consumer.ts";

/** Reads `url` to the end; returns the number of bytes. */
export async function drainBody(url: string): Promise<number> {
  const response = await fetch(url, { headers: { Accept: "text/event-stream" } });
  if (response.body === null) throw new Error(`no body from ${url}`);
  const reader = response.body.getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
  }
  return bytes;
}

if (import.meta.main) {
  const bytes = await drainBody(parseConsumerArgs(process.argv.slice(2)).url);
  printReport({ events: 0, counted: 0, bytes });
}
