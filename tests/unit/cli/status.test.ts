import { describe, expect, test } from "bun:test";
import { StatusLine, formatStatus } from "../../../src/cli/status.ts";
import { Telemetry } from "../../../src/run/telemetry.ts";

const NOW = 1_800_000_000_000;

function createTelemetry(options: { newest?: number | null; open?: number; backlog?: number } = {}) {
  let now = NOW;
  const telemetry = new Telemetry(() => now);
  const window = { startMs: 0, endMs: 30_000, total: 1, counts: new Map([["a", 1]]), final: false };
  telemetry.attach({
    newestEventMs: () => options.newest ?? null,
    openWindows: () => Array.from({ length: options.open ?? 0 }, () => window),
    backlog: () => options.backlog ?? 0,
  });
  return { telemetry, advance: (ms: number) => (now += ms) };
}

describe("formatStatus", () => {
  test("before anything happened", () => {
    const { telemetry } = createTelemetry();
    expect(formatStatus(telemetry, NOW)).toBe("0 events/s · no event yet · 0 windows open · nothing written yet · 0 reconnects");
  });

  test("events/s over the samples, lag, one open window, the last write, a reconnect and the wait", () => {
    const { telemetry, advance } = createTelemetry({ newest: NOW - 2500, open: 1 });
    for (let s = 0; s <= 10; s++) {
      telemetry.stats.events = s * 100;
      telemetry.tick();
    }
    telemetry.sinkObserver.onWrite(5, 1, 0);
    advance(3000);
    telemetry.onDisconnected("drop", 60_000);
    expect(formatStatus(telemetry, NOW + 3000)).toBe("100 events/s · lag 5.5s · 1 window open · last write 3.0s ago · 1 reconnect · waiting to reconnect");
    telemetry.sinkObserver.onWaiting(true);
    expect(formatStatus(telemetry, NOW + 3000)).toEndWith("· waiting for Redis");
  });
});

describe("StatusLine", () => {
  test("redraws in place, cuts a line wider than the terminal, and clears only what it drew", () => {
    const { telemetry } = createTelemetry();
    const out: string[] = [];
    const line = new StatusLine(telemetry, (text) => out.push(text), () => 30, false);
    line.hold();
    line.release();
    expect(out).toEqual(["\r\x1b[K0 events/s · no event yet · …"]);
    out.length = 0;
    line.draw();
    expect(out[0]).toBe("\r\x1b[K0 events/s · no event yet · …");
    expect(out[0]?.length).toBe(4 + 29);
    line.hold();
    line.hold();
    expect(out.slice(1)).toEqual(["\r\x1b[K"]);
  });

  test("stays off while anything is printed (ticks too), comes back when the last print is done, and never after stop", () => {
    const { telemetry } = createTelemetry();
    const out: string[] = [];
    const line = new StatusLine(telemetry, (text) => out.push(text), () => 80, false);
    line.draw();
    line.hold(); // a window on stdout
    line.hold(); // a log line meanwhile
    line.draw(); // the one-second tick
    line.release();
    expect(out).toEqual([expect.stringContaining("events/s"), "\r\x1b[K"]);
    line.release();
    expect(out).toHaveLength(3);
    expect(out[2]).toContain("events/s");
    line.stop();
    line.draw();
    line.release();
    expect(out.slice(3)).toEqual(["\r\x1b[K"]);
  });
});
