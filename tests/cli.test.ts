import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { argsDef } from "../src/config.ts";
import { runWikistream } from "./support/process.ts";

setDefaultTimeout(30_000);

describe("the compiled binary's command line", () => {
  test("--help lists every flag, with the env var of each that has one, and no colour when piped", async () => {
    const { code, stdout, stderr } = await runWikistream(["--help"], { env: { NO_COLOR: "" } });
    expect(code).toBe(0);
    expect(stderr).toBe("");
    for (const [name, def] of Object.entries(argsDef)) {
      expect(stdout).toContain(name === "resume" ? "--no-resume" : `--${name}`);
      const env = /env (\w+)/.exec(def.description)?.[1];
      if (env) expect(stdout).toContain(env);
    }
    expect(stdout).not.toContain("\x1b[");
  });

  test("--version prints the version and the build commit", async () => {
    const { code, stdout } = await runWikistream(["--version"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^wikistream \d+\.\d+\.\d+ \([0-9a-f]{4,}(-dirty)?|unknown\)\n$/);
  });

  test.each([
    [["--bogus"], "unknown flag '--bogus'"],
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
