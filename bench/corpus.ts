/**
 * The benchmark's input: the real recentchange events committed as a test fixture (see
 * tests/fixtures/SOURCES.md), or any NDJSON file. Read here rather than through tests/support so
 * the benchmark does not depend on test code.
 */
import { readFileSync } from "node:fs";

const REAL_EVENTS = new URL("../tests/fixtures/recentchange-real.ndjson.gz", import.meta.url);

/** The non-blank lines of `path` (NDJSON, gzipped when it ends in .gz), or of the real events fixture. */
export function readEventLines(path?: string): string[] {
  const raw = readFileSync(path ?? REAL_EVENTS);
  const text = new TextDecoder().decode((path ?? REAL_EVENTS.pathname).endsWith(".gz") ? Bun.gunzipSync(raw) : raw);
  return text.split("\n").filter((line) => line.trim() !== "");
}
