/**
 * Bad input: broken, odd or hostile events mixed into the real capture. Each is skipped and
 * counted under its reason (or, when it is fine after all, counted), never fatal, and never
 * disturbs the other counts: Redis must equal the independent count of the good events only.
 * The last tests feed the SSE reader in process, split at every byte offset.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { createLogger } from "../../../src/lib/log.ts";
import { decodeLatin1 } from "../../../src/lib/latin1.ts";
import type { SourceHandler } from "../../../src/run/ports.ts";
import { createSseSource } from "../../../src/source/sse.ts";
import { buildCycledStream, computeReference, formatReferenceAsRedis } from "../../support/corpus.ts";
import { startFixtureServer, type FixtureOptions } from "../../support/fixture-server.ts";
import { runWikistream, skippedOf, summaryOf } from "../../support/process.ts";
import { dumpWindows } from "../../support/redis.ts";
import { shareRedis } from "../../support/shared.ts";

setDefaultTimeout(30_000);

const WINDOW_MS = 30_000;
const LATENESS_MS = 60_000;
const base = buildCycledStream({ cycles: 1 });
const sinceMs = Math.floor(base.firstMs / WINDOW_MS) * WINDOW_MS;
const untilMs = sinceMs + 180_000;
/** Where bad events go in: early, middle, and late but well before the run stops. */
const POSITIONS = [40, 900, 1800];
/**
 * A time after every event of the capture (but far from the wall clock). Skipped events carry it
 * where they have a time: had one been taken into account, every window would close at once and
 * the rest of the capture would count as late.
 */
const FUTURE_MS = sinceMs + 600_000;

interface RawEvent {
  timestamp: number;
  server_name: string;
  meta: { dt: string; id: string; domain: string };
  [field: string]: unknown;
}
const template = JSON.parse(base.events[0] ?? "{}") as RawEvent;
let serial = 0;

/**
 * A real-shaped event text: the first captured event with `fields` laid over it, dated FUTURE_MS
 * unless `fields` says otherwise. A field set to undefined is left out; `meta` fields are merged.
 */
function eventText(fields: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): string {
  const { meta: _, ...rest } = template;
  return JSON.stringify({
    ...rest,
    timestamp: FUTURE_MS / 1000,
    ...fields,
    meta: { ...template.meta, dt: new Date(FUTURE_MS).toISOString(), id: `bad-${++serial}`, ...meta },
  });
}

/** An event dated like the captured event it sits next to, so counting it disturbs nothing. */
function nearText(near: RawEvent, fields: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): string {
  return eventText({ timestamp: near.timestamp, ...fields }, { dt: near.meta.dt, ...meta });
}

/** An event text padded (in its `comment`) to exactly `bytes` UTF-8 bytes with `fill`. */
function sizedText(bytes: number, fill: string, fields: Record<string, unknown>, near?: RawEvent): string {
  const make = (comment: string) => (near ? nearText(near, { ...fields, comment }) : eventText({ ...fields, comment }));
  const empty = Buffer.byteLength(make(""));
  const fillBytes = Buffer.byteLength(fill);
  const text = make(fill.repeat(Math.floor((bytes - empty) / fillBytes)) + "x".repeat((bytes - empty) % fillBytes));
  if (Buffer.byteLength(text) !== bytes) throw new Error(`sizedText made ${Buffer.byteLength(text)} bytes, not ${bytes}`);
  return text;
}

/** The frame with `marker` replaced by raw bytes (for input a JS string cannot hold). */
function withBytes(frame: string, marker: string, bytes: number[]): Uint8Array {
  const at = frame.indexOf(marker);
  if (at === -1) throw new Error(`no ${marker} in frame`);
  const encoder = new TextEncoder();
  return Buffer.concat([encoder.encode(frame.slice(0, at)), Uint8Array.from(bytes), encoder.encode(frame.slice(at + marker.length))]);
}

/** The encoded frame cut into writes of `size` bytes. */
function split(frame: string, size: number): Uint8Array[] {
  const bytes = new TextEncoder().encode(frame);
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size));
  return pieces;
}

