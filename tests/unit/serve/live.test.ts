/**
 * The live page's event stream (GET /events) in process: a snapshot first, then deltas, and a
 * new snapshot once the history from Redis is in. The page itself, in chromium against the
 * binary: tests/system/watch/page.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { Telemetry } from "../../../src/run/telemetry.ts";
import { createLiveRoutes } from "../../../src/serve/live.ts";
import type { LiveMessage } from "../../../src/serve/page/messages.ts";
import type { WindowView } from "../../../src/window/types.ts";

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
});
