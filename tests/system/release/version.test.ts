// One version: package.json's. The binary reads it from there (src/lib/version.ts); the
// CHANGELOG's newest dated section and the README's `VERSION=` are written by hand and must agree.
import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import pkg from "../../../package.json" with { type: "json" };
import { checkVersions, compareVersions, findNewestRelease } from "../../../scripts/release/versions.ts";
import { DEFAULT_USER_AGENT } from "../../../src/cli/flags.ts";
import { VERSION } from "../../../src/lib/version.ts";

const ROOT = new URL("../../..", import.meta.url).pathname;

function listSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listSources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

describe("the version of this checkout", () => {
  test("package.json, the CHANGELOG's newest section and the README's VERSION= agree", async () => {
    const { version, problems } = await checkVersions(ROOT);
    expect(problems).toEqual([]);
    expect(version).toBe(pkg.version);
  });

  test("the binary's version comes from package.json through src/lib/version.ts alone", () => {
    expect(VERSION).toBe(pkg.version);
    expect(DEFAULT_USER_AGENT.startsWith(`wikistream/${pkg.version} (+https://`)).toBe(true);
    const readers = listSources(join(ROOT, "src")).filter((f) => /package\.json/.test(readFileSync(f, "utf8").replace(/^\s*(\/\/|\*).*$/gm, "")));
    expect(readers.map((f) => relative(ROOT, f))).toEqual(["src/lib/version.ts"]);
    // --version, the User-Agent, build_info and the checkpoint each name that one constant.
    for (const file of ["src/cli/index.ts", "src/cli/flags.ts", "src/serve/metrics.ts", "src/sink/redis/checkpoint.ts"]) {
      expect(readFileSync(join(ROOT, file), "utf8")).toMatch(/import \{[^}]*\bVERSION\b[^}]*\} from "(\.\.\/)+lib\/version\.ts"/);
    }
  });
});

describe("compareVersions", () => {
  const changelog = "# Changelog\n\n## [Unreleased]\n\n## [1.2.0] - 2026-12-02\n\n- a\n\n## [1.1.0] - 2026-11-26\n\n[1.2.0]: https://x/v1.2.0\n";
  const readme = "```sh\nVERSION=1.2.0\ncurl …\n```\n";

  test("finds the newest dated section, skipping Unreleased", () => {
    expect(findNewestRelease(changelog)).toEqual({ version: "1.2.0", date: "2026-12-02" });
    expect(findNewestRelease("## [Unreleased]\n\n## [0.1.0]\n")).toBeUndefined();
  });

  test("passes when the three agree, and names each place that does not", () => {
    expect(compareVersions("1.2.0", changelog, readme)).toEqual([]);
    expect(compareVersions("1.3.0", changelog, readme)).toEqual([
      "CHANGELOG.md's newest section is 1.2.0, package.json says 1.3.0",
      "README.md installs VERSION=1.2.0, package.json says 1.3.0",
    ]);
    expect(compareVersions("1.2.0", changelog, "VERSION=1.1.0\n")).toEqual(["README.md installs VERSION=1.1.0, package.json says 1.2.0"]);
    expect(compareVersions("1.2.0", changelog.replace("## [1.2.0] - 2026-12-02", "## [1.2.0]"), readme)).toEqual([
      "CHANGELOG.md's newest section is 1.1.0, package.json says 1.2.0",
      "CHANGELOG.md has no link '[1.1.0]: …' under its sections",
    ]);
    expect(compareVersions("1.2.0", changelog.replace("[1.2.0]: https://x/v1.2.0\n", ""), readme)).toEqual(["CHANGELOG.md has no link '[1.2.0]: …' under its sections"]);
    expect(compareVersions("1.2.0", changelog, "no install section")).toEqual(["README.md has no 'VERSION=' line in its Install section"]);
  });
});