/** One inserted event. */
interface Item {
  /** The `data:` payload; where `bytes` rewrites the frame, the text it stands for. */
  data: string;
  /** The event is fine after all and must be counted. */
  counts?: boolean;
  /** Frame text in place of the default one (event types, comments, framing). */
  frame?: (frame: string) => string;
  /** Raw bytes in place of the frame; an array of arrays is sent as separate writes. */
  bytes?: (frame: string) => Uint8Array | Uint8Array[];
}

/** One bad-input case: items inserted at every position of POSITIONS. */
interface InputCase {
  name: string;
  /** The items to insert next to the captured event `near`. */
  items: (near: RawEvent) => Item[];
  /** Expected skip counters per position. */
  skipped: Record<string, number>;
  args?: string[];
  /** Options for the whole stream (line endings, comments everywhere). */
  stream?: Pick<FixtureOptions, "lineEnding" | "frame">;
  /** A server_name the good events must count this many times per position (the case is about counting it). */
  counted?: { name: string; perPosition: number };
}

const BAD_UTF8: number[][] = [
  [0xff, 0xfe], // bytes that never occur in UTF-8
  [0xc3, 0x28], // a two-byte lead followed by ASCII
  [0x80], // a lone continuation byte
  [0xc0, 0xaf], // an overlong "/"
  [0xed, 0xa0, 0x80], // an encoded surrogate
  [0xe2, 0x82], // a three-byte sequence cut short
];

