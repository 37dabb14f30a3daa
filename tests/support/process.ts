import { existsSync, readdirSync, statSync } from "node:fs";
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

/**
 * The compiled binary the tests run: $WIKISTREAM_BIN, else dist/wikistream, (re)built with
 * `bun run build` when missing or older than src/.
 */
export function resolveBinary(): string {
  if (process.env.WIKISTREAM_BIN) return process.env.WIKISTREAM_BIN;
  if (built) return built;
  const binary = join(ROOT, "dist", "wikistream");
  const stale = !existsSync(binary) || statSync(binary).mtimeMs < Math.max(newestSourceMtime(join(ROOT, "src")), statSync(join(ROOT, "build.ts")).mtimeMs);
  if (stale) {
    const result = Bun.spawnSync(["bun", "run", "build"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    if (result.exitCode !== 0) throw new Error(`bun run build failed: ${result.stderr.toString()}`);
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
}

/** Starts the compiled binary with `args`; env is added to a clean environment (no REDIS_URL etc. leak in). */
export function spawnWikistream(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): WikistreamProcess {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", NO_COLOR: "1", ...options.env };
  const proc = Bun.spawn([resolveBinary(), ...args], { env, cwd: options.cwd ?? ROOT, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  let err = "";
  const decoder = new TextDecoder();
  const stderrDone = (async () => {
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) err += decoder.decode(chunk, { stream: true });
  })();
  const stdoutDone = new Response(proc.stdout as ReadableStream<Uint8Array>).text();
  const done = (async () => {
    const code = await proc.exited;
    const [stdout] = await Promise.all([stdoutDone, stderrDone]);
    return { code, stdout, stderr: err };
  })();
  return { proc, done, stderr: () => err };
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
