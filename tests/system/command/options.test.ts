import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { FLAGS } from "../../../src/cli/flags.ts";
import { HELP_COLUMNS } from "../../../src/cli/help.ts";
import { runWikistream } from "../../support/process.ts";

setDefaultTimeout(30_000);

/** The rows of the README's option table: flag names (first cell) → the env cell. */
function readReadmeOptions(): Map<string, string> {
  const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
  const section = readme.split(/^## Options$/m)[1]?.split(/^## /m)[0] ?? "";
  const rows = new Map<string, string>();
  for (const line of section.split("\n")) {
    const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
    const first = cells[1] ?? "";
    for (const match of first.matchAll(/`(?:-\w, )?--([a-z-]+)/g)) rows.set(match[1] ?? "", cells[2] ?? "");
  }
  return rows;
}

describe("the compiled binary's command line", () => {
  test("--help lists every flag of the table with its env var, fits 80 columns, and has no colour", async () => {
    const { code, stdout, stderr } = await runWikistream(["--help"], { env: { NO_COLOR: "" } });
    expect(code).toBe(0);
    expect(stderr).toBe("");
    for (const [name, spec] of Object.entries(FLAGS)) {
      expect(stdout).toContain(`--${name}`);
      if (spec.env) expect(stdout).toContain(spec.env);
    }
    for (const line of stdout.split("\n")) expect(line.length).toBeLessThanOrEqual(HELP_COLUMNS);
    expect(stdout).not.toContain("--resume");
    expect(stdout).not.toContain("\x1b[");
  });

  test("the README's option table and the flag table agree, flag by flag and env by env", () => {
    const rows = readReadmeOptions();
    expect([...rows.keys()].sort()).toEqual(Object.keys(FLAGS).sort());
    for (const [name, spec] of Object.entries(FLAGS)) {
      const envCell = rows.get(name) ?? "";
      if (spec.env) expect(envCell).toContain(spec.env);
      else expect(envCell).toBe("");
    }
  });

  test("--version prints the version and the build commit", async () => {
    const { code, stdout } = await runWikistream(["--version"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^wikistream \d+\.\d+\.\d+ \((?:[0-9a-f]{4,}(?:-dirty)?|unknown)\)\n$/);
  });

  test.each([
    [["--bogus"], "unknown flag '--bogus'"],
    [["--windw", "30s"], "unknown flag '--windw': did you mean --window?"],
    [["--window", "soon"], "--window 'soon' is not a duration"],
    [["--until", "tomorrow-ish"], "--until 'tomorrow-ish' is not a time"],
    [["--redis-url", "localhost:6379"], "--redis-url must start with redis: or rediss:"],
  ])("%p exits 2 with one line on stderr", async (args, message) => {
    const { code, stdout, stderr } = await runWikistream(args as string[]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toContain(message);
  });
});

describe("the README's Guarantees table", () => {
  test("names test files that exist (a row's `system/…` or `unit/…` is tests/<name>.test.ts)", () => {
    const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    const table = readme.split(/^## Guarantees$/m)[1]?.split(/^## /m)[0] ?? "";
    const names = [...new Set([...table.matchAll(/`((?:system|unit)\/[a-z/-]+)`/g)].map((m) => m[1] ?? ""))];
    expect(names.length).toBeGreaterThan(20);
    const missing = names.filter((name) => !existsSync(new URL(`../../${name}.test.ts`, import.meta.url)));
    expect(missing).toEqual([]);
  });
});
