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
  window: [],
  event: ["lib"],
  run: ["lib", "event", "window"],
  source: ["lib", "run", "event"],
  sink: ["lib", "run", "window"],
  serve: ["lib", "run", "window"],
  cli: ["lib", "run", "source", "sink", "event", "window", "serve"],
};

/** The file a newcomer opens first in each room. */
const MAIN_FILES = ["cli/index.ts", "cli/flags.ts", "source/sse.ts", "event/fields.ts", "window/windower.ts", "run/run.ts", "run/telemetry.ts", "sink/stdout.ts", "sink/redis/sink.ts", "serve/server.ts"];

describe("the import graph of src/", () => {
  const imports = readImports().filter((i) => i.to.startsWith(SRC));

  test("every room is known, and the graph was read", () => {
    const rooms = new Set(listFiles(SRC).map(roomOf));
    expect([...rooms].sort()).toEqual(Object.keys(ALLOWED).sort());
    expect(imports.length).toBeGreaterThan(80);
    expect(imports.some((i) => roomOf(i.from) === "cli" && roomOf(i.to) === "sink")).toBe(true);
  });

  test("each room imports only the rooms below it: nothing imports the CLI, source and sink never import each other, the window core imports nothing", () => {
    const violations = imports
      .filter((i) => roomOf(i.from) !== roomOf(i.to) && !(ALLOWED[roomOf(i.from)] ?? []).includes(roomOf(i.to)))
      .map((i) => `${relative(SRC, i.from)}:${i.line} -> ${relative(SRC, i.to)}`);
    expect(violations).toEqual([]);
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

/**
 * Every cycle of the file graph, each once, as `a.ts → b.ts → a.ts` (Tarjan's strongly connected
 * components; a component of more than one file, or a file that imports itself, holds a cycle).
 */
function findCircles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
    for (const to of edges.get(file) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(file, Math.min(low.get(file) ?? 0, low.get(to) ?? 0));
      } else if (onStack.has(to)) low.set(file, Math.min(low.get(file) ?? 0, index.get(to) ?? 0));
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
      onStack.delete(top);
      component.push(top);
      if (top === file) break;
    }
    if (component.length > 1 || edges.get(file)?.has(file)) components.push(component.sort());
  };
  for (const file of [...edges.keys()].sort()) if (!index.has(file)) visit(file);
  return components;
}

describe("the import graph's shape (issue 19): no circles, the config apart from the sinks", () => {
  const imports = readImports().filter((i) => i.to.startsWith(SRC));
  const edges = new Map<string, Set<string>>();
  for (const { from, to } of imports) {
    const rel = relative(SRC, from);
    edges.set(rel, (edges.get(rel) ?? new Set()).add(relative(SRC, to)));
  }

  test("the circle finder finds circles (a made-up graph: one of three files, one self-import, one chain without)", () => {
    const made = new Map([
      ["a.ts", new Set(["b.ts"])],
      ["b.ts", new Set(["c.ts"])],
      ["c.ts", new Set(["a.ts", "d.ts"])],
      ["d.ts", new Set(["e.ts"])],
      ["e.ts", new Set<string>()],
      ["f.ts", new Set(["f.ts"])],
    ]);
    expect(findCircles(made)).toEqual([["a.ts", "b.ts", "c.ts"], ["f.ts"]]);
  });

  test("no import circles among the files of src/ (type-only imports included: a circle of types is still two modules that need each other)", () => {
    expect(edges.size).toBeGreaterThan(60);
    expect(findCircles(edges)).toEqual([]);
  });

  test("cli/config.ts imports nothing from sink/ (a new sink must not mean editing the config)", () => {
    // What it imports from sink/ today, each to go; the lead empties this list when the sink
    // registry (issue 19, item 5) lands. Equality, so a new import fails and so does a removed
    // one that is still listed.
    const STILL_TO_GO = ["sink/redis/keys.ts", "sink/stdout.ts"];
    const fromConfig = [...(edges.get("cli/config.ts") ?? [])].filter((to) => to.startsWith("sink/")).sort();
    expect(edges.has("cli/config.ts")).toBe(true);
    expect(fromConfig).toEqual(STILL_TO_GO);
  });
});
