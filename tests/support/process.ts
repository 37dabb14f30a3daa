import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

const ROOT = new URL("../..", import.meta.url).pathname;

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

let built: string | undefined;

function isStale(binary: string): boolean {
  return !existsSync(binary) || statSync(binary).mtimeMs < Math.max(newestSourceMtime(join(ROOT, "src")), statSync(join(ROOT, "build.ts")).mtimeMs);
}

/**
 * The compiled binary the tests run: $WIKISTREAM_BIN, else dist/wikistream, (re)built with
 * `bun run build` when missing or older than src/. Test files run in parallel workers, so the
 * build is guarded by a lock directory (mkdir is atomic): one worker builds, the others wait.
 */
export function resolveBinary(): string {
  if (process.env.WIKISTREAM_BIN) return process.env.WIKISTREAM_BIN;
  if (built) return built;
  const binary = join(ROOT, "dist", "wikistream");
  const lock = join(ROOT, "dist", ".build-lock");
  mkdirSync(join(ROOT, "dist"), { recursive: true });
  const deadline = Date.now() + 120_000;
  while (isStale(binary)) {
    try {
      mkdirSync(lock);
    } catch {
      // Another worker is building: wait for it, then look again.
      if (Date.now() > deadline) throw new Error(`waited 2 minutes for ${lock} to go: remove it if no build runs`);
      Bun.sleepSync(100);
      continue;
    }
    try {
      if (!isStale(binary)) break;
      const result = Bun.spawnSync(["bun", "run", "build"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
      if (result.exitCode !== 0) throw new Error(`bun run build failed: ${result.stderr.toString()}`);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  built = binary;
  return binary;
}

/** A running wikistream process with its output collected. */
export interface WikistreamProcess {
  proc: ReturnType<typeof Bun.spawn>;
  /** Resolves when it exits, with everything it printed. */
  done: Promise<{ code: number; stdout: string; stderr: string }>;
  /** stderr so far. */
  stderr(): string;
  /** stdout so far. */
  stdout(): string;
}

/** Starts the compiled binary with `args`; env is added to a clean environment (no REDIS_URL etc. leak in). */
export function spawnWikistream(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): WikistreamProcess {
  // The replays are of 2021 events: kept for ever unless a test asks for a retention.
  const keep = { WIKISTREAM_RETAIN: "0", WIKISTREAM_RETAIN_ROLLUP: "0" };
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", NO_COLOR: "1", ...keep, ...options.env };
  const proc = Bun.spawn([resolveBinary(), ...args], { env, cwd: options.cwd ?? ROOT, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  let err = "";
  let out = "";
  const collect = async (stream: ReadableStream<Uint8Array>, add: (text: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) add(decoder.decode(chunk, { stream: true }));
  };
  const stderrDone = collect(proc.stderr as ReadableStream<Uint8Array>, (text) => (err += text));
  const stdoutDone = collect(proc.stdout as ReadableStream<Uint8Array>, (text) => (out += text));
  const done = (async () => {
    const code = await proc.exited;
    await Promise.all([stdoutDone, stderrDone]);
    return { code, stdout: out, stderr: err };
  })();
  return { proc, done, stderr: () => err, stdout: () => out };
}

/** Runs the binary to the end, killing it after `timeoutMs`. */
export async function runWikistream(args: string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}) {
  const run = spawnWikistream(args, options);
  const timer = setTimeout(() => run.proc.kill("SIGKILL"), options.timeoutMs ?? 30_000);
  const result = await run.done;
  clearTimeout(timer);
  return result;
}

/** Waits until `predicate` holds, polling; throws after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

const tracked: WikistreamProcess[] = [];

/** Like spawnWikistream, but remembered, so `killStrayRuns` (in an afterEach) ends it when a test fails midway. */
export function spawnTracked(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): WikistreamProcess {
  const run = spawnWikistream(args, options);
  tracked.push(run);
  return run;
}

/** Kills every run from spawnTracked that is still alive. */
export function killStrayRuns(): void {
  for (const run of tracked.splice(0)) if (run.proc.exitCode === null && run.proc.signalCode === null) run.proc.kill("SIGKILL");
}

/**
 * Stops a run with SIGTERM and returns its result; SIGKILL after 15 s (a stop takes 2 s at most,
 * plus what a busy machine adds), so that a hang fails the test instead of stalling it.
 */
export async function terminate(run: WikistreamProcess) {
  run.proc.kill("SIGTERM");
  const timer = setTimeout(() => run.proc.kill("SIGKILL"), 15_000);
  const result = await run.done;
  clearTimeout(timer);
  return result;
}

/** The end-of-run summary line on stderr (see formatStats in src/run.ts). */
export function summaryOf(stderr: string): string {
  return stderr.split("\n").find((line) => /^\d+ events?; \d+ counted/.test(line)) ?? "";
}

/** The `skipped:` counters of a summary line, by reason. */
export function skippedOf(summary: string): Record<string, number> {
  const list = /skipped: ([^;]*)/.exec(summary)?.[1] ?? "";
  const out: Record<string, number> = {};
  for (const item of list.split(", ").filter(Boolean)) {
    const at = item.lastIndexOf(" ");
    out[item.slice(0, at)] = Number(item.slice(at + 1));
  }
  return out;
}

/** Waits for `ready` unless `run` exits first, which fails the test with what it printed. */
export async function whileRunning<T>(run: WikistreamProcess, ready: Promise<T>): Promise<T> {
  ready.catch(() => undefined);
  const exited = run.done.then((result): never => {
    throw new Error(`wikistream exited (code ${result.code}) before it was expected to:\n${result.stderr}`);
  });
  exited.catch(() => undefined);
  return Promise.race([ready, exited]);
}
