/**
 * A real Prometheus (Debian's `prometheus`, which brings `promtool`) for the tests: started on a
 * free port with a data dir of its own and a scrape config for the given targets, asked through
 * its HTTP API. When the programs are missing the tests fail with what to install (the suite's
 * `bun scripts/prepare-tests.ts` installs them), never skip.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "./process.ts";
import { findFreePort } from "./redis.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

/** The rule file the deployment ships, which the test Prometheus loads too. */
export const RULES_FILE = join(ROOT, "deploy/prometheus/wikistream-rules.yml");
/** Its unit tests (promtool test rules). */
export const RULES_TEST_FILE = join(ROOT, "deploy/prometheus/wikistream-rules.test.yml");
/** The Grafana dashboard the deployment ships. */
export const DASHBOARD_FILE = join(ROOT, "deploy/grafana/wikistream-dashboard.json");

/** A rule of wikistream-rules.yml: a recording rule or an alert. */
export type Rule = { record: string; expr: string } | { alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> };

/** The groups of wikistream-rules.yml. */
export function readRules(): { name: string; rules: Rule[] }[] {
  return (Bun.YAML.parse(readFileSync(RULES_FILE, "utf8")) as { groups: { name: string; rules: Rule[] }[] }).groups;
}

/** One query of the dashboard: its panel's title and the PromQL as Grafana sends it (variables in). */
export interface DashboardQuery {
  panel: string;
  expr: string;
}

/** The dashboard JSON's panels with their queries. */
interface Dashboard {
  panels: { title: string; targets?: { expr: string }[] }[];
  templating: { list: { name: string; type: string; query?: { query: string } | string }[] };
}

export function readDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_FILE, "utf8")) as Dashboard;
}

/** Every query of every panel of the dashboard. */
export function listDashboardQueries(dashboard: Dashboard = readDashboard()): DashboardQuery[] {
  return dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })));
}

/**
 * A dashboard query as Grafana would send it with the job `wikistream` and every instance
 * picked. Throws on a variable it does not know, so none goes untested.
 */
export function fillVariables(expr: string): string {
  const values: Record<string, string> = { job: "wikistream", instance: ".+" };
  return expr.replace(/\$(?:\{(\w+)\}|(\w+))/g, (_whole, braced: string | undefined, plain: string | undefined) => {
    const name = braced ?? plain ?? "";
    const value = values[name];
    if (value === undefined) throw new Error(`unknown dashboard variable $${name} in ${expr}`);
    return value;
  });
}

/** The path of `program`, or an error that says how to get it. */
export function requireProgram(program: "prometheus" | "promtool"): string {
  const path = Bun.which(program);
  if (path === null) throw new Error(`${program} is missing: apt-get install prometheus (bun scripts/prepare-tests.ts installs it), then run again`);
  return path;
}