const cases: InputCase[] = [
  {
    name: "invalid JSON is skipped as invalid-json",
    items: () => [
      { data: `{"server_name":"broken.example.org","timestamp":${FUTURE_MS / 1000}` },
      { data: "{server_name: 'unquoted.example.org'}" },
      { data: "not json at all" },
      { data: `${eventText({ server_name: "trailing.example.org" })}}` },
      { data: "" },
    ],
    skipped: { "invalid-json": 5 },
  },
  {
    name: "JSON that is not an object is skipped as not-object",
    items: () => [
      { data: "[1,2,3]" },
      { data: '"en.wikipedia.org"' },
      { data: "42" },
      { data: "null" },
      { data: "true" },
      { data: `[${eventText({ server_name: "in-array.example.org" })}]` },
    ],
    skipped: { "not-object": 6 },
  },
  {
    name: "an event without server_name is skipped as no-server-name",
    items: () => [{ data: eventText({ server_name: undefined }) }],
    skipped: { "no-server-name": 1 },
  },
  {
    name: "a server_name that is not a string is skipped as no-server-name",
    items: () => [42, null, true, ["en.wikipedia.org"], { name: "en.wikipedia.org" }].map((name) => ({ data: eventText({ server_name: name }) })),
    skipped: { "no-server-name": 5 },
  },
  {
    name: "an empty server_name is skipped as bad-server-name",
    items: () => [{ data: eventText({ server_name: "" }) }],
    skipped: { "bad-server-name": 1 },
  },
  {
    name: "a server_name with control characters or over 255 characters is skipped as bad-server-name",
    items: () =>
      ["bell.example.org\u0007", "tab\t.example.org", "newline.example.org\n", "del.example.org\u007f", "\u001b[31mansi.example.org", `${"a".repeat(250)}.example.org`].map(
        (name) => ({ data: eventText({ server_name: name }) }),
      ),
    skipped: { "bad-server-name": 6 },
  },
  {
    name: "an event without timestamp is counted at its meta.dt",
    items: (near) => [{ data: nearText(near, { timestamp: undefined, server_name: "dt-only.example.org" }), counts: true }],
    skipped: {},
    counted: { name: "dt-only.example.org", perPosition: 1 },
  },
  {
    name: "an event with no usable time (timestamp and meta.dt missing, not numbers or dates, not positive) is skipped as bad-time; one in year 5138 as future",
    items: () =>
      [
        eventText({ timestamp: undefined, server_name: "no-time.example.org" }, { dt: undefined }),
        eventText({ timestamp: String(FUTURE_MS / 1000), server_name: "string-time.example.org" }, { dt: undefined }),
        eventText({ timestamp: null, server_name: "null-time.example.org" }, { dt: "yesterday" }),
        eventText({ timestamp: true, server_name: "bool-time.example.org" }, { dt: 1633731900 }),
        eventText({ timestamp: 0, server_name: "epoch.example.org" }),
        eventText({ timestamp: -1633731900, server_name: "negative.example.org" }),
        eventText({ timestamp: 99_999_999_999, server_name: "year-5138.example.org" }),
        JSON.stringify({ server_name: "no-meta.example.org" }),
      ].map((data) => ({ data })),
    skipped: { "bad-time": 7, future: 1 },
  },
  {
    name: "a 2 MB event in one write is skipped as oversized under the default --max-event-bytes",
    items: () => [{ data: sizedText(2_000_000, "x", { server_name: "huge.example.org" }) }],
    skipped: { oversized: 1 },
  },
  {
    name: "a 2 MB event split over 64 KiB writes is skipped as oversized under the default --max-event-bytes",
    items: () => [{ data: sizedText(2_000_000, "x", { server_name: "huge.example.org" }), bytes: (frame) => split(frame, 65_536) }],
    skipped: { oversized: 1 },
  },
  {
    name: "under --max-event-bytes 4096, 5000-byte events (one write, 100-byte writes, two-byte characters) are skipped as oversized and a 4000-byte one counts",
    args: ["--max-event-bytes", "4096"],
    items: (near) => [
      { data: sizedText(5000, "x", { server_name: "big.example.org" }) },
      { data: sizedText(5000, "x", { server_name: "big-split.example.org" }), bytes: (frame) => split(frame, 100) },
      // About 2500 characters: under the limit when counted in characters, over it in bytes.
      { data: sizedText(5000, "é", { server_name: "big-accents.example.org" }) },
      { data: sizedText(4000, "é", { server_name: "fits.example.org" }, near), counts: true },
    ],
    skipped: { oversized: 3 },
    counted: { name: "fits.example.org", perPosition: 1 },
  },
  {
    name: "an SSE comment line over --max-event-bytes, split over writes, costs the event after it nothing",
    args: ["--max-event-bytes", "4096"],
    items: (near) => [
      {
        data: nearText(near, { server_name: "after-long-comment.example.org" }),
        counts: true,
        frame: (frame) => `: ${"c".repeat(6000)}\n${frame}`,
        bytes: (frame) => split(frame, 100),
      },
    ],
    skipped: {},
    counted: { name: "after-long-comment.example.org", perPosition: 1 },
  },
  {
    name: "invalid UTF-8 inside server_name is skipped as bad-unicode",
    items: (near) =>
      BAD_UTF8.map((bytes) => ({
        data: nearText(near, { server_name: "utf8@BAD@.example.org" }),
        bytes: (frame: string) => withBytes(frame, "@BAD@", bytes),
      })),
    skipped: { "bad-unicode": BAD_UTF8.length },
  },
  {
    // JSON.stringify writes a lone surrogate as its \u escape. Encoded to UTF-8 for Redis, each
    // would become U+FFFD: two names merged into one member, holding counts of both.
    name: "lone UTF-16 surrogates in server_name (x\\ud800.org ×2, x\\udc00.org ×3) are skipped as bad-unicode, never merged into one member",
    items: (near) =>
      ["x\ud800.org", "x\udc00.org", "x\ud800.org", "x\udc00.org", "x\udc00.org"].map((name) => ({ data: nearText(near, { server_name: name }) })),
    skipped: { "bad-unicode": 5 },
  },
  {
    name: "a surrogate pair escape and non-ASCII names that survive a UTF-8 round trip are counted",
    items: (near) => [
      { data: nearText(near, { server_name: "\ud83d\ude00.example.org" }), counts: true },
      { data: nearText(near, { server_name: "bücher.example.org" }), counts: true },
    ],
    skipped: {},
    counted: { name: "\u{1f600}.example.org", perPosition: 1 },
  },
  {
    name: "invalid UTF-8 inside the comment field is counted: it touches nothing stored",
    items: (near) =>
      BAD_UTF8.map((bytes) => ({
        data: nearText(near, { server_name: "bad-comment.example.org", comment: "before @BAD@ after" }),
        counts: true,
        bytes: (frame: string) => withBytes(frame, "@BAD@", bytes),
      })),
    skipped: {},
    counted: { name: "bad-comment.example.org", perPosition: BAD_UTF8.length },
  },
  {
    name: "NUL bytes are skipped where they break the event (raw in JSON, in server_name) and harmless elsewhere (in comment, in an SSE comment line)",
    items: (near) => [
      { data: eventText({ server_name: "raw-nul.example.org", comment: "a@NUL@b" }).replace("@NUL@", "\u0000") },
      { data: eventText({ server_name: "nul\u0000.example.org" }) },
      { data: nearText(near, { server_name: "nul-comment.example.org", comment: "a\u0000b" }), counts: true },
      { data: nearText(near, { server_name: "after-nul-line.example.org" }), counts: true, frame: (frame) => `: \u0000\u0000\u0000\n${frame}` },
    ],
    skipped: { "invalid-json": 1, "bad-server-name": 1 },
    counted: { name: "nul-comment.example.org", perPosition: 1 },
  },
  {
    name: "unknown fields, a repeated key (the last wins) and an event without an `event:` line are counted",
    items: (near) => {
      const unknown = nearText(near, {
        server_name: "unknown-fields.example.org",
        x_future_field: { nested: [1, 2.5e3, { a: null, b: [true, false] }], "ключ": "значение" },
        server_name_2: "not-this.example.org",
        length: { old: 1, new: 2 },
        log_params: [],
      });
      const repeated = nearText(near, { server_name: "first.example.org" }).replace(/}$/, ',"server_name":"last.example.org"}');
      return [
        { data: unknown, counts: true },
        { data: repeated, counts: true },
        { data: nearText(near, { server_name: "untyped.example.org" }), counts: true, frame: (frame) => frame.replace("event: message\n", "") },
      ];
    },
    skipped: {},
    counted: { name: "last.example.org", perPosition: 1 },
  },
  {
    name: "events of other types (`event: foo`, `event: MESSAGE`, `event: ping`) are skipped as other-event-type",
    items: () =>
      ["foo", "MESSAGE", "ping"].map((type) => ({
        data: eventText({ server_name: `${type}.example.org` }),
        frame: (frame: string) => frame.replace("event: message\n", `event: ${type}\n`),
      })),
    skipped: { "other-event-type": 3 },
  },
  {
    name: "comments and unknown SSE fields between and inside events change nothing",
    items: () => [],
    stream: {
      frame: (i, frame) =>
        i % 5 === 0 ? `: hi\n\n${frame.replace("\ndata:", "\n: inside\nfoo: bar\ndata:")}:\n:another comment\n\n` : frame,
    },
    skipped: {},
  },
  { name: "CRLF line endings for the whole stream change nothing", items: () => [], stream: { lineEnding: "\r\n" }, skipped: {} },
  { name: "CR line endings for the whole stream change nothing", items: () => [], stream: { lineEnding: "\r" }, skipped: {} },
];

