/**
 * The alert rules and the dashboard that ship in deploy/ (issue 20, items 4 and 5):
 * `promtool check rules` and `promtool test rules` pass, each alert has a unit test where it
 * fires and one where it stays silent, the alerts the issue asks for are there on the metrics
 * that tell them, and the Grafana files are what Grafana's provisioning reads. (That each
 * expression parses and each metric exists in /metrics is checked against a real Prometheus and
 * a real run: tests/system/watch/prometheus.test.ts.)
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { listDashboardQueries, listMetricNames, readDashboard, readRules, RULES_FILE, RULES_TEST_FILE, runPromtool, type Rule } from "../../support/prometheus.ts";

const ROOT = new URL("../../..", import.meta.url).pathname;
// promtool takes seconds on a loaded machine, past bun's 5 s default: a slow run is no failure.
setDefaultTimeout(60_000);
const alerts = readRules()
  .flatMap((group) => group.rules)
  .filter((rule): rule is Extract<Rule, { alert: string }> => "alert" in rule);

/** The unit tests' alert cases: alert name, and whether it is expected to fire. */
function listAlertCases(): { alertname: string; fires: boolean }[] {
  const file = Bun.YAML.parse(readFileSync(RULES_TEST_FILE, "utf8")) as { tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[] };
  return file.tests.flatMap((group) => (group.alert_rule_test ?? []).map((c) => ({ alertname: c.alertname, fires: (c.exp_alerts ?? []).length > 0 })));
}

describe("deploy/prometheus/wikistream-rules.yml", () => {
  test("promtool check rules finds every rule and nothing to say", () => {
    const count = readRules().flatMap((group) => group.rules).length;
    const result = runPromtool(["check", "rules", RULES_FILE]);
    expect(result).toEqual({ code: 0, output: expect.stringContaining(`SUCCESS: ${count} rules found`) });
    expect(result.output).not.toMatch(/WARNING|FAILED/);
  });

  test("promtool test rules passes its unit tests", () => {
    const result = runPromtool(["test", "rules", RULES_TEST_FILE]);
    expect(result).toEqual({ code: 0, output: expect.stringContaining("SUCCESS") });
    expect(result.output).not.toContain("FAILED");
  });

  test("each alert has a unit test where it fires and one where it stays silent, and no test names an alert that is gone", () => {
    const cases = listAlertCases();
    for (const { alert } of alerts) {
      const own = cases.filter((c) => c.alertname === alert);
      expect([alert, own.some((c) => c.fires), own.some((c) => !c.fires)]).toEqual([alert, true, true]);
    }
    const names = new Set(alerts.map((rule) => rule.alert));
    expect(cases.filter((c) => !names.has(c.alertname))).toEqual([]);
  });

  test("the alerts asked for are there, each on the metric that tells it, with a severity, a summary and a description", () => {
    const wanted: Record<string, string> = {
      WikistreamDown: "up",
      WikistreamNotWriting: "wikistream_last_write_timestamp_seconds",
      WikistreamStreamDisconnected: "wikistream_stream_connected",
      WikistreamReconnectLoop: "wikistream_stream_reconnects_total",
      WikistreamLagGrowing: "wikistream_lag_seconds",
      WikistreamSinkErrors: "wikistream_sink_errors_total",
      WikistreamStandbyWithoutLeader: "wikistream_standby",
    };
    for (const [alert, metric] of Object.entries(wanted)) {
      const rule = alerts.find((candidate) => candidate.alert === alert);
      expect([alert, rule !== undefined && listMetricNames(rule.expr).includes(metric)]).toEqual([alert, true]);
    }
    for (const rule of alerts) {
      expect([rule.alert, ["page", "warning"].includes(rule.labels?.severity ?? ""), Boolean(rule.annotations?.summary), Boolean(rule.annotations?.description)]).toEqual([
        rule.alert,
        true,
        true,
        true,
      ]);
    }
  });

  test("the README lists every alert", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    for (const { alert } of alerts) expect([alert, readme.includes(`\`${alert}\``)]).toEqual([alert, true]);
  });
});