/** What `promtool` printed and how it exited. */
export function runPromtool(args: string[], stdin?: string): { code: number; output: string } {
  const result = Bun.spawnSync([requireProgram("promtool"), ...args], {
    cwd: ROOT,
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: result.exitCode, output: `${result.stdout.toString()}${result.stderr.toString()}` };
}

/** One series of an instant vector, as /api/v1/query returns it. */
export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Why Prometheus refused a query (`bad_data` for one that does not parse), with its message. */
export class PromQueryError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** A running Prometheus of the test's own. */
export interface TestPrometheus {
  url: string;
  /** Evaluates `expr` now (GET /api/v1/query); throws PromQueryError when Prometheus refuses it. */
  query(expr: string): Promise<{ resultType: string; result: unknown }>;
  /** Like query, for an expression whose result is an instant vector. */
  vector(expr: string): Promise<VectorSample[]>;
  stop(): Promise<void>;
}

/** Options of startPrometheus. */
export interface PrometheusOptions {
  /** host:port of each wikistream to scrape, as job `wikistream`. */
  targets: string[];
  /** Scrape and rule evaluation interval, e.g. "1s". */
  interval: string;
  /** Rule files to load (absolute paths). */
  ruleFiles?: string[];
}

/** Starts Prometheus and waits until it is ready (GET /-/ready answers 200). */
export async function startPrometheus(options: PrometheusOptions): Promise<TestPrometheus> {
  const binary = requireProgram("prometheus");
  const dir = mkdtempSync(join(tmpdir(), "wikistream-prometheus-"));
  const port = await findFreePort();
  const config = {
    global: { scrape_interval: options.interval, evaluation_interval: options.interval },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: [{ job_name: "wikistream", static_configs: [{ targets: options.targets }] }],
  };
  // JSON is YAML: no serializer needed.
  writeFileSync(join(dir, "prometheus.yml"), JSON.stringify(config, null, 2));
  const args = [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"];
  const proc = Bun.spawn([binary, ...args], { stdout: "ignore", stderr: "pipe" });
  let stderr = "";
  void (async () => {
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) stderr += new TextDecoder().decode(chunk);
  })();
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    proc.kill("SIGKILL");
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const ready = () =>
    fetch(`${url}/-/ready`).then(
      (response) => response.status === 200,
      () => false,
    );
  try {
    await waitFor(async () => proc.exitCode !== null || (await ready()), 30_000, "prometheus to be ready");
    if (proc.exitCode !== null) throw new Error(`prometheus exited ${proc.exitCode}:\n${stderr}`);
  } catch (error) {
    await stop();
    throw error;
  }
  const query = async (expr: string) => {
    const response = await fetch(`${url}/api/v1/query`, { method: "POST", body: new URLSearchParams({ query: expr }) });
    const body = (await response.json()) as { status: string; data: { resultType: string; result: unknown }; errorType?: string; error?: string };
    if (body.status !== "success") throw new PromQueryError(body.errorType ?? "unknown", `${expr}: ${body.error ?? response.status}`);
    return body.data;
  };
  const vector = async (expr: string) => {
    const data = await query(expr);
    if (data.resultType !== "vector") throw new Error(`${expr}: a ${data.resultType}, not a vector`);
    return data.result as VectorSample[];
  };
  return { url, query, vector, stop };
}

/** The value of the one series `expr` returns, or undefined when it returns none; throws on several. */
export async function readSingle(prometheus: TestPrometheus, expr: string): Promise<number | undefined> {
  const samples = await prometheus.vector(expr);
  if (samples.length > 1) throw new Error(`${expr}: ${samples.length} series, expected one`);
  return samples[0] === undefined ? undefined : Number(samples[0].value[1]);
}

/** Words of PromQL that look like metric names and are not. */
const PROMQL_WORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan"]);

/**
 * The metric names an expression reads: identifiers outside strings, label matchers, ranges and
 * label lists, that are neither a function called nor a word of PromQL. Enough for the
 * expressions of deploy/ (the test checks each also parses in a real Prometheus).
 */
export function listMetricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "");
  const names = new Set<string>();
  for (const match of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const before = bare[match.index - 1] ?? " ";
    const after = bare.slice(match.index + match[0].length);
    // 5m after offset, 1e3: part of a number; name(: a function.
    if (/[0-9.]/.test(before) || /^\s*\(/.test(after) || PROMQL_WORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names];
}

/** The metric names an exposition declares (# TYPE lines), with the series names of each histogram. */
export function listDeclaredNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (name === undefined) continue;
    names.add(name);
    if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(`${name}${suffix}`);
  }
  return names;
}

/** Waits until Prometheus has tried to scrape each of its targets once (up or not). */
export async function waitForScrapeAttempt(prometheus: TestPrometheus): Promise<void> {
  await waitFor(
    async () => {
      const body = (await (await fetch(`${prometheus.url}/api/v1/targets`)).json()) as { data: { activeTargets: { lastScrape: string }[] } };
      const targets = body.data.activeTargets;
      return targets.length > 0 && targets.every((target) => !target.lastScrape.startsWith("0001-"));
    },
    30_000,
    "prometheus's first scrape",
  );
}
