/** The goals `bun run bench` checks (issue 21's, with issue 12's that still stand), from its results. */
import { computeMedian, computeRatios, convertKbToMb, formatMb, formatRate, summarise, type BenchResults, type ConsumerResult, type LiveResult, type LongRunResult } from "./report.ts";
import type { WatchResult } from "./watch.ts";

/** One goal and whether it held; `info` lines are shown for comparison and are not goals. */
export interface GoalCheck {
  goal: string;
  measured: string;
  holds: boolean;
  info?: boolean;
}

function checkPeakGoal(key: string, result: ConsumerResult, runs: number): GoalCheck {
  const s = summarise(result);
  const worstMb = convertKbToMb(s.maxPeakKb);
  return {
    goal: `peak RSS of (${key}) ≤ 128 MB at ${formatRate(result.events)} events, worst of the runs`,
    measured: `${formatMb(s.maxPeakKb)} (worst of ${runs}; median ${formatMb(s.peakKb)}); ${worstMb <= 100 ? "≤ 100 MB" : "over 100 MB"}`,
    holds: worstMb <= 128,
  };
}

function formatRatios(r: ReturnType<typeof computeRatios>): string {
  return `${r.median.toFixed(2)}× (rounds ${r.all.map((x) => x.toFixed(2)).join(", ")})`;
}

/** The speed goals of (b) and of the views run, and how far each is above the parsing floor (e). */
function checkSpeedGoals(results: BenchResults): GoalCheck[] {
  const b = computeRatios(results.binary, results.transport);
  const e = computeRatios(results.floor, results.transport);
  const checks: GoalCheck[] = [
    { goal: "(b) ≤ 2.0× (a), median of the rounds' ratios", measured: formatRatios(b), holds: b.median <= 2.0 },
    { goal: "no round of (b) over 2.5× (a)", measured: `highest ${b.max.toFixed(2)}×`, holds: b.max <= 2.5 },
  ];
  const views = results.views;
  if (typeof views === "string") {
    checks.push({ goal: "(b4) the four views ≤ 2.5× (a)", measured: views, holds: false });
  } else {
    const v = computeRatios(views, results.transport);
    checks.push({ goal: "(b4) the four views ≤ 2.5× (a), median of the rounds' ratios", measured: formatRatios(v), holds: v.median <= 2.5 });
  }
  const floor = summarise(results.floor);
  const above = summarise(results.binary).wallMs / floor.wallMs;
  checks.push({
    goal: "the parsing floor (e), for information",
    measured: `(e) is ${formatRatios(e)} (a); (b) takes ${above.toFixed(2)}× the time of (e) by median`,
    holds: true,
    info: true,
  });
  return checks;
}

/**
 * (b) against the baseline (--baseline), pair by pair: each (b) over the (b⁰) run next to it. No
 * regression: a median within 3 %, about what two builds of one commit differ by from pair to
 * pair here.
 */
function checkBaselineGoal(results: BenchResults): GoalCheck[] {
  const baseline = results.baseline;
  if (baseline === undefined) return [];
  const all = results.pairRatios;
  const median = computeMedian(all);
  const sorted = [...all].sort((x, y) => x - y);
  const quartiles = `${(sorted[Math.floor(all.length / 4)] ?? NaN).toFixed(2)}–${(sorted[Math.floor((3 * all.length) / 4)] ?? NaN).toFixed(2)}`;
  return [
    {
      goal: `(b) no slower than (b⁰) ${baseline.label}: median of ${all.length} pairs' (b)/(b⁰) ≤ 1.03`,
      measured: `${median.toFixed(3)}× (middle half ${quartiles}, all ${Math.min(...all).toFixed(2)}–${Math.max(...all).toFixed(2)})`,
      holds: median <= 1.03,
    },
  ];
}

function checkGrowthGoal(long: LongRunResult): GoalCheck {
  const first = long.highFirstKb ?? Number.NaN;
  const last = long.highLastKb ?? Number.NaN;
  const change = (last - first) / first;
  const span = formatRate(long.markEvents);
  return {
    goal: `RSS flat over ${formatRate(long.events)} events: the highest read over the last ${span} within 10 % of the highest over the first ${span}`,
    measured: `${formatMb(first)} → ${formatMb(last)} (${change >= 0 ? "+" : ""}${(change * 100).toFixed(0)} %); single reads after ${span} and at the end: ${formatMb(long.rssAtMarkKb)} → ${formatMb(long.rssAtEndKb)}`,
    holds: Math.abs(change) <= 0.1,
  };
}

function checkLiveGoal(live: LiveResult): GoalCheck {
  return {
    goal: `live (${live.ratePerSec} events/s) ≤ 1.5 % of one core and RSS ≤ 70 MB`,
    measured: `${live.cpuPercent.toFixed(2)} % over ${live.seconds} s, RSS ${formatMb(live.rssKb)}`,
    holds: live.cpuPercent <= 1.5 && convertKbToMb(live.rssKb) <= 70,
  };
}

function checkWatchGoals(live: LiveResult, watch: WatchResult | undefined): GoalCheck[] {
  if (watch === undefined) return [];
  const rise = watch.cpuPercent - live.cpuPercent;
  return [
    {
      goal: "live CPU with --listen and the page open ≤ 0.5 % of a core more than without; the page's stream ≤ 1 message a second",
      measured: `${rise >= 0 ? "+" : ""}${rise.toFixed(2)} % (${watch.cpuPercent.toFixed(2)} % against ${live.cpuPercent.toFixed(2)} %); ${watch.pageMessagesPerSecond.toFixed(2)} messages/s`,
      holds: rise <= 0.5 && watch.pageMessagesPerSecond <= 1.05,
    },
    {
      goal: `/metrics p99 < 10 ms under ${watch.scrapes.concurrency} concurrent scrapes`,
      measured: `p99 ${watch.scrapes.p99Ms.toFixed(1)} ms, p50 ${watch.scrapes.p50Ms.toFixed(1)} ms over ${watch.scrapes.count} scrapes`,
      holds: watch.scrapes.p99Ms < 10,
    },
  ];
}

/** Checks the goals of issues 21 and 12 against the results, then adds the (c) comparison as information. */
export function checkGoals(results: BenchResults): GoalCheck[] {
  const b = summarise(results.binary);
  const c = summarise(results.naive);
  const version = computeMedian(results.versionMs);
  const views = results.views;
  return [
    ...checkSpeedGoals(results),
    ...checkBaselineGoal(results),
    checkPeakGoal("b", results.binary, results.runs),
    ...(typeof views === "string" ? [] : [checkPeakGoal("b4", views, results.runs)]),
    checkGrowthGoal(results.long),
    { goal: "`--version` ≤ 20 ms", measured: `${version.toFixed(1)} ms (median of ${results.versionMs.length})`, holds: version <= 20 },
    checkLiveGoal(results.live),
    ...checkWatchGoals(results.live, results.watch),
    { goal: "(b) against (c), for information", measured: `(b) ${(c.wallMs / b.wallMs).toFixed(1)}× as fast as (c)`, holds: true, info: true },
  ];
}

