import { describe, expect, test } from "bun:test";
import { createLogger } from "../../../src/lib/log.ts";
import { FilterWatch } from "../../../src/run/filter-watch.ts";
import { createStats } from "../../../src/run/stats.ts";

const PERIOD = 30_000;
const FILTERS = "--server 'xx.wiki*'";
const warning = (filtered: number) =>
  `warn: all ${filtered} events in the last 30s were filtered out by ${FILTERS}: nothing is counted; check the filter (see wikistream --help)\n`;

/** One check: at time `at`, the run's counters (cumulative) say this many were filtered and passed. */
interface Step {
  at: number;
  filtered: number;
  passed?: number;
  late?: number;
}

/** Runs `steps` against a watch started at 0 with a logger that records its lines. */
function watch(steps: Step[]): string[] {
  const lines: string[] = [];
  const filterWatch = new FilterWatch(PERIOD, FILTERS, createLogger({ write: (line) => lines.push(line) }), 0);
  const stats = createStats();
  for (const step of steps) {
    stats.skipped.filtered = step.filtered;
    stats.outcomes.counted = step.passed ?? 0;
    stats.outcomes.late = step.late ?? 0;
    filterWatch.check(step.at, stats);
  }
  return lines;
}

describe("FilterWatch", () => {
  test.each<{ name: string; steps: Step[]; lines: string[] }>([
    { name: "nothing before a whole period has passed", steps: [{ at: 10_000, filtered: 50 }, { at: 29_999, filtered: 80 }], lines: [] },
    { name: "all filtered over a period: said once", steps: [{ at: 30_000, filtered: 80 }], lines: [warning(80)] },
    { name: "a check after a longer gap counts it all", steps: [{ at: 95_000, filtered: 7 }], lines: [warning(7)] },
    { name: "no events at all: nothing to say", steps: [{ at: 30_000, filtered: 0 }, { at: 60_000, filtered: 0 }], lines: [] },
    { name: "some got through: nothing to say", steps: [{ at: 30_000, filtered: 80, passed: 1 }], lines: [] },
    { name: "late events got through the filter too", steps: [{ at: 30_000, filtered: 80, late: 1 }], lines: [] },
    {
      name: "still all filtered the next period: not said again",
      steps: [
        { at: 30_000, filtered: 10 },
        { at: 60_000, filtered: 25 },
        { at: 90_000, filtered: 40 },
      ],
      lines: [warning(10)],
    },
    {
      name: "said again after some got through in between",
      steps: [
        { at: 30_000, filtered: 10 },
        { at: 60_000, filtered: 20, passed: 3 },
        { at: 90_000, filtered: 35, passed: 3 },
      ],
      lines: [warning(10), warning(15)],
    },
    {
      name: "counts only the period since the last check",
      steps: [
        { at: 30_000, filtered: 10, passed: 5 },
        { at: 60_000, filtered: 16, passed: 5 },
      ],
      lines: [warning(6)],
    },
    {
      name: "a quiet period (no events) does not reset what was said",
      steps: [
        { at: 30_000, filtered: 10 },
        { at: 60_000, filtered: 10 },
        { at: 90_000, filtered: 20 },
      ],
      lines: [warning(10)],
    },
    {
      name: "checks within a period do not start a new one",
      steps: [
        { at: 20_000, filtered: 5, passed: 1 },
        { at: 30_000, filtered: 9, passed: 1 },
      ],
      lines: [],
    },
  ])("$name", ({ steps, lines }) => {
    expect(watch(steps)).toEqual(lines);
  });

  test("the warning is the logger's last problem, also when --quiet hides it", () => {
    const lines: string[] = [];
    const log = createLogger({ quiet: true, write: (line) => lines.push(line) });
    const stats = createStats();
    stats.skipped.filtered = 3;
    new FilterWatch(PERIOD, FILTERS, log, 0).check(PERIOD, stats);
    expect(lines).toEqual([]);
    expect(log.lastProblem()).toBe(warning(3).replace(/^warn: /, "").trimEnd());
  });
});
