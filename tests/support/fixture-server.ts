/**
 * A local stand-in for EventStreams: frames events exactly like it (`:ok` first, then
 * `event: message`, `id: [{"topic":…,"partition":0,"offset":N}]`, `data: {…}`), honours
 * Last-Event-ID and `?since=`, and misbehaves on command for the fault tests.
 * Run directly (`bun tests/support/fixture-server.ts --port 8080 --file events.ndjson`) it serves a file.
 */

/** Per-connection context handed to hooks. */
export interface ConnectionInfo {
  index: number;
  lastEventId: string | null;
  since: string | null;
  userAgent: string | null;
  startIndex: number;
  /** Wall time (Date.now()) when the request arrived. */
  at: number;
}

/** A request answered with a redirect (see `redirects`). */
export interface RedirectInfo {
  path: string;
  lastEventId: string | null;
  at: number;
}

/** Options of startFixtureServer. */
export interface FixtureOptions {
  /** The `data:` payload of each event, in stream order. */
  events: string[];
  topic?: string;
  /** Kafka offset of events[0]. */
  baseOffset?: number;
  /** Events per write. */
  chunkEvents?: number;
  /** Events per second; unlimited when absent. */
  ratePerSec?: number;
  /** Close every connection after this many events. */
  dropEvery?: number;
  /** On the first connection, stop sending after this many events but keep the socket open. */
  stallAfter?: number;
  /** On a resume, send this many events before the requested position again. */
  repeatOnResume?: number;
  /** A Last-Event-ID offset below this gets HTTP 400 (history expired). */
  minOffset?: number;
  /** Overrides the response of a connection: return a Response to send it instead of the stream. */
  respond?: (info: ConnectionInfo, req: Request) => Response | undefined;
  /** Text written in place of event i's frame (for bad framing). */
  frame?: (index: number, defaultFrame: string) => string;
  /** No connection sends the events from this index on until `release()` is called: a gate the test opens. */
  holdAt?: number;
  /** When the events run out: close the stream (default) or keep it open silently. */
  atEnd?: "close" | "hold";
  /** Refuse requests without a descriptive User-Agent with 403, like Wikimedia. */
  requireUserAgent?: boolean;
  /** URL path of the stream. */
  path?: string;
  /** Listen on this port instead of a free one (to start a server where a client already tries to connect). */
  port?: number;
  /** Line terminator of the whole stream: every `\n` of the `:ok` preamble and of each frame (after `frame`) becomes this. */
  lineEnding?: "\n" | "\r\n" | "\r";
  /**
   * Raw bytes written in place of event i's frame (after `frame` and `lineEnding`), for input no
   * string can carry (invalid UTF-8). One array is sent in the same write as its neighbours; an
   * array of arrays is sent as separate writes, `chunkDelayMs` apart (an event split over chunks).
   */
  frameBytes?: (index: number, frame: string) => Uint8Array | Uint8Array[] | undefined;
  /** Pause between the separate writes of a split frame (see `frameBytes`); default 2 ms. */
  chunkDelayMs?: number;
  /** Request path → stream path answered with 302 (query string kept), like a moved endpoint. */
  redirects?: Record<string, string>;
}

/** A running fixture server. */
export interface FixtureServer {
  url: string;
  port: number;
  connections: ConnectionInfo[];
  /** Requests answered with a redirect, in order. */
  redirected: RedirectInfo[];
  /** Events sent in total, over all connections. */
  sent(): number;
  /** Opens the `holdAt` gate. */
  release(): void;
  stop(): Promise<void>;
}

function eventTimeMs(data: string): number {
  try {
    const event = JSON.parse(data) as { timestamp?: unknown; meta?: { dt?: unknown } };
    if (typeof event.meta?.dt === "string") return Date.parse(event.meta.dt);
    if (typeof event.timestamp === "number") return event.timestamp * 1000;
  } catch {
    // Broken events have no time; they are served in order like any other.
  }
  return Number.NaN;
}

