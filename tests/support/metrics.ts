/**
 * /metrics of a running binary for the tests: where it listens, and its samples by series.
 */
import { expect } from "bun:test";
import { waitFor, type WikistreamProcess } from "./process.ts";

/** Samples of a scrape by series, `name{labels}` as written (`name` alone without labels). */
export type Samples = Map<string, number>;

/** The samples of a Prometheus text exposition (comments and blank lines skipped). */
export function parseSamples(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** One series' value; throws when the scrape has no such series, so a typo fails loudly. */
export function valueOf(samples: Samples, series: string): number {
  const value = samples.get(series);
  if (value === undefined) throw new Error(`no series ${series} in the scrape`);
  return value;
}

/** Waits for the line that names the listening address and returns its base URL. */
export async function listeningAt(run: WikistreamProcess, host = "127.0.0.1"): Promise<string> {
  const pattern = new RegExp(`serving the live page, metrics and health at (http://${host.replaceAll(".", "\\.")}:\\d+/)`);
  await waitFor(() => pattern.test(run.stderr()) || run.proc.exitCode !== null, 10_000, "the listening line");
  const url = pattern.exec(run.stderr())?.[1];
  if (url === undefined) throw new Error(`no listening line on stderr:\n${run.stderr()}`);
  return url;
}

/** GET /metrics of `base` as text (status 200). */
export async function fetchMetricsText(base: string): Promise<string> {
  const response = await fetch(`${base}metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** GET /metrics of `base` as samples. */
export async function scrape(base: string): Promise<Samples> {
  return parseSamples(await fetchMetricsText(base));
}
