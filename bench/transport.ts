/**
 * Consumer (a), the floor: Bun's fetch reading the body and throwing it away. Also reports the
 * sizes of the chunks fetch handed over, which every other consumer of the stream gets too.
 *   bun bench/transport.ts --url URL
 */
import { parseConsumerArgs, printReport, type ChunkSizes } from "./consumer.ts";

/** The sizes of the chunks in `sizes` (bytes): count, 10th, 50th and 90th percentile, max. */
export function summariseChunks(sizes: number[]): ChunkSizes {
  const sorted = [...sizes].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  return { count: sorted.length, p10: at(0.1), p50: at(0.5), p90: at(0.9), max: sorted.at(-1) ?? 0 };
}

/** Reads `url` to the end; returns the number of bytes and the size of every chunk. */
export async function drainBody(url: string): Promise<{ bytes: number; sizes: number[] }> {
  const response = await fetch(url, { headers: { Accept: "text/event-stream" } });
  if (response.body === null) throw new Error(`no body from ${url}`);
  const reader = response.body.getReader();
  let bytes = 0;
  const sizes: number[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    sizes.push(value.byteLength);
  }
  return { bytes, sizes };
}

if (import.meta.main) {
  const { bytes, sizes } = await drainBody(parseConsumerArgs(process.argv.slice(2)).url);
  printReport({ events: 0, counted: 0, bytes, chunks: summariseChunks(sizes) });
}
