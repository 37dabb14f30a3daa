/**
 * `bun run release:check`: everything the release workflow does on Linux short of uploading,
 * so a broken release shows here and not on tag day. The workflow runs it; the test suite runs
 * `--fast` (tests/system/release/release.test.ts); CI runs the whole of it.
 *
 *   bun run release:check          every target, SHA256SUMS, -baseline = linux-x64, the smoke runs, npm
 *   bun run release:check --fast   linux-x64 only (no download of other runtimes, no SHA256SUMS)
 *
 * Steps: the versions agree (package.json, CHANGELOG, README); `bun build.ts --npm` builds the
 * binaries and dist/npm/; `sha256sum -c SHA256SUMS`; the linux-x64 binary answers --version and
 * --help, and every `run:` step of the workflows (.github/workflows/*.yml; release.yml runs this
 * command) uses scripts, files, commands and flags that exist; the binary, alone in an empty directory, replays real events from a fixture stream into
 * a real redis-server and leaves exactly the independently computed windows; the npm tarballs
 * install offline into a scratch prefix and the launcher runs --version and a counting run.
 * Prints one line per step and exits 1 at the first that fails. Needs redis-server and npm.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { findTarget, formatSize, hashFile, nameArtifact, TARGETS, type BuildTarget } from "../build.ts";
import pkg from "../package.json" with { type: "json" };
import { createReplayScenario, formatReferenceAsRedis, listEpochs } from "../tests/support/corpus.ts";
import { startFixtureServer } from "../tests/support/fixture-server.ts";
import { dumpWindows, startRedis } from "../tests/support/redis.ts";
import { installNpmPackages } from "./release/npm-install.ts";
import { nameTarball, namePlatformPackage } from "./release/npm-packages.ts";
import { checkVersions } from "./release/versions.ts";
import { checkReferences, collectHelpFlags, findReferences, listRunSteps } from "./release/workflow.ts";

const ROOT = join(import.meta.dir, "..");
const DIST = join(ROOT, "dist");
const WORKFLOWS = join(ROOT, ".github", "workflows");
const SMOKE_PREFIX = "smoke:";

/** A failed step: its message is the one line printed. */
class CheckFailure extends Error {}

function fail(message: string): never {
  throw new CheckFailure(message);
}

/** Runs a command to its end; returns its output, or fails the step with it. */
function run(cmd: string[], options: { cwd?: string; env?: Record<string, string> } = {}): { stdout: string; stderr: string } {
  const result = Bun.spawnSync(cmd, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdout: "pipe", stderr: "pipe" });
  const out = { stdout: result.stdout.toString(), stderr: result.stderr.toString() };
  if (result.exitCode !== 0) fail(`${cmd.join(" ")} exited ${result.exitCode}\n${out.stdout}${out.stderr}`);
  return out;
}

/**
 * Runs a command that talks to a server of this process (the fixture stream): spawnSync would
 * stop the event loop that serves it. Killed after two minutes; fails the step unless it exits 0.
 */
