/**
 * Micro benchmark of the field extractor: `bun bench/fields.ts [path.ndjson] [rounds]`.
 *
 * Runs JSON.parse + pick (extractFieldsSlow) and the fast extractors over every line of the real
 * recentchange capture, `rounds` times each (interleaved, best round reported), and prints ns/event
 * and the fraction of events that took the fallback. Each runs on the text as UTF-8 decoded
 * strings, and on their Latin-1 views (one character per byte, what the SSE source hands over).
 */
import {
  createEventFields,
  extractFields,
  extractFieldsLatin1,
  extractFieldsSlow,
  fastPathAccepts,
  fastPathAcceptsLatin1,
  type EventFields,
} from "../src/event/fields.ts";
import { loadRealEvents } from "../tests/support/corpus.ts";

const path = process.argv[2];
const rounds = Number(process.argv[3] ?? 20);

// Fresh flat strings, as the SSE decoder hands them over, not slices of one 11 MB string.
const source = path ? (await Bun.file(path).text()).split("\n") : loadRealEvents();
const lines = source
  .filter((line) => line.length > 0)
  .map((line) => Buffer.from(line, "utf8").toString("utf8"));
const latin1Lines = lines.map((line) => Buffer.from(line, "utf8").toString("latin1"));
const chars = lines.reduce((sum, line) => sum + line.length, 0);

type Extract = (data: string, out: EventFields) => unknown;

function pass(extract: Extract, input: readonly string[], out: EventFields): number {
  const start = Bun.nanoseconds();
  for (const line of input) extract(line, out);
  return (Bun.nanoseconds() - start) / input.length;
}

const candidates: [string, Extract, readonly string[]][] = [
  ["JSON.parse + pick", extractFieldsSlow, lines],
  ["extractFields", extractFields, lines],
  ["Latin-1: JSON.parse + pick", extractFieldsSlow, latin1Lines],
  ["Latin-1: extractFields", extractFields, latin1Lines],
  ["Latin-1: extractFieldsLatin1", extractFieldsLatin1, latin1Lines],
];
const best = candidates.map(() => Infinity);
const out = createEventFields();
for (let warm = 0; warm < 3; warm++) for (const [, extract, input] of candidates) pass(extract, input, out);
for (let round = 0; round < rounds; round++) {
  candidates.forEach(([, extract, input], j) => {
    best[j] = Math.min(best[j] ?? Infinity, pass(extract, input, out));
  });
}

const fallbacks = lines.filter((line) => !fastPathAccepts(line)).length;
const latin1Fallbacks = latin1Lines.filter((line) => !fastPathAcceptsLatin1(line)).length;

console.log(`${lines.length} events, ${(chars / lines.length).toFixed(0)} chars each on average, ${rounds} rounds (best shown)`);
candidates.forEach(([name], j) => {
  console.log(`${name.padEnd(30)} ${(best[j] ?? NaN).toFixed(0).padStart(6)} ns/event`);
});
const [slow, fast, latin1Slow, , latin1Fast] = best;
if (slow !== undefined && fast !== undefined) console.log(`ratio (UTF-16)                 ${(fast / slow).toFixed(2)}`);
if (latin1Slow !== undefined && latin1Fast !== undefined) console.log(`ratio (Latin-1)                ${(latin1Fast / latin1Slow).toFixed(2)}`);
const percent = (k: number) => `${((100 * k) / lines.length).toFixed(2)} % of events (${k})`;
console.log(`fallback                       ${percent(fallbacks)}`);
console.log(`fallback (Latin-1)             ${percent(latin1Fallbacks)}`);