const redis = shareRedis();

/** The corpus with the case's items inserted, the fixture options that frame them, and the good events. */
function assemble(inputCase: InputCase): { options: FixtureOptions; good: string[] } {
  const events: string[] = [];
  const good: string[] = [];
  const frames = new Map<number, (frame: string) => string>();
  const bytes = new Map<number, (frame: string) => Uint8Array | Uint8Array[]>();
  for (const [i, line] of base.events.entries()) {
    if (POSITIONS.includes(i)) {
      for (const item of inputCase.items(JSON.parse(line) as RawEvent)) {
        if (item.frame) frames.set(events.length, item.frame);
        if (item.bytes) bytes.set(events.length, item.bytes);
        events.push(item.data);
        if (item.counts) good.push(item.data);
      }
    }
    events.push(line);
    good.push(line);
  }
  const whole = inputCase.stream?.frame;
  const options: FixtureOptions = {
    events,
    lineEnding: inputCase.stream?.lineEnding,
    frame: (i, frame) => {
      const own = frames.get(i);
      return own ? own(frame) : whole ? whole(i, frame) : frame;
    },
    frameBytes: (i, frame) => bytes.get(i)?.(frame),
  };
  return { options, good };
}

describe("bad input mixed into the 2021 capture is skipped and counted by reason, and the good events count exactly", () => {
  for (const [n, inputCase] of cases.entries()) {
    test(inputCase.name, async () => {
      const prefix = `in${n}:`;
      const { options, good } = assemble(inputCase);
      const reference = computeReference(good, { windowMs: WINDOW_MS, latenessMs: LATENESS_MS, untilMs });
      if (inputCase.counted !== undefined) {
        const { name, perPosition } = inputCase.counted;
        expect([...reference.values()].reduce((sum, counts) => sum + (counts.get(name) ?? 0), 0)).toBe(perPosition * POSITIONS.length);
      }
      const server = startFixtureServer(options);
      try {
        const args = ["--url", server.url, "--redis-url", redis.url, "--prefix", prefix, "--since", String(sinceMs), "--until", String(untilMs)];
        const result = await runWikistream([...args, ...(inputCase.args ?? [])]);
        expect(result.stderr).not.toContain("error:");
        expect(result.code).toBe(0);
        expect(await dumpWindows(redis, prefix)).toEqual(formatReferenceAsRedis(reference, prefix));
        const summary = summaryOf(result.stderr);
        const total = [...reference.values()].reduce((sum, counts) => sum + [...counts.values()].reduce((a, b) => a + b, 0), 0);
        expect(summary).toContain(`; ${total} counted`);
        expect(skippedOf(summary)).toEqual(Object.fromEntries(Object.entries(inputCase.skipped).map(([why, k]) => [why, k * POSITIONS.length])));
        // One connection: nothing above broke the stream or made it reconnect.
        expect(server.connections.length).toBe(1);
      } finally {
        await server.stop();
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// The SSE reader in process: a small stream delivered as two chunks, split at every byte offset.

/** What the reader handed over for one event. */
type Delivered = { kind: "message"; id: string | undefined; data: string } | { kind: "oversized"; id: string | undefined } | { kind: "other"; type: string; data: string };

/** Feeds `chunks` to createSseSource through a fetch stand-in, and returns what it delivered. */
async function readChunks(chunks: Uint8Array[], maxEventBytes: number): Promise<{ events: Delivered[]; reads: number }> {
  const stop = new AbortController();
  let calls = 0;
  const fakeFetch = Object.assign(
    async (): Promise<Response> => {
      calls++;
      if (calls > 1) {
        // The reader reconnects after the end of the stream: that is the end of the test.
        stop.abort();
        throw new DOMException("stopped", "AbortError");
      }
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(chunk);
          controller.close();
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream; charset=utf-8" } });
    },
    { preconnect: fetch.preconnect },
  );
  const events: Delivered[] = [];
  let reads = 0;
  const handler: SourceHandler = {
    onMessage(id, data, oversized) {
      // What run.ts does with it: an event cut by the reader, or too large in bytes, is skipped.
      // The reader hands over one character per byte, so length is the size in bytes.
      events.push(oversized || data.length > maxEventBytes ? { kind: "oversized", id } : { kind: "message", id, data: decodeLatin1(data) });
    },
    onOtherEvent(type, data) {
      events.push({ kind: "other", type, data: decodeLatin1(data) });
    },
    onChunk() {
      reads++;
      return undefined;
    },
    onConnect() {},
    position: () => ({ id: null, sinceMs: null }),
    onResumeRejected: () => 0,
  };
  const source = createSseSource({
    url: "http://127.0.0.1:1/v2/stream/recentchange",
    userAgent: "wikistream-test",
    idleTimeoutMs: 10_000,
    maxEventBytes,
    log: createLogger({ write: () => undefined }),
    fetch: fakeFetch,
  });
  await source.run(handler, stop.signal);
  return { events, reads };
}

const small = [
  '{"server_name":"fr.wikipedia.org","timestamp":1633731810,"title":"Été à Zürich — 😀","meta":{"id":"a"}}',
  '{"server_name":"ja.wikipedia.org","timestamp":1633731811,"title":"東京","meta":{"id":"b"}}',
  '{"server_name":"www.wikidata.org","timestamp":1633731812,"comment":"€ and \\u00e9","meta":{"id":"c"}}',
];

/** A stream of the small events, in EventStreams framing with `eol` line endings. */
function smallStream(eol: string, extra: { long?: string; longComment?: string } = {}): { text: string; expected: Delivered[] } {
  const parts: string[] = [":ok", ""];
  const expected: Delivered[] = [];
  const add = (id: string, data: string, delivered: Delivered) => {
    parts.push("event: message", `id: ${id}`, `data: ${data}`, "");
    expected.push(delivered);
  };
  add("[{\"offset\":1}]", small[0] ?? "", { kind: "message", id: "[{\"offset\":1}]", data: small[0] ?? "" });
  if (extra.longComment !== undefined) parts.push(`: ${extra.longComment}`);
  parts.push(": hi", "");
  add("[{\"offset\":2}]", small[1] ?? "", { kind: "message", id: "[{\"offset\":2}]", data: small[1] ?? "" });
  if (extra.long !== undefined) add("[{\"offset\":3}]", extra.long, { kind: "oversized", id: "[{\"offset\":3}]" });
  parts.push("event: foo", "data: {}", "");
  expected.push({ kind: "other", type: "foo", data: "{}" });
  add("[{\"offset\":4}]", small[2] ?? "", { kind: "message", id: "[{\"offset\":4}]", data: small[2] ?? "" });
  return { text: parts.join(eol) + eol, expected };
}

describe("the SSE reader, given a small stream as two chunks split at every byte offset", () => {
  const variants: { name: string; eol: string; maxEventBytes: number; extra?: { long?: string; longComment?: string } }[] = [
    { name: "LF line endings", eol: "\n", maxEventBytes: 4096 },
    { name: "CRLF line endings", eol: "\r\n", maxEventBytes: 4096 },
    { name: "CR line endings", eol: "\r", maxEventBytes: 4096 },
    {
      name: "an event over a 200-byte limit and a comment line over it",
      eol: "\n",
      maxEventBytes: 200,
      extra: { long: `{"server_name":"big.example.org","timestamp":1633731812,"comment":"${"é".repeat(150)}"}`, longComment: "z".repeat(400) },
    },
    {
      name: "CRLF, an event over a 200-byte limit and a comment line over it",
      eol: "\r\n",
      maxEventBytes: 200,
      extra: { long: `{"server_name":"big.example.org","timestamp":1633731812,"comment":"${"x".repeat(300)}"}`, longComment: "z".repeat(400) },
    },
  ];
  for (const variant of variants) {
    test(`with ${variant.name}, every split delivers exactly the events of the unsplit stream`, async () => {
      const { text, expected } = smallStream(variant.eol, variant.extra);
      const bytes = new TextEncoder().encode(text);
      const whole = await readChunks([bytes], variant.maxEventBytes);
      expect(whole.events).toEqual(expected);
      const wrong: { at: number; events: Delivered[] }[] = [];
      let reads = 0;
      for (let at = 1; at < bytes.length; at++) {
        const result = await readChunks([bytes.subarray(0, at), bytes.subarray(at)], variant.maxEventBytes);
        reads += result.reads;
        if (!Bun.deepEquals(result.events, expected)) wrong.push({ at, events: result.events });
      }
      // Each split really arrived as two reads.
      expect(reads).toBe(2 * (bytes.length - 1));
      expect(wrong.slice(0, 3)).toEqual([]);
    });
  }
});
