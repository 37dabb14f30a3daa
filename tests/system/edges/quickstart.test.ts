/**
 * Two commands on a fresh machine (issue 8, item 11): the README's quick start gets Bun itself
 * and runs the main job, pasted as written; its test command installs or names what is missing.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { planTestTools } from "../../../scripts/prepare-tests.ts";
import { createReplayScenario, loadCapture2021 } from "../../support/corpus.ts";
import { runWikistream } from "../../support/process.ts";
import { shareFixtureServer, shareRedis } from "../../support/shared.ts";

setDefaultTimeout(120_000);

const ROOT = new URL("../../..", import.meta.url).pathname;
const readme = readFileSync(`${ROOT}README.md`, "utf8");
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")) as { engines: { bun: string }; scripts: Record<string, string> };
/** The shell commands of the quick start's first code block, comments dropped. */
const quickStart = (/## Quick start\n[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "")
  .split("\n")
  .map((line) => line.replace(/\s+#.*$/, "").trim())
  .filter(Boolean);

describe("the README's quick start", () => {
  test("is two commands, both through the Bun version package.json pins", () => {
    expect(quickStart).toHaveLength(2);
    for (const command of quickStart) expect(command).toStartWith(`npx --yes bun@${pkg.engines.bun} run `);
    expect(quickStart[0]).toContain("run start -- --redis-url redis://127.0.0.1:6379");
    expect(quickStart[1]).toBe(`npx --yes bun@${pkg.engines.bun} run test`);
    expect(pkg.scripts.test).toContain("scripts/prepare-tests.ts");
  });

  describe("pasted as written", () => {
    const { stream, sinceMs, untilMs } = createReplayScenario({ cycles: 2, untilIntoLastCycleMs: 95_000 });
    const server = shareFixtureServer({ events: stream.events });
    const redis = shareRedis();

    test("the first command runs the main job (here against a local stream and Redis)", async () => {
      // Only the addresses change: a local Redis and stream, and a span of history that ends.
      const command = `${quickStart[0]?.replace("redis://127.0.0.1:6379", redis.url)} --url ${server.url} --since ${sinceMs} --until ${untilMs} --retain 0`;
      const proc = Bun.spawn(["sh", "-c", command], { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", NO_COLOR: "1" } });
      const stderr = await new Response(proc.stderr).text();
      expect({ code: await proc.exited, stderr }).toMatchObject({ code: 0 });
      expect(stderr).toContain("connected to");
      expect(Number(await redis.client.get("wikistream:epoch_index"))).toBeGreaterThan(0);
    });
  });
});

describe("the quick start's read command (issue 17, item 10)", () => {
  /** The code block after "Then read the newest window", comments dropped. */
  const readCommand = (/Then read\s+the newest window[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "").replace(/\s+#.*$/gm, "").trim();
  // Events in one window, none in the next, then a few past --until that close both: the newest
  // window written is a quiet one, as it is after a quiet spell (or with a narrow --server).
  const T0 = 1_633_731_840;
  const timed = (line: string, at: number) => {
    const event = JSON.parse(line) as { meta: Record<string, unknown> };
    return JSON.stringify({ ...event, meta: { ...event.meta, dt: new Date(at * 1000).toISOString() }, timestamp: at });
  };
  const capture = loadCapture2021();
  const events = [...capture.slice(0, 60).map((line, i) => timed(line, T0 + 1 + (i % 25))), ...capture.slice(60, 80).map((line) => timed(line, T0 + 95))];
  const server = shareFixtureServer({ events, atEnd: "hold" });
  const redis = shareRedis();

  test("says what the newest window holds, a quiet one too", async () => {
    const fill = await runWikistream(["--url", server.url, "--redis-url", redis.url, "--since", String(T0), "--until", String(T0 + 60), "--lateness", "30s"]);
    expect(fill.code).toBe(0);
    expect(await redis.client.get("wikistream:epoch_index")).toBe(String(T0 + 30));
    expect(await redis.client.exists(`wikistream:${T0 + 30}`)).toBe(0);
    // Only the address changes (never the Redis on 6379 that a person may be using), in a URL
    // or for redis-cli (0.1.0's quick start read the newest window's key with redis-cli, and a
    // quiet window, having no key, printed nothing).
    expect(readCommand).not.toBe("");
    const command = readCommand.replaceAll("redis://127.0.0.1:6379", redis.url).replace(/\bredis-cli\b/g, `redis-cli -u ${redis.url}`);
    expect(command).not.toMatch(/127\.0\.0\.1:6379\b/);
    const proc = Bun.spawn(["sh", "-c", command], { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", NO_COLOR: "1" } });
    const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    expect({ code: await proc.exited, stderr }).toMatchObject({ code: 0 });
    // `bun run` echoes the script it runs; nothing else is said.
    expect(stderr.split("\n").filter((line) => line !== "" && !line.startsWith("$ bun install"))).toEqual([]);
    expect(stdout).toContain("newest window 2021-10-08 22:24:30–22:25:00 UTC: no changes");
    // The window before it, with its changes, is in the sparklines.
    expect(stdout).toMatch(/all wikis +0 +\S/);
  });
});

describe("what the tests need", () => {
  test("nothing missing: ready", () => {
    expect(planTestTools([], false)).toEqual({ kind: "ready" });
  });

  test("missing and installable without a password: the packages to install", () => {
    expect(planTestTools(["redis-server", "redis-cli", "openssl"], true)).toEqual({ kind: "install", packages: ["redis-server", "redis-tools", "openssl"] });
  });

  test("missing and not installable here: one line naming them and the command", () => {
    const plan = planTestTools(["redis-server"], false);
    expect(plan).toEqual({
      kind: "tell",
      message: "the tests need redis-server: install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis openssl), then run again",
    });
  });

  test("zsh and fish for the completion scripts: Homebrew's fish named, not zsh (macOS has it)", () => {
    expect(planTestTools(["zsh", "fish"], true)).toEqual({ kind: "install", packages: ["zsh", "fish"] });
    expect(planTestTools(["zsh", "fish"], false)).toEqual({
      kind: "tell",
      message: "the tests need zsh, fish: install them (Debian/Ubuntu: sudo apt-get install zsh fish; macOS: brew install redis openssl fish), then run again",
    });
  });

  test("prometheus and promtool are one package, named once", () => {
    expect(planTestTools(["prometheus", "promtool"], true)).toEqual({ kind: "install", packages: ["prometheus"] });
    expect(planTestTools(["promtool"], false)).toEqual({
      kind: "tell",
      message: "the tests need promtool: install it (Debian/Ubuntu: sudo apt-get install prometheus; macOS: brew install redis openssl prometheus), then run again",
    });
  });

  test("on this machine the script finds everything and exits 0", () => {
    const result = Bun.spawnSync(["bun", "scripts/prepare-tests.ts"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    expect({ code: result.exitCode, stderr: result.stderr.toString() }).toEqual({ code: 0, stderr: "" });
  });
});
