/**
 * Micro benchmark of the field extractor: `bun bench/fields.ts [path.ndjson[.gz]] [rounds]`.
 *
 * Runs JSON.parse + pick (extractFieldsSlow) and the fast extractor (extractFieldsLatin1) over
 * every line of the real recentchange capture, `rounds` times each (interleaved, best round
 * reported), and prints ns/event and the fraction of events that took the fallback. The fast
 * extractor reads the Latin-1 views of the lines (one character per byte of UTF-8, what the SSE
 * source hands over); JSON.parse + pick runs on both the UTF-8 decoded lines and those views.
 * With every view field asked for too (title, user, wiki, log_type, namespace: what `--by` reads
 * beyond the usual pick): the fast extractor, and the reference (the Latin-1 view parsed, then
 * its UTF-8 decoded and parsed again).
 */
import { VIEW_FIELD, createEventFields, extractFieldsLatin1, extractFieldsSlow, fastPathAcceptsLatin1, type EventFields } from "../src/event/fields.ts";
import { readEventLines } from "./corpus.ts";

const path = process.argv[2];
const rounds = Number(process.argv[3] ?? 20);

// Fresh flat strings, as the SSE decoder hands them over, not slices of one 11 MB string.
const lines = readEventLines(path).map((line) => Buffer.from(line, "utf8").toString("utf8"));
const latin1Lines = lines.map((line) => Buffer.from(line, "utf8").toString("latin1"));
const bytes = latin1Lines.reduce((sum, line) => sum + line.length, 0);

type Extract = (data: string, out: EventFields) => unknown;

const ALL_VIEW_FIELDS = Object.values(VIEW_FIELD).reduce((mask, bit) => mask | bit, 0);

function pass(extract: Extract, input: readonly string[], out: EventFields): number {
  const start = Bun.nanoseconds();
  for (const line of input) extract(line, out);
  return (Bun.nanoseconds() - start) / input.length;
}

const candidates: [string, Extract, readonly string[]][] = [
  ["JSON.parse + pick (UTF-8)", extractFieldsSlow, lines],
  ["JSON.parse + pick (Latin-1)", extractFieldsSlow, latin1Lines],
  ["extractFieldsLatin1", extractFieldsLatin1, latin1Lines],
  ["JSON.parse ×2, view fields too", (data, out) => extractFieldsSlow(data, out, ALL_VIEW_FIELDS), latin1Lines],
  ["extractFieldsLatin1, view fields", (data, out) => extractFieldsLatin1(data, out, ALL_VIEW_FIELDS), latin1Lines],
];
const best = candidates.map(() => Infinity);
const out = createEventFields();
for (let warm = 0; warm < 3; warm++) for (const [, extract, input] of candidates) pass(extract, input, out);
for (let round = 0; round < rounds; round++) {
  candidates.forEach(([, extract, input], j) => {
    best[j] = Math.min(best[j] ?? Infinity, pass(extract, input, out));
  });
}

const fallbacks = latin1Lines.filter((line) => !fastPathAcceptsLatin1(line)).length;

console.log(`${lines.length} events, ${(bytes / lines.length).toFixed(0)} bytes each on average, ${rounds} rounds (best shown)`);
candidates.forEach(([name], j) => {
  console.log(`${name.padEnd(30)} ${(best[j] ?? NaN).toFixed(0).padStart(6)} ns/event`);
});
const [, slow, fast, slowViews, fastViews] = best;
if (slow !== undefined && fast !== undefined) console.log(`ratio (fast / JSON.parse, Latin-1) ${(fast / slow).toFixed(2)}`);
if (slowViews !== undefined && fastViews !== undefined) console.log(`ratio with the view fields      ${(fastViews / slowViews).toFixed(2)}`);
console.log(`fallback                       ${((100 * fallbacks) / lines.length).toFixed(2)} % of events (${fallbacks})`);
