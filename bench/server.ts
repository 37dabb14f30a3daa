/**
 * The benchmark's stand-in for EventStreams, run in a process of its own so that it does not
 * share a core with the consumer under test.
 *
 *   bun bench/server.ts --mode buffer   --events 200000 --rate 50   pre-encoded, sent as fast as possible
 *   bun bench/server.ts --mode generate --events 2000000 --rate 50 --mark 200000 [--wikis 900]
 *                                                                    rendered on the fly, as fast as possible
 *   bun bench/server.ts --mode paced --live-rate 100                 live: stamped with the wall clock, 100/s
 *
 * Every connection gets the stream from the start, or from just after its Last-Event-ID.
 * Prints one JSON line when ready ({"port":…}), then {"sent":N} when N passes a --mark.
 */
import { PREAMBLE, encodeFrames, loadTemplates, renderFrame, resolveEventMs, resolveResumeIndex, spreadServerName, type Template } from "./stream.ts";

/** How the server produces its frames. */
export type ServerMode = "buffer" | "generate" | "paced";

/** Options of the server process, from its command line. */
export interface ServerOptions {
  mode: ServerMode;
  events: number;
  /** Events per second of event time (buffer, generate). */
  rate: number;
  /** Events per second of wall time (paced). */
  liveRate: number;
  /** Bytes per write when sending as fast as possible. */
  chunkBytes: number;
  marks: number[];
  /** generate: give events server_names drawn from this many wikis (see spreadServerName); 0 keeps the fixture's. */
  wikis: number;
}

const HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };

/** Reads the server's flags. */
export function parseServerArgs(argv: readonly string[]): ServerOptions {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i === -1 ? undefined : argv[i + 1];
  };
  const mode = value("--mode") ?? "buffer";
  if (mode !== "buffer" && mode !== "generate" && mode !== "paced") throw new Error(`--mode must be buffer, generate or paced, not ${mode}`);
  const marks: number[] = [];
  argv.forEach((arg, i) => {
    if (arg === "--mark") marks.push(Number(argv[i + 1]));
  });
  return {
    mode,
    events: Number(value("--events") ?? 200_000),
    rate: Number(value("--rate") ?? 50),
    liveRate: Number(value("--live-rate") ?? 100),
    chunkBytes: Number(value("--chunk-bytes") ?? 65_536),
    wikis: Number(value("--wikis") ?? 0),
    marks: marks.sort((a, b) => a - b),
  };
}

function say(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** Counts events handed to the socket and announces each mark once. */
function createTally(marks: readonly number[]): (count: number) => void {
  let sent = 0;
  let next = 0;
  return (count) => {
    sent += count;
    while (next < marks.length && sent >= (marks[next] ?? Number.POSITIVE_INFINITY)) {
      say({ sent, mark: marks[next] });
      next++;
    }
  };
}

function streamBuffer(bytes: Uint8Array, offsets: Float64Array, start: number, options: ServerOptions, tally: (n: number) => void): ReadableStream<Uint8Array> {
  const total = offsets.length - 1;
  let pos = offsets[Math.min(start, total)] ?? bytes.length;
  let frame = Math.min(start, total);
  let first = true;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (first) {
          first = false;
          controller.enqueue(new TextEncoder().encode(PREAMBLE));
          return;
        }
        if (pos >= bytes.length) {
          controller.close();
          return;
        }
        const end = Math.min(pos + options.chunkBytes, bytes.length);
        controller.enqueue(bytes.subarray(pos, end));
        pos = end;
        let done = 0;
        while (frame < total && (offsets[frame + 1] ?? Number.POSITIVE_INFINITY) <= pos) {
          frame++;
          done++;
        }
        if (done > 0) tally(done);
      },
    },
    { highWaterMark: 4 },
  );
}

function streamGenerated(templates: readonly Template[], start: number, options: ServerOptions, tally: (n: number) => void): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let index = start;
  let first = true;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (first) {
          first = false;
          controller.enqueue(encoder.encode(PREAMBLE));
          return;
        }
        if (index >= options.events) {
          controller.close();
          return;
        }
        let text = "";
        const from = index;
        while (index < options.events && text.length < options.chunkBytes) {
          const frame = renderFrame(templates, index, resolveEventMs(index, options.rate));
          text += options.wikis > 0 ? spreadServerName(frame, index, options.wikis) : frame;
          index++;
        }
        controller.enqueue(encoder.encode(text));
        tally(index - from);
      },
    },
    { highWaterMark: 4 },
  );
}

function streamPaced(templates: readonly Template[], start: number, options: ServerOptions, tally: (n: number) => void): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const startedAt = performance.now();
  let index = start;
  let first = true;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (first) {
        first = false;
        controller.enqueue(encoder.encode(PREAMBLE));
        return;
      }
      // Like EventStreams: each event is written as soon as it is due, one write per event.
      const dueAt = startedAt + ((index - start + 1) / options.liveRate) * 1000;
      const wait = dueAt - performance.now();
      if (wait > 0) await Bun.sleep(wait);
      controller.enqueue(encoder.encode(renderFrame(templates, index, Date.now())));
      index++;
      tally(1);
    },
  });
}

/** Starts the server and announces its port on stdout. */
export function startServer(options: ServerOptions): void {
  const templates = loadTemplates();
  const encoded = options.mode === "buffer" ? encodeFrames(templates, options.events, options.rate) : undefined;
  const tally = createTally(options.marks);
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    fetch(req) {
      const start = resolveResumeIndex(req.headers.get("last-event-id"));
      let body: ReadableStream<Uint8Array>;
      if (encoded) body = streamBuffer(encoded.bytes, encoded.offsets, start, options, tally);
      else if (options.mode === "generate") body = streamGenerated(templates, start, options, tally);
      else body = streamPaced(templates, start, options, tally);
      return new Response(body, { headers: HEADERS });
    },
  });
  say({ port: server.port, mode: options.mode, events: options.events, bytes: encoded ? encoded.bytes.length + PREAMBLE.length : null });
}

if (import.meta.main) startServer(parseServerArgs(process.argv.slice(2)));
