import { describe, expect, test } from "bun:test";
import { createLogger } from "../../../src/lib/log.ts";
import { FutureWatch } from "../../../src/run/future-watch.ts";
import { createStats } from "../../../src/run/stats.ts";

const PERIOD = 30_000;
const AHEAD = "dated more than --max-ahead 10m past this host's clock";
const warning = (share: string) => `warn: ${share} in the last 30s were ${AHEAD}: they are skipped (counted as future); check this host's clock (timedatectl), or raise --max-ahead\n`;

/** One check at time `at` with the run's cumulative counters: events read, and how many of them were future. */
interface Step {
  at: number;
  events: number;
  future: number;
}

/** Runs `steps` against a watch started at 0; returns the lines logged and, after each step, why not ready. */
function watch(steps: Step[]): { lines: string[]; dropping: (string | null)[] } {
  const lines: string[] = [];
  const futureWatch = new FutureWatch(PERIOD, 600_000, createLogger({ write: (line) => lines.push(line) }), 0);
  const stats = createStats();
  const dropping: (string | null)[] = [];
  for (const step of steps) {
    stats.events = step.events;
    stats.skipped.future = step.future;
    futureWatch.check(step.at, stats);
    dropping.push(futureWatch.droppingAll);
  }
  return { lines, dropping };
}

const ALL = `every event in the last 30s was ${AHEAD}`;

describe("FutureWatch", () => {
  test.each<{ name: string; steps: Step[]; lines: string[]; dropping: (string | null)[] }>([
    { name: "one future event now and then: nothing said", steps: [{ at: 30_000, events: 100, future: 1 }, { at: 60_000, events: 200, future: 1 }], lines: [], dropping: [null, null] },
    {
      name: "future events in two periods running: said once",
      steps: [
        { at: 30_000, events: 100, future: 1 },
        { at: 60_000, events: 200, future: 3 },
        { at: 90_000, events: 300, future: 5 },
      ],
      lines: [warning("2 of 100 events")],
      dropping: [null, null, null],
    },
    {
      name: "every event future: said at once, and not ready until others come",
      steps: [
        { at: 30_000, events: 50, future: 50 },
        { at: 60_000, events: 90, future: 90 },
        { at: 90_000, events: 90, future: 90 },
        { at: 120_000, events: 140, future: 100 },
      ],
      lines: [warning("all 50 events")],
      dropping: [ALL, ALL, ALL, null],
    },
    {
      name: "said again only after a period without any",
      steps: [
        { at: 30_000, events: 50, future: 50 },
        { at: 60_000, events: 100, future: 50 },
        { at: 90_000, events: 150, future: 100 },
      ],
      lines: [warning("all 50 events"), warning("all 50 events")],
      dropping: [ALL, null, ALL],
    },
    { name: "nothing before a whole period has passed", steps: [{ at: 29_999, events: 50, future: 50 }], lines: [], dropping: [null] },
  ])("$name", ({ steps, lines, dropping }) => {
    expect(watch(steps)).toEqual({ lines, dropping });
  });
});
