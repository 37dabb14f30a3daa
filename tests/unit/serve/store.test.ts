/** The page's store (serve/page/store.ts) keeps wire windows: a snapshot replaces, a delta's changed members merge in. */
import { describe, expect, test } from "bun:test";
import type { DeltaMessage, SnapshotMessage, StatusMessage } from "../../../src/serve/page/messages.ts";
import { projectView, Store } from "../../../src/serve/page/store.ts";
import type { WindowWire } from "../../../src/window/wire.ts";

const status: StatusMessage = { now: 0, lag: null, eventsPerSecond: 0, openWindows: 0, lastWrite: null, redis: false, ready: true, reason: "", waitingFor: null, history: "none" };

function wire(start: number, counts: Record<string, number>, views?: Record<string, Record<string, number>>, final = false): WindowWire {
  const w: WindowWire = { start, end: start + 30, total: Object.values(counts).reduce((a, b) => a + b, 0), final, incomplete: false, counts };
  if (views !== undefined) w.views = views;
  return w;
}

const snapshot = (windows: WindowWire[], open: WindowWire[]): SnapshotMessage => ({ kind: "snapshot", status, windows, open });
const delta = (windows: WindowWire[], open: WindowWire[]): DeltaMessage => ({ kind: "delta", status, windows, open });

describe("the page's store", () => {
  test("a delta's changed members merge into the open window, in counts and in every view; total and flags are the delta's", () => {
    const store = new Store();
    store.apply(snapshot([], [wire(90, { "a.org": 1, "b.org": 2 }, { server_name: { "a.org": 1, "b.org": 2 }, type: { edit: 3 } })]));
    store.apply(delta([], [{ ...wire(90, { "b.org": 5 }, { server_name: { "b.org": 5 }, type: { log: 3 } }), total: 9, incomplete: true }]));
    expect(store.find(90)).toEqual({
      start: 90,
      end: 120,
      total: 9,
      final: false,
      incomplete: true,
      counts: { "a.org": 1, "b.org": 5 },
      views: { server_name: { "a.org": 1, "b.org": 5 }, type: { edit: 3, log: 3 } },
    });
    expect(store.views()).toEqual(["server_name", "type"]);
  });

  test("closed windows show as final whatever they say; an open window left out of a delta goes; a snapshot replaces all", () => {
    const store = new Store();
    store.apply(snapshot([wire(0, { "a.org": 1 })], [wire(30, { "a.org": 2 }), wire(60, { "c.org": 1 })]));
    expect(store.windows().map((w) => [w.start, w.final])).toEqual([
      [0, true],
      [30, false],
      [60, false],
    ]);
    store.apply(delta([wire(30, { "a.org": 4 })], [{ ...wire(60, {}), total: 1 }]));
    expect(store.windows().map((w) => [w.start, w.final, w.total])).toEqual([
      [0, true, 1],
      [30, true, 4],
      [60, false, 1],
    ]);
    store.apply(snapshot([], [wire(90, { "d.org": 1 })]));
    expect(store.windows().map((w) => w.start)).toEqual([90]);
  });

  test("a delta window not known yet is taken whole", () => {
    const store = new Store();
    store.apply(snapshot([], []));
    store.apply(delta([], [wire(30, { "a.org": 2 })]));
    expect(store.find(30)?.counts).toEqual({ "a.org": 2 });
  });

  test("projectView shows a view's counts, composite members readable; without views, the window itself", () => {
    const w = wire(0, { "a.org": 2 }, { server_name: { "a.org": 2 }, "server_name,bot": { "a.org|false": 2 } });
    expect(projectView(w, "server_name,bot").counts).toEqual({ "a.org · false": 2 });
    expect(projectView(w, undefined)).toBe(w);
  });
});
