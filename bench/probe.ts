import { readFileSync } from "node:fs";

/** One `kB` field of /proc/<pid>/status (VmHWM, VmRSS, …) in kilobytes; undefined when unreadable. */
export function readStatusKb(pid: number | "self", field: string): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) of a process in clock ticks, from /proc/<pid>/stat; undefined when it is gone. */
export function readCpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** Clock ticks per second, for /proc/<pid>/stat. */
export function readClockTicks(): number {
  const result = Bun.spawnSync(["getconf", "CLK_TCK"], { stdout: "pipe", stderr: "ignore" });
  const ticks = Number(result.stdout.toString().trim());
  return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
}
