/**
 * The house rules of src/, read from the code itself: which room may import which, where the
 * outside world (fetch, ioredis) is touched, and how large a file may grow.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = new URL("../src", import.meta.url).pathname;

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [join(dir, entry.name)] : [],
  );
}

/** The room of a file: its first folder under src/. */
function roomOf(path: string): string {
  return relative(SRC, path).split("/")[0] ?? "";
}

interface Import {
  from: string;
  to: string;
  line: number;
}

/** Every relative import (static, dynamic, type-only) of every file under src/. */
function readImports(): Import[] {
  const imports: Import[] = [];
  for (const file of listFiles(SRC)) {
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((text, i) => {
        for (const match of text.matchAll(/(?:from\s+|import\(\s*)["'](\.{1,2}\/[^"']+)["']/g)) {
          imports.push({ from: file, to: resolve(dirname(file), match[1] ?? ""), line: i + 1 });
        }
      });
  }
  return imports;
}

/** Which rooms each room may import (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  lib: [],
  // The wire form (window/wire.ts) lists counts in the one order lib/format.ts keeps.
  window: ["lib"],
  event: ["lib"],
  run: ["lib", "event", "window"],
  source: ["lib", "run", "event"],
  sink: ["lib", "run", "window"],
  serve: ["lib", "run", "window"],
  cli: ["lib", "run", "source", "sink", "event", "window", "serve"],
};

/** The file a newcomer opens first in each room. */
const MAIN_FILES = ["cli/index.ts", "cli/flags.ts", "source/sse.ts", "event/fields.ts", "window/windower.ts", "run/run.ts", "run/telemetry.ts", "sink/registry.ts", "sink/queued.ts", "sink/stdout.ts", "sink/redis/sink.ts", "serve/server.ts"];

/**
 * The circles of files that import each other (as `a.ts b.ts`, sorted): Tarjan's strongly
 * connected components of the import graph, type-only imports included.
 */
function findCircles(imports: readonly Import[]): string[] {
  const next = new Map<string, string[]>();
  for (const i of imports) next.set(i.from, [...(next.get(i.from) ?? []), i.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const circles: string[] = [];
  const visit = (file: string) => {
    index.set(file, index.size);
    low.set(file, index.size - 1);
    stack.push(file);
    for (const to of next.get(file) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(file, Math.min(low.get(file) ?? 0, low.get(to) ?? 0));
      } else if (stack.includes(to)) {
        low.set(file, Math.min(low.get(file) ?? 0, index.get(to) ?? 0));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const circle: string[] = [];
    for (let top = stack.pop(); top !== undefined; top = top === file ? undefined : stack.pop()) circle.push(relative(SRC, top));
    if (circle.length > 1 || (next.get(file) ?? []).includes(file)) circles.push(circle.sort().join(" "));
  };
  for (const file of next.keys()) if (!index.has(file)) visit(file);
  return circles.sort();
}

/**
 * Circles that were there before the check, each to go (issue 19): `serve/` imports RouteSet
 * from server.ts, which imports the route sets; the page's store and series share a constant.
 * The branch that moves RouteSet into its own module empties this list.
 */

describe("the import graph of src/", () => {
  const imports = readImports().filter((i) => i.to.startsWith(SRC));

  test("every room is known, and the graph was read", () => {
    const rooms = new Set(listFiles(SRC).map(roomOf));
    expect([...rooms].sort()).toEqual(Object.keys(ALLOWED).sort());
    expect(imports.length).toBeGreaterThan(80);
    expect(imports.some((i) => roomOf(i.from) === "cli" && roomOf(i.to) === "sink")).toBe(true);
  });

  test("each room imports only the rooms below it: nothing imports the CLI, source and sink never import each other, the window core imports only lib", () => {
    const violations = imports
      .filter((i) => roomOf(i.from) !== roomOf(i.to) && !(ALLOWED[roomOf(i.from)] ?? []).includes(roomOf(i.to)))
      .map((i) => `${relative(SRC, i.from)}:${i.line} -> ${relative(SRC, i.to)}`);
    expect(violations).toEqual([]);
  });

  test("cli/config.ts imports nothing from sink/: the run's settings do not depend on where windows go (the registry picks the sink by URL)", () => {
    const config = join(SRC, "cli/config.ts");
    const fromConfig = imports.filter((i) => i.from === config);
    expect(fromConfig.length).toBeGreaterThan(0);
    expect(fromConfig.filter((i) => roomOf(i.to) === "sink").map((i) => `cli/config.ts:${i.line} -> ${relative(SRC, i.to)}`)).toEqual([]);
  });

  test("no import circles: no file imports one that imports it back, however far round (type-only imports included)", () => {
    const circles = findCircles(imports);
    expect(findCircles([...imports, { from: join(SRC, "lib/a.ts"), to: join(SRC, "lib/b.ts"), line: 1 }, { from: join(SRC, "lib/b.ts"), to: join(SRC, "lib/a.ts"), line: 1 }])).toContain("lib/a.ts lib/b.ts");
    expect(circles).toEqual([]);
  });

  test("only the source touches fetch (and the health check, a client of the watch server), and only the Redis sink touches ioredis", () => {
    // `wikistream healthcheck` asks another process's /healthz: no stream, nothing to share with the source.
    const FETCH_ALLOWED = new Set(["cli/healthcheck.ts"]);
    const offenders: string[] = [];
    for (const file of listFiles(SRC)) {
      const text = readFileSync(file, "utf8");
      const rel = relative(SRC, file);
      if (/from\s+["']ioredis["']|import\(\s*["']ioredis["']/.test(text) && !rel.startsWith("sink/redis/")) offenders.push(`${rel}: ioredis`);
      if (/\bfetch\(/.test(text) && !rel.startsWith("source/") && !FETCH_ALLOWED.has(rel)) offenders.push(`${rel}: fetch`);
    }
    expect(offenders).toEqual([]);
  });

  test("no file is over 300 lines", () => {
    const long = listFiles(SRC)
      .map((file) => [relative(SRC, file), readFileSync(file, "utf8").split("\n").length] as const)
      .filter(([, lines]) => lines > 300);
    expect(long).toEqual([]);
  });

  test("each room's main file opens with a comment saying what lives there", () => {
    const missing = MAIN_FILES.filter((file) => !/^(#!.*\n)?\/\*\*/.test(readFileSync(join(SRC, file), "utf8")));
    expect(missing).toEqual([]);
  });
});
