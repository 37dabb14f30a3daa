// The release, checked here rather than on tag day: `bun run release:check --fast` (what the
// release workflow runs, on the host target only; CI runs all of it), the workflow's run steps
// against the current --help, and the npm launcher installed offline, with its exit codes and
// signals compared with the binary's own.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../../package.json" with { type: "json" };
import { installNpmPackages, type InstalledPrefix } from "../../../scripts/release/npm-install.ts";
import { checkReferences, collectHelpFlags, findReferences, listHelpCommands, listRunSteps, type Known } from "../../../scripts/release/workflow.ts";
import { startFixtureServer, type FixtureServer } from "../../support/fixture-server.ts";
import { loadCapture2021 } from "../../support/corpus.ts";
import { resolveBinary, summaryOf, waitFor } from "../../support/process.ts";
import { startRedis } from "../../support/redis.ts";

setDefaultTimeout(300_000);

const ROOT = new URL("../../..", import.meta.url).pathname;
const WORKFLOW = readFileSync(join(ROOT, ".github/workflows/release.yml"), "utf8");

function readHelp(binary: string, args: readonly string[]): string {
  return Bun.spawnSync([binary, ...args], { stdout: "pipe" }).stdout.toString();
}

function knownFor(binary: string): Known {
  const help = collectHelpFlags((args) => readHelp(binary, args));
  return { help, scripts: new Set(Object.keys(pkg.scripts)), exists: (path) => existsSync(join(ROOT, path)) };
}

describe("the release workflow", () => {
  test("runs `bun run release:check`, which builds, checks and smoke-tests what it uploads", () => {
    const build = listRunSteps(WORKFLOW).filter((s) => s.job === "build");
    const scripts = build.flatMap(findReferences).flatMap((r) => (r.kind === "script" ? [r.name] : []));
    expect(scripts).toContain("release:check");
    // The smoke run against Redis lives in release:check (tested below), not in a step of its own.
    expect(build.flatMap(findReferences).filter((r) => r.kind === "binary" && r.flags.includes("--redis-url"))).toEqual([]);
  });

  test("every run step uses scripts and files that exist, and only commands and flags the current --help lists", () => {
    const steps = listRunSteps(WORKFLOW);
    const refs = steps.flatMap(findReferences);
    // qemu (arm64), Alpine's sh -c (musl), the native runners' "$bin" twice, the test image.
    expect(refs.filter((r) => r.kind === "binary").map((r) => r.step)).toEqual([
      "Smoke test linux-arm64 under qemu (--version)",
      "Smoke test linux-x64-musl on Alpine (--version)",
      "--version and --help",
      "--version and --help",
      "Build and smoke-test the amd64 image",
    ]);
    expect(checkReferences(refs, knownFor(resolveBinary()))).toEqual([]);
    // CI's workflow too: its scripts (.ci/run, release:check, lint:workflows) exist.
    const ci = listRunSteps(readFileSync(join(ROOT, ".github/workflows/ci.yml"), "utf8")).flatMap(findReferences);
    expect(ci.map((r) => (r.kind === "script" ? r.name : r.kind === "file" ? r.path : r.kind)).sort()).toEqual([".ci/run", "lint:workflows", "release:check"]);
    expect(checkReferences(ci, knownFor(resolveBinary()))).toEqual([]);
  });

  test("the commands checked are those --help lists", () => {
    expect(listHelpCommands(readHelp(resolveBinary(), ["--help"]))).toEqual(["top", "read", "tail", "healthcheck", "completion"]);
  });

  test("the check finds a flag --help does not list, a missing script or file, a flag grepped for in --help", () => {
    const yaml = `jobs:
  j:
    steps:
      - name: s
        run: |
          bun run nope && bun scripts/gone.ts
          timeout 60 "dist/wikistream-\${VERSION}-linux-x64" \\
            --redis-url redis://x --retian 0 --since "$SINCE"
          "$bin" top --watch --window 30s | tee out.txt
          "$bin" tail --group g --consumer c --from-id 0
          "$bin" tpo --watch
          grep -F -- "--no-such" help.txt
          cp "dist/wikistream-\${VERSION}-linux-x64" dist/docker/linux-amd64/wikistream
          docker buildx build --platform linux/amd64 --load -t wikistream:test .
          docker run --rm -e X=1 wikistream:test --verison
`;
    const problems = checkReferences(listRunSteps(yaml).flatMap(findReferences), knownFor(resolveBinary()));
    expect(problems).toEqual([
      "step 's': bun run nope: package.json has no such script",
      "step 's': scripts/gone.ts does not exist",
      "step 's': wikistream has no flag --retian (not in its --help)",
      "step 's': wikistream top has no flag --window (not in its --help)",
      "step 's': wikistream tail has no flag --from-id (not in its --help)",
      "step 's': wikistream tpo is not a command",
      "step 's': looks for --no-such in --help, which does not list it",
      "step 's': wikistream has no flag --verison (not in its --help)",
    ]);
  });
});