describe("deploy/grafana", () => {
  const dashboard = readDashboard();
  const queries = listDashboardQueries(dashboard);

  test("the dashboard draws what an operator looks at first", () => {
    const drawn = (metric: string) => queries.filter((q) => listMetricNames(q.expr).includes(metric)).map((q) => q.panel);
    expect(drawn("instance_outcome:wikistream_events:rate1m")).toHaveLength(1);
    expect(queries.find((q) => q.panel === "Events/s by outcome")?.expr).toContain("by (outcome)");
    expect(drawn("wikistream_windows_written_total")).toHaveLength(1);
    // Write latency: three quantiles of the histogram.
    const latency = queries.filter((q) => listMetricNames(q.expr).includes("instance_le:wikistream_sink_write_duration_seconds_bucket:rate5m"));
    expect(latency.map((q) => /histogram_quantile\((0\.\d+),/.exec(q.expr)?.[1])).toEqual(["0.5", "0.9", "0.99"]);
    expect(drawn("wikistream_lag_seconds")).toHaveLength(1);
    expect(queries.find((q) => listMetricNames(q.expr).includes("instance_cause:wikistream_stream_reconnects:increase15m"))?.expr).toContain("by (cause)");
    for (const metric of ["wikistream_ready", "wikistream_standby", "process_resident_memory_bytes", "wikistream_sink_errors_total", "wikistream_backlog_windows"]) {
      expect([metric, drawn(metric).length]).toEqual([metric, 1]);
    }
  });

  test("every panel and query reads the data source variable, every query has its own refId, panels do not overlap", () => {
    const variable = dashboard.templating.list.find((v) => v.type === "datasource");
    expect(variable).toMatchObject({ name: "datasource", query: "prometheus" });
    const raw = JSON.parse(readFileSync(join(ROOT, "deploy/grafana/wikistream-dashboard.json"), "utf8")) as {
      uid: string;
      panels: { id: number; datasource: unknown; gridPos: { x: number; y: number; w: number; h: number }; targets: { datasource: unknown; refId: string }[] }[];
    };
    expect(raw.uid).toBe("wikistream");
    const source = { type: "prometheus", uid: "${datasource}" };
    const cells = new Set<string>();
    for (const panel of raw.panels) {
      expect(panel.datasource).toEqual(source);
      for (const target of panel.targets) expect(target.datasource).toEqual(source);
      expect(new Set(panel.targets.map((t) => t.refId)).size).toBe(panel.targets.length);
      const { x, y, w, h } = panel.gridPos;
      expect(x + w).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) for (let j = y; j < y + h; j++) cells.add(`${i},${j}`);
    }
    expect(new Set(raw.panels.map((p) => p.id)).size).toBe(raw.panels.length);
    expect(cells.size).toBe(raw.panels.reduce((sum, p) => sum + p.gridPos.w * p.gridPos.h, 0));
  });

  test("the provisioning files name a Prometheus data source and the folder the README copies the dashboard to", () => {
    const read = (path: string) => Bun.YAML.parse(readFileSync(join(ROOT, path), "utf8")) as Record<string, unknown>;
    const sources = read("deploy/grafana/provisioning/datasources/wikistream.yml") as { apiVersion: number; datasources: { type: string; url: string; access: string; uid: string }[] };
    expect(sources.apiVersion).toBe(1);
    expect(sources.datasources).toEqual([expect.objectContaining({ type: "prometheus", access: "proxy", url: expect.stringMatching(/^http:\/\//) })]);
    // The dashboard picks the provisioned data source unless told otherwise.
    const variable = dashboard.templating.list.find((v) => v.type === "datasource") as { current?: { value?: string } } | undefined;
    expect(variable?.current?.value).toBe(sources.datasources[0]?.uid);
    const providers = read("deploy/grafana/provisioning/dashboards/wikistream.yml") as { apiVersion: number; providers: { type: string; options: { path: string } }[] };
    expect(providers.apiVersion).toBe(1);
    const path = providers.providers[0]?.options.path ?? "";
    expect(providers.providers[0]?.type).toBe("file");
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const copy = `deploy/grafana/wikistream-dashboard.json ${path}/`;
    expect([copy, readme.includes(copy)]).toEqual([copy, true]);
  });
});