async function runAlongside(cmd: string[], options: { cwd: string; env: Record<string, string> }): Promise<{ stdout: string; stderr: string }> {
  const proc = Bun.spawn(cmd, { ...options, stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 120_000);
  const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  clearTimeout(timer);
  if (code !== 0) fail(`${cmd.join(" ")} exited ${code}\n${stderr}`);
  return { stdout, stderr };
}

function requireTarget(name: string): BuildTarget {
  return findTarget(name) ?? fail(`build.ts has no target ${name}`);
}

/** A user's environment: a PATH with no project in it, an empty home. */
function userEnv(home: string): Record<string, string> {
  return { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: home, NO_COLOR: "1" };
}

async function checkChecksums(): Promise<string> {
  run(["sha256sum", "--check", "--strict", "SHA256SUMS"], { cwd: DIST });
  const listed = (await Bun.file(join(DIST, "SHA256SUMS")).text()).trim().split("\n").map((line) => line.split("  ")[1]);
  const expected = TARGETS.map((t) => nameArtifact(pkg.version, t)).sort();
  if (JSON.stringify(listed) !== JSON.stringify(expected)) fail(`SHA256SUMS lists ${listed.join(", ")}; expected ${expected.join(", ")}`);
  const [plain, baseline] = await Promise.all(["linux-x64", "linux-x64-baseline"].map((n) => hashFile(join(DIST, nameArtifact(pkg.version, requireTarget(n))))));
  // build.ts and the README say -baseline is the linux-x64 build: hold them to it.
  if (plain !== baseline) fail("linux-x64-baseline differs from linux-x64: Bun's two runtimes are no longer the same; say what differs in build.ts and the README");
  return `${listed.length} files OK, linux-x64-baseline = linux-x64`;
}

function checkBinary(binary: string): string {
  const version = run([binary, "--version"]).stdout.trim();
  if (!new RegExp(`^wikistream ${pkg.version.replaceAll(".", "\\.")} \\([0-9a-f]{7,}(-dirty)?\\)$`).test(version)) fail(`--version printed '${version}', expected 'wikistream ${pkg.version} (<commit>)'`);
  if (!run([binary, "--help"]).stdout.includes("--redis-url")) fail("--help does not list --redis-url");
  return version;
}

async function checkWorkflows(binary: string): Promise<string> {
  const help = collectHelpFlags((args) => run([binary, ...args]).stdout);
  const known = { help, scripts: new Set(Object.keys(pkg.scripts)), exists: (path: string) => existsSync(join(ROOT, path)) };
  const said: string[] = [];
  for (const file of readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const steps = listRunSteps(await Bun.file(join(WORKFLOWS, file)).text());
    const refs = steps.flatMap(findReferences);
    const problems = checkReferences(refs, known);
    if (file === "release.yml" && !refs.some((r) => r.kind === "script" && r.name === "release:check")) problems.push("no step runs `bun run release:check`");
    if (problems.length > 0) fail(`.github/workflows/${file}:\n  ${problems.join("\n  ")}`);
    said.push(`${file}: ${steps.length} run steps, ${refs.filter((r) => r.kind === "binary").length} binary invocations`);
  }
  if (!said.some((s) => s.startsWith("release.yml:"))) fail(".github/workflows/release.yml is missing");
  return `${said.join("; ")}; commands ${[...help.keys()].filter(Boolean).join(", ")}`;
}

/**
 * The replay both smoke runs use: the 2021 capture twice over, canaries mixed in, and its
 * independent count. Into Redis it needs `--retain 0`: the default retention (30 days) refuses a
 * `--since` in 2021 (the release workflow's own smoke step lacked it, and every tag failed).
 */
const scenario = createReplayScenario({ cycles: 2, canaryEvery: 97, untilIntoLastCycleMs: 95_000 });
const replayArgs = ["--since", String(scenario.sinceMs), "--until", String(scenario.untilMs)];

async function smokeRedis(binary: string): Promise<string> {
  const [redis, server] = [await startRedis(), startFixtureServer({ events: scenario.stream.events, requireUserAgent: true })];
  const home = mkdtempSync(join(tmpdir(), "wikistream-release-"));
  try {
    // Alone in an empty directory, as a user runs it: nothing of the project around.
    await runAlongside([binary, "--url", server.url, "--redis-url", redis.url, "--prefix", SMOKE_PREFIX, ...replayArgs, "--retain", "0"], { cwd: home, env: userEnv(home) });
    const got = await dumpWindows(redis, SMOKE_PREFIX);
    const want = formatReferenceAsRedis(scenario.reference, SMOKE_PREFIX);
    if (!Bun.deepEquals(got, want)) fail(`Redis holds other windows than the reference: ${Object.keys(got).length} keys, expected ${Object.keys(want).length}`);
    return `${listEpochs(scenario.reference).length} windows equal the reference`;
  } finally {
    server.stop();
    await redis.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

async function smokeNpm(binaryVersion: string): Promise<string> {
  const tarballs = [nameTarball(pkg.name, pkg.version), nameTarball(namePlatformPackage(requireTarget("linux-x64")), pkg.version)].map((f) => join(DIST, "npm", f));
  const installed = installNpmPackages(tarballs);
  const server = startFixtureServer({ events: scenario.stream.events, requireUserAgent: true });
  try {
    const version = run([installed.command, "--version"], { env: userEnv(installed.dir) }).stdout.trim();
    if (version !== binaryVersion) fail(`the launcher printed '${version}', the binary '${binaryVersion}'`);
    const out = (await runAlongside([installed.command, "--url", server.url, "--format", "jsonl", "--quiet", ...replayArgs], { cwd: installed.dir, env: userEnv(installed.dir) })).stdout;
    const totals = out.trim().split("\n").map((line) => (JSON.parse(line) as { total: number }).total);
    const want = listEpochs(scenario.reference).map((start) => [...(scenario.reference.get(start)?.values() ?? [])].reduce((a, b) => a + b, 0));
    if (JSON.stringify(totals) !== JSON.stringify(want)) fail(`the counting run through the launcher printed totals ${totals.join(",")}, expected ${want.join(",")}`);
    const sizes = tarballs.map((t) => `${t.split("/").pop()} ${formatSize(Bun.file(t).size)}`).join(", ");
    return `installed offline (${sizes}); --version and ${totals.length} windows through the launcher`;
  } finally {
    server.stop();
    installed.remove();
  }
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { fast: { type: "boolean", default: false } }, strict: true });
  const binary = join(DIST, nameArtifact(pkg.version, requireTarget("linux-x64")));
  let version = "";
  const steps: [string, () => string | Promise<string>][] = [
    ["versions", async () => {
      const { problems } = await checkVersions(ROOT);
      if (problems.length > 0) fail(problems.join("; "));
      return `${pkg.version} in package.json, CHANGELOG.md and README.md`;
    }],
    ["build", () => {
      const out = run(["bun", "build.ts", ...(values.fast ? ["--target", "linux-x64"] : []), "--npm"]).stdout;
      return `\n${out.trimEnd()}`;
    }],
    ...(values.fast ? [] : [["SHA256SUMS", checkChecksums] as [string, () => Promise<string>]]),
    ["linux-x64 --version, --help", () => (version = checkBinary(binary))],
    ["workflows", () => checkWorkflows(binary)],
    ["smoke: fixture stream → redis-server", () => smokeRedis(binary)],
    ["npm: offline install, launcher", () => smokeNpm(version)],
  ];
  const started = performance.now();
  for (const [name, step] of steps) {
    const t0 = performance.now();
    try {
      const said = await step();
      console.log(`ok   ${name} (${((performance.now() - t0) / 1000).toFixed(1)} s): ${said}`);
    } catch (error) {
      console.log(`FAIL ${name}: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
  }
  console.log(`release:check passed${values.fast ? " (--fast)" : ""} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return 0;
}

if (import.meta.main) process.exit(await main(Bun.argv.slice(2)));