describe("bun run release:check --fast", () => {
  let output = "";
  let code = -1;
  let installed: InstalledPrefix | undefined;
  let server: FixtureServer;
  const binary = join(ROOT, "dist", `wikistream-${pkg.version}-linux-x64`);

  beforeAll(async () => {
    const proc = Bun.spawn(["bun", "run", "--silent", "release:check", "--fast"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    const [exit, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    output = stdout + stderr;
    code = exit;
    server = startFixtureServer({ events: loadCapture2021(), atEnd: "hold" });
  });

  afterAll(() => {
    installed?.remove();
    server?.stop();
  });

  test("passes: versions, build, --version, the workflow, the smoke run into redis-server, the npm install", () => {
    expect(output).not.toContain("FAIL");
    for (const step of ["versions", "build", "linux-x64 --version, --help", "workflows", "smoke: fixture stream → redis-server", "npm: offline install, launcher"]) {
      expect(output).toContain(`ok   ${step} (`);
    }
    expect(output).toContain("windows equal the reference");
    expect(code).toBe(0);
  });

  /** Starts a command with piped output; `group` gives it a process group of its own (as a shell gives a job). */
  function start(cmd: string[], group = false) {
    const proc = Bun.spawn(group ? ["setsid", ...cmd] : cmd, { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "", HOME: installed?.dir ?? "/tmp", NO_COLOR: "1" } });
    const text = { stdout: "", stderr: "" };
    const collect = async (stream: ReadableStream<Uint8Array>, into: "stdout" | "stderr") => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) text[into] += decoder.decode(chunk, { stream: true });
    };
    const reading = Promise.all([collect(proc.stdout, "stdout"), collect(proc.stderr, "stderr")]);
    const done = (async () => {
      const code = await proc.exited;
      await reading;
      return { code, signal: proc.signalCode, ...text };
    })();
    return { proc, done, stdout: () => text.stdout, stderr: () => text.stderr };
  }

  /** A live run (no --until; the stream stays open) through `command`, once it has printed a window. */
  async function startLive(command: string, group = false) {
    const run = start([command, "--url", server.url, "--since", "2021-10-08T22:24:00Z", "--format", "jsonl"], group);
    await waitFor(() => run.stdout().includes("\n"), 60_000, "the run to print a window");
    return run;
  }

  /** The windows a run printed, each checked to be one. */
  function windowsOf(stdout: string): number[] {
    return stdout.split("\n").filter(Boolean).map((line) => (JSON.parse(line) as { start: number }).start);
  }

  test("the tarballs install offline with npm; the launcher prints the binary's version and passes its exit code", async () => {
    installed = installNpmPackages([join(ROOT, "dist/npm/wikistream-0.2.0.tgz"), join(ROOT, "dist/npm/wikistream-linux-x64-0.2.0.tgz")].map((f) => f.replace("0.2.0", pkg.version)));
    const viaNpm = await start([installed.command, "--version"]).done;
    const direct = await start([binary, "--version"]).done;
    expect(viaNpm.stdout).toBe(direct.stdout);
    expect(viaNpm.code).toBe(0);
    const bad = await start([installed.command, "--window", "7x"]).done;
    const badDirect = await start([binary, "--window", "7x"]).done;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(badDirect.stderr);
  });

  test("SIGTERM to the launcher stops the run as it stops the binary: exit 0, the windows so far printed", async () => {
    if (!installed) throw new Error("not installed");
    for (const command of [binary, installed.command]) {
      const run = await startLive(command);
      run.proc.kill("SIGTERM");
      const result = await run.done;
      expect({ command, code: result.code, signal: result.signal }).toEqual({ command, code: 0, signal: null });
      expect(result.stderr).toContain("SIGTERM: stopping");
      expect(windowsOf(result.stdout).length).toBeGreaterThan(0);
    }
  });

  test("Ctrl-C (SIGINT to the job's process group, as a terminal sends it) reaches the binary once: exit 0", async () => {
    if (!installed) throw new Error("not installed");
    const run = await startLive(installed.command, true);
    process.kill(-run.proc.pid, "SIGINT");
    const result = await run.done;
    // A second SIGINT would be "exit now" (130), without the windows due.
    expect(result.stderr.split("SIGINT: stopping").length - 1).toBe(1);
    expect(result.code).toBe(0);
    expect(windowsOf(result.stdout).length).toBeGreaterThan(0);
  });

  /** The children of `pid`. */
  function listChildren(pid: number): number[] {
    return Bun.spawnSync(["pgrep", "-P", String(pid)], { stdout: "pipe" }).stdout.toString().trim().split("\n").filter(Boolean).map(Number);
  }

  /** The one child of the launcher `pid`: the binary. */
  function childOf(pid: number): number {
    const children = listChildren(pid);
    expect(children).toHaveLength(1);
    return children[0] ?? 0;
  }

  /** Whether `pid` runs (a zombie has exited: nobody may have reaped an orphan yet). */
  function isRunning(pid: number): boolean {
    const state = Bun.spawnSync(["ps", "-o", "stat=", "-p", String(pid)], { stdout: "pipe" }).stdout.toString().trim();
    return state !== "" && !state.startsWith("Z");
  }

  /**
   * SIGKILLs the launcher of `run`, as `kill -9`, `timeout -s KILL` or a supervisor that kills only
   * its own pid does, then waits for the binary, orphaned, to exit on its own; returns what the
   * binary said from its "launcher gone" line on ("" when it said none).
   */
  async function killLauncher(run: ReturnType<typeof start>): Promise<string> {
    const binaryPid = childOf(run.proc.pid);
    try {
      run.proc.kill("SIGKILL");
      await waitFor(() => !isRunning(binaryPid), 30_000, `the binary (pid ${binaryPid}) to exit once its launcher was killed`);
    } finally {
      if (isRunning(binaryPid)) process.kill(binaryPid, "SIGKILL");
    }
    const result = await run.done;
    expect(result.signal).toBe("SIGKILL");
    const at = result.stderr.indexOf(`the npm launcher (pid ${run.proc.pid}) is gone: stopping`);
    return at < 0 ? "" : result.stderr.slice(at);
  }

  test("SIGKILL to the launcher: the binary, orphaned, stops as on SIGTERM (summary, final write, lock released); so does top --watch", async () => {
    if (!installed) throw new Error("not installed");
    const redis = await startRedis();
    const runs: ReturnType<typeof start>[] = [];
    try {
      // --retain 0: the default retention refuses a --since in 2021.
      const run = start([installed.command, "--url", server.url, "--since", "2021-10-08T22:24:00Z", "--redis-url", redis.url, "--retain", "0"]);
      runs.push(run);
      const holds = async () => {
        if (run.proc.exitCode !== null) throw new Error(`the run exited (${run.proc.exitCode}): ${run.stderr()}`);
        return (await redis.client.exists("wikistream:lock", "wikistream:checkpoint")) === 2;
      };
      await waitFor(holds, 60_000, "the run to hold the lock and write a checkpoint");
      const said = await killLauncher(run);
      expect(said).not.toBe("");
      expect(summaryOf(said)).not.toBe("");
      expect(await redis.client.exists("wikistream:lock")).toBe(0);
      // A --watch loop, which would poll Redis forever, stops the same way.
      const watching = start([installed.command, "top", "--watch", "--redis-url", redis.url]);
      runs.push(watching);
      await waitFor(() => watching.stdout().includes("\n"), 30_000, "top --watch to draw");
      expect(await killLauncher(watching)).not.toBe("");
    } finally {
      // A launcher still up means the test failed before killing it: end it and its binary.
      for (const { proc } of runs) {
        if (proc.exitCode !== null || proc.signalCode !== null) continue;
        for (const pid of listChildren(proc.pid)) process.kill(pid, "SIGKILL");
        proc.kill("SIGKILL");
      }
      await redis.stop();
    }
  });

  test("the binary runs in a process group of its own, and a binary killed by a signal kills the launcher with the same signal", async () => {
    if (!installed) throw new Error("not installed");
    const run = await startLive(installed.command);
    const child = childOf(run.proc.pid);
    // The binary has a process group of its own: a terminal's Ctrl-C (sent to the launcher's
    // group) reaches it only as the launcher forwards it, once.
    const group = (pid: number | string) => Bun.spawnSync(["ps", "-o", "pgid=", "-p", String(pid)], { stdout: "pipe" }).stdout.toString().trim();
    expect(group(child)).not.toBe(group(run.proc.pid));
    process.kill(child, "SIGKILL");
    const result = await run.done;
    expect(result.signal).toBe("SIGKILL");
  });
});
