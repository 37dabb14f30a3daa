/**
 * A measured child process: wall time from spawn to exit, peak RSS (GNU time's %M when
 * /usr/bin/time is installed, else the last VmHWM polled from /proc), and VmRSS samples taken
 * while it runs. Every child is remembered so the benchmark can end them all on the way out.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readStatusKb } from "./probe.ts";

const GNU_TIME = "/usr/bin/time";

/** How a measured child ended. */
export interface ChildResult {
  code: number;
  wallMs: number;
  stdout: string;
  stderr: string;
  /** Peak resident set size in kB. */
  peakKb: number | undefined;
  /** The last VmRSS read before it exited, in kB. */
  lastRssKb: number | undefined;
}

/** A running measured child. */
export interface Child {
  /** The pid of the measured program itself (not of /usr/bin/time around it); undefined until known. */
  pid(): number | undefined;
  /** stderr so far. */
  stderr(): string;
  /** Its VmRSS right now (kB), or the last one read. */
  readRss(): number | undefined;
  kill(signal?: NodeJS.Signals): void;
  done: Promise<ChildResult>;
}

/** Options of spawnChild. */
export interface ChildOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** How often /proc is polled; 0 for never. */
  pollMs?: number;
  /** Whether to wrap in GNU time (when installed) for an exact peak RSS. */
  measurePeak?: boolean;
  /** Called with stdout text as it arrives. */
  onStdout?: (text: string) => void;
}

interface Running {
  proc: ReturnType<typeof Bun.spawn>;
  /** The measured program's pid when GNU time wraps it. */
  innerPid(): number | undefined;
}

const running = new Set<Running>();

/** Sends SIGKILL to every child still running, by pid: each one we started, and the program inside GNU time. */
export function killChildren(): void {
  for (const { proc, innerPid } of running) {
    const inner = innerPid();
    if (inner !== undefined && inner !== proc.pid) {
      try {
        process.kill(inner, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    proc.kill("SIGKILL");
  }
  running.clear();
}

async function readText(stream: ReadableStream<Uint8Array>, onText?: (text: string) => void): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of stream) {
    const piece = decoder.decode(chunk, { stream: true });
    text += piece;
    onText?.(piece);
  }
  return text;
}

function readChildPid(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(" ")[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts `cmd` and measures it. stdout and stderr are collected; stdin is closed. */
export function spawnChild(cmd: string[], options: ChildOptions = {}): Child {
  const wrap = options.measurePeak !== false && existsSync(GNU_TIME);
  const dir = wrap ? mkdtempSync(join(tmpdir(), "wikistream-bench-")) : undefined;
  const timeFile = dir ? join(dir, "maxrss") : undefined;
  const argv = timeFile ? [GNU_TIME, "-f", "%M", "-o", timeFile, ...cmd] : cmd;
  const startedAt = performance.now();
  const proc = Bun.spawn(argv, { env: options.env ?? process.env, cwd: options.cwd, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  let pid: number | undefined = wrap ? undefined : proc.pid;
  const entry: Running = {
    proc,
    innerPid: () => {
      pid ??= readChildPid(proc.pid);
      return pid;
    },
  };
  running.add(entry);
  let hwmKb: number | undefined;
  let rssKb: number | undefined;
  let errText = "";
  const poll = () => {
    pid ??= readChildPid(proc.pid);
    if (pid === undefined) return;
    hwmKb = readStatusKb(pid, "VmHWM") ?? hwmKb;
    rssKb = readStatusKb(pid, "VmRSS") ?? rssKb;
  };
  const timer = options.pollMs ? setInterval(poll, options.pollMs) : undefined;
  const stdout = readText(proc.stdout as ReadableStream<Uint8Array>, options.onStdout);
  const stderr = readText(proc.stderr as ReadableStream<Uint8Array>, (piece) => {
    errText += piece;
  });
  const done = (async (): Promise<ChildResult> => {
    const code = await proc.exited;
    const wallMs = performance.now() - startedAt;
    running.delete(entry);
    if (timer) clearInterval(timer);
    let peakKb = hwmKb;
    if (timeFile && dir) {
      const text = existsSync(timeFile) ? readFileSync(timeFile, "utf8") : "";
      // GNU time writes "Command exited with non-zero status N" before the value when it fails.
      const value = Number(text.trim().split("\n").pop());
      if (Number.isFinite(value) && value > 0) peakKb = Math.max(value, peakKb ?? 0);
      rmSync(dir, { recursive: true, force: true });
    }
    return { code, wallMs, stdout: await stdout, stderr: await stderr, peakKb, lastRssKb: rssKb };
  })();
  return {
    pid: entry.innerPid,
    stderr: () => errText,
    readRss: () => {
      poll();
      return rssKb;
    },
    kill: (signal = "SIGTERM") => {
      const target = pid ?? readChildPid(proc.pid);
      if (target !== undefined) process.kill(target, signal);
      else proc.kill(signal);
    },
    done,
  };
}

/** Waits until `predicate` holds, polling every 10 ms; throws after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(10);
  }
}
