import { describe, expect, test } from "bun:test";
import { createStats, formatStats, type RunStats } from "../../../src/run/stats.ts";

function stats(change: (s: RunStats) => void): RunStats {
  const s = createStats();
  change(s);
  return s;
}

describe("formatStats names only the non-zero counters", () => {
  test.each([
    { name: "a fresh run", stats: createStats(), line: "0 events; 0 counted" },
    { name: "events and counted are always named", stats: stats((s) => ((s.events = 10), (s.outcomes.counted = 9))), line: "10 events; 9 counted" },
    { name: "late", stats: stats((s) => ((s.events = 3), (s.outcomes.late = 2))), line: "3 events; 0 counted; 2 late" },
    { name: "replayed into final windows", stats: stats((s) => (s.outcomes.final = 4)), line: "0 events; 0 counted; 4 replayed into final windows" },
    { name: "after --until", stats: stats((s) => (s.outcomes["after-until"] = 1)), line: "0 events; 0 counted; 1 after --until" },
    { name: "one skip reason", stats: stats((s) => (s.skipped.canary = 2)), line: "0 events; 0 counted; skipped: canary 2" },
    {
      name: "several skip reasons in the table's order",
      stats: stats((s) => ((s.skipped.filtered = 5), (s.skipped["invalid-json"] = 1), (s.skipped.duplicate = 3))),
      line: "0 events; 0 counted; skipped: invalid-json 1, duplicate 3, filtered 5",
    },
    { name: "stream error events", stats: stats((s) => (s.streamErrors = 2)), line: "0 events; 0 counted; 2 stream error events" },
    { name: "the slow path", stats: stats((s) => (s.slowPath = 7)), line: "0 events; 0 counted; 7 read by the slow path" },
    { name: "one event on the slow path", stats: stats((s) => ((s.events = 1), (s.slowPath = 1))), line: "1 event; 0 counted; 1 read by the slow path" },
    { name: "final windows written", stats: stats((s) => (s.windowsWritten = 12)), line: "0 events; 0 counted; 12 final windows written" },
    { name: "one final window written", stats: stats((s) => (s.windowsWritten = 1)), line: "0 events; 0 counted; 1 final window written" },
    { name: "connections are not named", stats: stats((s) => (s.connections = 3)), line: "0 events; 0 counted" },
    {
      name: "everything, in order",
      stats: stats((s) => {
        s.events = 100;
        s.outcomes = { counted: 90, late: 1, final: 2, "after-until": 3 };
        s.skipped.oversized = 1;
        s.streamErrors = 1;
        s.slowPath = 4;
        s.windowsWritten = 3;
      }),
      line: "100 events; 90 counted; 1 late; 2 replayed into final windows; 3 after --until; skipped: oversized 1; 1 stream error event; 4 read by the slow path; 3 final windows written",
    },
  ])("$name", ({ stats, line }) => {
    expect(formatStats(stats)).toBe(line);
  });
});
