/**
 * The live page's event stream (GET /events) in process: a snapshot first, then deltas, and a
 * new snapshot once the history from Redis is in. The page itself, in chromium against the
 * binary: tests/system/watch/page.test.ts.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { Telemetry } from "../../../src/run/telemetry.ts";
import { createLiveRoutes } from "../../../src/serve/live.ts";
import type { LiveMessage } from "../../../src/serve/page/messages.ts";
import type { WindowView } from "../../../src/window/types.ts";

// The stream sends a message a second: a test reads three or four of them (2-3 s), which bun's
// 5 s default leaves too little room for on a busy machine. The limit only catches a hang.
setDefaultTimeout(30_000);

/** Reads the messages of an event stream as they come. */
function readMessages(body: ReadableStream<Uint8Array>): () => Promise<LiveMessage | null> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return async () => {
    for (;;) {
      const end = buffer.indexOf("\n\n");
      if (end !== -1) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame.split("\n").find((line) => line.startsWith("data: "));
        if (data !== undefined) return JSON.parse(data.slice(6)) as LiveMessage;
        continue;
      }
      const { value, done } = await reader.read();
      if (done) return null;
      buffer += decoder.decode(value, { stream: true });
    }
  };
}

function view(startS: number, counts: Record<string, number>, final: boolean, incomplete = false): WindowView {
  const map = new Map(Object.entries(counts));
  return { startMs: startS * 1000, endMs: (startS + 30) * 1000, total: [...map.values()].reduce((a, b) => a + b, 0), counts: map, final, incomplete };
}

/** An open window of two views, server_name (the main one) and type. */
function twoViews(startS: number, wikis: Record<string, number>, types: Record<string, number>): WindowView {
  const main = new Map(Object.entries(wikis));
  const views = new Map([
    ["server_name", main],
    ["type", new Map(Object.entries(types))],
  ]);
  return { startMs: startS * 1000, endMs: (startS + 30) * 1000, total: [...main.values()].reduce((a, b) => a + b, 0), counts: main, views, final: false, incomplete: false };
}

/** Opens GET /events on a server of its own; `stop` ends both. */
function openEvents(telemetry: Telemetry) {
  const live = createLiveRoutes({ telemetry, redis: false });
  const events = live.routes["/events"];
  if (typeof events !== "function") throw new Error("/events is no handler");
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, routes: { "/events": events } });
  const stop = async () => {
    live.close();
    await server.stop(true);
  };
  return { url: `${server.url.href}events`, stop };
}

describe("GET /events, in-process", () => {
  test("a snapshot first, then deltas (new final windows whole, open windows' changed counts only), and a new snapshot once the history is in", async () => {
    const telemetry = new Telemetry();
    let open = [view(90, { "a.org": 1, "b.org": 2 }, false)];
    telemetry.attach({ newestEventMs: () => 100_000, openWindows: () => open, backlog: () => 0 });
    let giveHistory: (windows: WindowView[]) => void = () => undefined;
    const history = new Promise<WindowView[]>((resolve) => (giveHistory = resolve));
    const live = createLiveRoutes({ telemetry, redis: true, loadHistory: () => history });
    const events = live.routes["/events"];
    if (typeof events !== "function") throw new Error("/events is no handler");
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, routes: { "/events": events } });
    try {
      const response = await fetch(`${server.url.href}events`);
      expect(response.headers.get("content-type")).toBe("text/event-stream");
      const next = readMessages(response.body ?? new ReadableStream());
      const first = await next();
      expect(first).toMatchObject({ kind: "snapshot", windows: [], open: [{ start: 90, end: 120, total: 3, incomplete: false, counts: { "a.org": 1, "b.org": 2 } }] });
      expect(first?.status).toMatchObject({ redis: true, history: "loading", openWindows: 1, lastWrite: null });

      open = [view(90, { "a.org": 1, "b.org": 5 }, false)];
      telemetry.recordWindows([view(60, { "c.org": 7 }, true)], [60_000]);
      const second = await next();
      expect(second).toMatchObject({ kind: "delta", windows: [{ start: 60, total: 7, incomplete: true, counts: { "c.org": 7 } }], open: [{ start: 90, total: 6, counts: { "b.org": 5 } }] });

      giveHistory([view(0, { "d.org": 4 }, true), view(30, { "d.org": 1 }, true)]);
      let third = await next();
      while (third?.kind === "delta") third = await next();
      expect(third?.windows.map((w) => w.start)).toEqual([0, 30, 60]);
      expect(third?.status.history).toBe("loaded");
      open = [];
      const fourth = await next();
      expect(fourth).toMatchObject({ kind: "delta", windows: [], open: [] });
      live.close();
      expect(await next()).toBeNull();
    } finally {
      live.close();
      await server.stop(true);
    }
  });

  test("with several views, a delta carries in each view only the members that changed, in the wire form's key order", async () => {
    const telemetry = new Telemetry();
    let open = [twoViews(90, { "a.org": 1, "b.org": 2 }, { edit: 3 })];
    telemetry.attach({ newestEventMs: () => 100_000, openWindows: () => open, backlog: () => 0 });
    const events = openEvents(telemetry);
    try {
      const next = readMessages((await fetch(events.url)).body ?? new ReadableStream());
      const first = await next();
      expect(first?.open).toEqual([{ start: 90, end: 120, total: 3, final: false, incomplete: false, counts: { "b.org": 2, "a.org": 1 }, views: { server_name: { "b.org": 2, "a.org": 1 }, type: { edit: 3 } } }]);
      // The first tick has nothing to compare with: every member; the next one the changes alone.
      let delta = await next();
      expect(delta?.kind).toBe("delta");
      open = [twoViews(90, { "a.org": 1, "b.org": 3 }, { edit: 3, log: 1 })];
      delta = await next();
      while (delta?.open[0]?.total === 3) delta = await next();
      expect(delta?.kind).toBe("delta");
      expect(JSON.stringify(delta?.open)).toBe('[{"start":90,"end":120,"total":4,"final":false,"incomplete":false,"counts":{"b.org":3},"views":{"server_name":{"b.org":3},"type":{"log":1}}}]');
    } finally {
      await events.stop();
    }
  });
});
