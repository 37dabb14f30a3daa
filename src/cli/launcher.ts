/**
 * Stopping when the npm launcher is gone. `npm i -g wikistream` runs this binary through a Node
 * launcher (scripts/release/npm-launcher.cjs) that, on POSIX, starts it in a session of its own
 * (so a terminal's Ctrl-C reaches it once, forwarded, not twice). A launcher killed with SIGKILL
 * (`kill -9`, `timeout -s KILL`, a supervisor that kills only the pid it started) forwards
 * nothing: the binary, reparented, would run on, holding the Redis lock and the stream, with
 * nobody left to stop it. So the launcher passes its pid in WIKISTREAM_LAUNCHER_PID, and the
 * binary, only when it is set, looks every second whether its parent is still that process; once
 * not, it stops as on SIGTERM.
 *
 * WIKISTREAM_LAUNCHER_PID is internal, between the launcher and the binary: not a flag, not in
 * --help. The parent pid, not a signal 0 to the pid: a launcher killed but not yet reaped by its
 * own parent still answers signal 0 (a zombie), while its children are reparented at once. The
 * first look comes a second in, so a launcher that died before the binary was up is seen too.
 */

/** The variable the npm launcher sets to its own pid. */
export const LAUNCHER_PID_VARIABLE = "WIKISTREAM_LAUNCHER_PID";

/** How often the parent pid is looked at: a getppid() each time, nothing else. */
const LAUNCHER_CHECK_MS = 1000;

/** The launcher's pid from the environment; undefined when absent or not a pid (nothing is watched). */
export function readLauncherPid(env: Record<string, string | undefined>): number | undefined {
  const text = env[LAUNCHER_PID_VARIABLE];
  if (text === undefined || !/^[1-9]\d{0,9}$/.test(text)) return undefined;
  return Number(text);
}

/** What watchLauncher reads and how often; the process's own unless a test says otherwise. */
export interface LauncherWatchOptions {
  /** The current parent pid (process.ppid, which Bun reads afresh each time). */
  parentPid?: () => number;
  everyMs?: number;
}

/**
 * Calls `onGone` once, with the launcher's pid, when the parent of this process is no longer the
 * launcher named in `env`; does nothing when none is named. The timer is unref'd: it never keeps
 * a finished command alive. Returns a function that stops watching.
 */
export function watchLauncher(env: Record<string, string | undefined>, onGone: (launcherPid: number) => void, options: LauncherWatchOptions = {}): () => void {
  const launcherPid = readLauncherPid(env);
  if (launcherPid === undefined) return () => undefined;
  const parentPid = options.parentPid ?? (() => process.ppid);
  const timer = setInterval(() => {
    if (parentPid() === launcherPid) return;
    clearInterval(timer);
    onGone(launcherPid);
  }, options.everyMs ?? LAUNCHER_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** The line a command logs when it stops because its launcher is gone. */
export function describeLauncherGone(launcherPid: number): string {
  return `the npm launcher (pid ${launcherPid}) is gone`;
}
