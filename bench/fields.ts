/**
 * Micro benchmark of the field extractor: `bun bench/fields.ts [path.ndjson] [rounds]`.
 *
 * Runs JSON.parse + pick (extractFieldsSlow) and extractFields over every line of the real
 * recentchange capture, `rounds` times each (interleaved, best round reported), and prints ns/event
 * for both and the fraction of events that took the fallback.
 */
import { createEventFields, extractFields, extractFieldsSlow, fastPathAccepts, type EventFields } from "../src/fields.ts";
import { loadRealEvents } from "../tests/support/corpus.ts";

const path = process.argv[2];
const rounds = Number(process.argv[3] ?? 20);

// Fresh flat strings, as the SSE decoder hands them over, not slices of one 11 MB string.
const source = path ? (await Bun.file(path).text()).split("\n") : loadRealEvents();
const lines = source
  .filter((line) => line.length > 0)
  .map((line) => Buffer.from(line, "utf8").toString("utf8"));
const chars = lines.reduce((sum, line) => sum + line.length, 0);

type Extract = (data: string, out: EventFields) => unknown;

function pass(extract: Extract, out: EventFields): number {
  const start = Bun.nanoseconds();
  for (const line of lines) extract(line, out);
  return (Bun.nanoseconds() - start) / lines.length;
}

const candidates: [string, Extract][] = [
  ["JSON.parse + pick", extractFieldsSlow],
  ["extractFields", extractFields],
];
const best = candidates.map(() => Infinity);
const out = createEventFields();
for (let warm = 0; warm < 3; warm++) for (const [, extract] of candidates) pass(extract, out);
for (let round = 0; round < rounds; round++) {
  candidates.forEach(([, extract], j) => {
    best[j] = Math.min(best[j] ?? Infinity, pass(extract, out));
  });
}

let fallbacks = 0;
for (const line of lines) if (!fastPathAccepts(line)) fallbacks++;

console.log(`${lines.length} events, ${(chars / lines.length).toFixed(0)} chars each on average, ${rounds} rounds (best shown)`);
candidates.forEach(([name], j) => {
  console.log(`${name.padEnd(18)} ${(best[j] ?? NaN).toFixed(0).padStart(6)} ns/event`);
});
const [slow, fast] = best;
if (slow !== undefined && fast !== undefined) console.log(`ratio              ${(fast / slow).toFixed(2)}`);
console.log(`fallback           ${((100 * fallbacks) / lines.length).toFixed(2)} % of events (${fallbacks})`);
