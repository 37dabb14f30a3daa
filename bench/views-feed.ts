/**
 * The views benchmark's stand-in for EventStreams: bench/server.ts's `--mode generate` stream
 * (real events cycled, event time moving forward at --rate), with titles and users spread the way
 * the real stream spreads them over a day. Cycling the fixture alone would repeat the same 8k
 * pages and 1k users every 10,966 events (3.7 minutes at 50/s), so an hourly or daily rollup would
 * hold no more members than one cycle.
 *
 * How they are spread: the real, complete 4-minute slice of the fixture (2021-10-08, every event
 * of the eqiad stream) grows its distinct `server_name|title` pairs as n^0.94 and its distinct
 * users as n^0.72 with the number of events n (Heaps' law: 407 pages in 500 events, 3141 in
 * 4437; 138 users, 661). Copy c of the fixture (c = 0, 1, …) keeps each title (user) as it is in
 * copy 0, or re-tags it `~c` in base 36, as if a new page (person) appeared, with the chance
 * (c+1)^β − c^β; a title that is not new takes the tag it had in an earlier copy picked at random.
 * Within a copy, every event of one title gets the same tag, so the real repetition inside a
 * window stays. After C copies the distinct members are about (copy 0's) × C^β: over a day at
 * 50/s that is ~2.2 M pages and ~77 k users. Deterministic: event i is the same text everywhere.
 *
 *   bun bench/views-feed.ts --events N --rate 50     prints {"port":…} when ready
 */
import { PREAMBLE, loadTemplates, renderFrame, resolveEventMs, type Template } from "./stream.ts";

/** Heaps exponents fitted on the fixture's complete 2021 slice (see the header). */
export const TITLE_BETA = 0.936;
export const USER_BETA = 0.718;

function hash(text: string, salt: number): number {
  let h = (2166136261 ^ salt) >>> 0;
  for (let k = 0; k < text.length; k++) h = Math.imul(h ^ text.charCodeAt(k), 16777619);
  h = Math.imul(h ^ (h >>> 15), 2246822507);
  return ((h ^ (h >>> 13)) >>> 0) / 4294967296;
}

/** The copy whose tag `value` carries in copy `copy` (0: untagged), following the header's rule. */
export function resolveTag(value: string, copy: number, beta: number): number {
  let c = copy;
  while (c > 0) {
    const u = hash(value, c);
    if (u < (c + 1) ** beta - c ** beta) return c;
    c = Math.floor(hash(value, c + 0x9e3779b9) * c);
  }
  return 0;
}

const TITLE = /"title":"((?:[^"\\]|\\.)*)"/;
const USER = /"user":"((?:[^"\\]|\\.)*)"/;

function retag(frame: string, pattern: RegExp, field: string, copy: number, beta: number): string {
  const match = pattern.exec(frame);
  if (match === null || match[1] === undefined) return frame;
  const tag = resolveTag(match[1], copy, beta);
  if (tag === 0) return frame;
  return `${frame.slice(0, match.index)}"${field}":"${match[1]}~${tag.toString(36)}"${frame.slice(match.index + match[0].length)}`;
}

/** Frame `i`, its title and user spread (see the header). */
export function renderSpreadFrame(templates: readonly Template[], i: number, ratePerSec: number): string {
  const copy = Math.floor(i / templates.length);
  const frame = renderFrame(templates, i, resolveEventMs(i, ratePerSec));
  if (copy === 0) return frame;
  return retag(retag(frame, TITLE, "title", copy, TITLE_BETA), USER, "user", copy, USER_BETA);
}

function readNumber(argv: readonly string[], flag: string, fallback: number): number {
  const i = argv.indexOf(flag);
  const value = i === -1 ? fallback : Number(argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag} needs a positive number`);
  return value;
}

/** Serves `events` spread frames to every connection, from the start (the views runs never resume). */
export function startViewsFeed(argv: readonly string[]): void {
  const events = readNumber(argv, "--events", 200_000);
  const rate = readNumber(argv, "--rate", 50);
  const templates = loadTemplates();
  const encoder = new TextEncoder();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    fetch() {
      let index = 0;
      let first = true;
      const body = new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            if (first) {
              first = false;
              controller.enqueue(encoder.encode(PREAMBLE));
              return;
            }
            if (index >= events) {
              controller.close();
              return;
            }
            let text = "";
            while (index < events && text.length < 65_536) text += renderSpreadFrame(templates, index++, rate);
            controller.enqueue(encoder.encode(text));
          },
        },
        { highWaterMark: 4 },
      );
      return new Response(body, { headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" } });
    },
  });
  process.stdout.write(`${JSON.stringify({ port: server.port, events, bytes: null })}\n`);
}

if (import.meta.main) startViewsFeed(process.argv.slice(2));