/** Starts the server on a free port. */
export function startFixtureServer(options: FixtureOptions): FixtureServer {
  const topic = options.topic ?? "eqiad.mediawiki.recentchange";
  const baseOffset = options.baseOffset ?? 0;
  const chunkEvents = options.chunkEvents ?? 200;
  const path = options.path ?? "/v2/stream/recentchange";
  const eol = options.lineEnding ?? "\n";
  const chunkDelayMs = options.chunkDelayMs ?? 2;
  const rawFrames = new Map<number, Uint8Array | Uint8Array[]>();
  const frames = options.events.map((data, i) => {
    let frame = `event: message\nid: [{"topic":"${topic}","partition":0,"offset":${baseOffset + i}}]\ndata: ${data}\n\n`;
    if (options.frame) frame = options.frame(i, frame);
    if (eol !== "\n") frame = frame.replaceAll("\n", eol);
    const raw = options.frameBytes?.(i, frame);
    if (raw !== undefined) rawFrames.set(i, raw);
    return frame;
  });
  let times: number[] | undefined;
  const connections: ConnectionInfo[] = [];
  const redirected: RedirectInfo[] = [];
  let sent = 0;
  const gate = Promise.withResolvers<void>();
  let released = false;
  const encoder = new TextEncoder();

  function resolveStart(lastEventId: string | null, since: string | null): number | "stale" {
    if (lastEventId) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(lastEventId);
      } catch {
        return "stale";
      }
      const first = Array.isArray(parsed) ? (parsed[0] as { offset?: unknown; timestamp?: unknown } | undefined) : undefined;
      if (typeof first?.offset === "number") {
        if (options.minOffset !== undefined && first.offset < options.minOffset) return "stale";
        return first.offset - baseOffset + 1;
      }
      if (typeof first?.timestamp === "number") return startAtTime(first.timestamp);
      return "stale";
    }
    if (since) {
      const ms = /^\d+$/.test(since) ? Number(since) : Date.parse(since);
      const start = startAtTime(ms);
      return options.minOffset !== undefined ? Math.max(start, options.minOffset - baseOffset) : start;
    }
    return options.minOffset !== undefined ? options.minOffset - baseOffset : 0;
  }

  function startAtTime(ms: number): number {
    times ??= options.events.map(eventTimeMs);
    const index = times.findIndex((t) => t >= ms);
    return index === -1 ? times.length : index;
  }

  /** Writes frames [from, to), honouring `frameBytes`: split frames go out as writes of their own. */
  async function writeFrames(controller: ReadableStreamDefaultController<Uint8Array>, from: number, to: number): Promise<void> {
    const parts: Uint8Array[] = [];
    let text = "";
    const write = () => {
      if (text !== "") parts.push(encoder.encode(text));
      text = "";
      if (parts.length > 0) controller.enqueue(Buffer.concat(parts));
      parts.length = 0;
    };
    for (let i = from; i < to; i++) {
      const raw = rawFrames.get(i);
      if (raw === undefined) {
        text += frames[i] ?? "";
      } else if (!Array.isArray(raw)) {
        if (text !== "") parts.push(encoder.encode(text));
        text = "";
        parts.push(raw);
      } else {
        write();
        for (const piece of raw) {
          controller.enqueue(piece);
          await Bun.sleep(chunkDelayMs);
        }
      }
    }
    write();
  }

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    idleTimeout: 0,
    fetch(req) {
      const url = new URL(req.url);
      const target = options.redirects?.[url.pathname];
      if (target !== undefined) {
        redirected.push({ path: url.pathname, lastEventId: req.headers.get("last-event-id"), at: Date.now() });
        return new Response(null, { status: 302, headers: { location: `${target}${url.search}` } });
      }
      if (url.pathname !== path) return new Response("not found", { status: 404 });
      const lastEventId = req.headers.get("last-event-id");
      const since = url.searchParams.get("since");
      const userAgent = req.headers.get("user-agent");
      const start = resolveStart(lastEventId, since);
      const info: ConnectionInfo = {
        index: connections.length,
        lastEventId,
        since,
        userAgent,
        startIndex: typeof start === "number" ? start : -1,
        at: Date.now(),
      };
      connections.push(info);
      const override = options.respond?.(info, req);
      if (override) return override;
      if (options.requireUserAgent && !/\(.+\)|@|https?:/.test(userAgent ?? "")) {
        return new Response("Please set a user-agent and respect our robot policy https://w.wiki/4wJS", { status: 403 });
      }
      if (start === "stale") return new Response(JSON.stringify({ error: "Invalid Last-Event-ID" }), { status: 400 });
      let index = Math.max(0, start - (lastEventId ? (options.repeatOnResume ?? 0) : 0));
      let inThisConnection = 0;
      const limit = options.dropEvery ?? Number.POSITIVE_INFINITY;
      const stallAt = info.index === 0 ? (options.stallAfter ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY;
      const startedAt = performance.now();
      let first = true;
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (first) {
            first = false;
            controller.enqueue(encoder.encode(`:ok${eol}${eol}`));
            return;
          }
          if (inThisConnection >= stallAt) {
            await Bun.sleep(3_600_000);
            return;
          }
          // Sends on in the same pull once opened: a pull that enqueues nothing is not called again.
          if (!released && index >= (options.holdAt ?? Number.POSITIVE_INFINITY)) await gate.promise;
          const holdAt = released ? Number.POSITIVE_INFINITY : (options.holdAt ?? Number.POSITIVE_INFINITY);
          if (index >= frames.length || inThisConnection >= limit) {
            if (index >= frames.length && options.atEnd === "hold") {
              await Bun.sleep(3_600_000);
              return;
            }
            controller.close();
            return;
          }
          const count = Math.min(chunkEvents, frames.length - index, holdAt - index, limit - inThisConnection, stallAt - inThisConnection);
          if (options.ratePerSec !== undefined) {
            const due = startedAt + ((inThisConnection + count) / options.ratePerSec) * 1000;
            const wait = due - performance.now();
            if (wait > 0) await Bun.sleep(wait);
          }
          if (rawFrames.size === 0) {
            controller.enqueue(encoder.encode(frames.slice(index, index + count).join("")));
          } else {
            await writeFrames(controller, index, index + count);
          }
          index += count;
          inThisConnection += count;
          sent += count;
        },
      });
      return new Response(stream, { headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" } });
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}${path}`,
    port: server.port ?? 0,
    connections,
    redirected,
    sent: () => sent,
    release() {
      released = true;
      gate.resolve();
    },
    async stop() {
      await server.stop(true);
    },
  };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const value = (flag: string) => {
    const i = args.indexOf(flag);
    return i === -1 ? undefined : args[i + 1];
  };
  const file = value("--file");
  if (!file) {
    process.stderr.write("usage: bun tests/support/fixture-server.ts --file events.ndjson [--port N]\n");
    process.exit(2);
  }
  const events = (await Bun.file(file).text()).split("\n").filter((line) => line.trim() !== "");
  const server = startFixtureServer({ events, atEnd: "hold" });
  const port = Number(value("--port") ?? 0);
  if (port > 0) {
    // Re-serve on the asked port through a tiny proxy so scripts can use a fixed address.
    Bun.serve({ hostname: "127.0.0.1", port, fetch: (req) => fetch(server.url + new URL(req.url).search, { headers: req.headers }) });
    process.stdout.write(`http://127.0.0.1:${port}/v2/stream/recentchange\n`);
  } else {
    process.stdout.write(`${server.url}\n`);
  }
}
