import { describe, expect, test } from "bun:test";
import { LAUNCHER_PID_VARIABLE, describeLauncherGone, readLauncherPid, watchLauncher } from "../../../src/cli/launcher.ts";
import { waitFor } from "../../support/process.ts";

const LAUNCHER = 4242;
const env = (value: string | undefined) => ({ [LAUNCHER_PID_VARIABLE]: value });

/** A watch on a parent pid the test sets by hand; `looks` counts how often it was read. */
function rig(vars: Record<string, string | undefined> = env(String(LAUNCHER))) {
  const state = { parent: LAUNCHER, looks: 0, gone: [] as number[] };
  const parentPid = () => {
    state.looks++;
    return state.parent;
  };
  const stop = watchLauncher(vars, (pid) => state.gone.push(pid), { parentPid, everyMs: 5 });
  return { state, stop };
}

describe("readLauncherPid", () => {
  test("takes a positive decimal pid, and nothing else", () => {
    expect(readLauncherPid(env("4242"))).toBe(4242);
    expect(readLauncherPid(env("1"))).toBe(1);
    for (const value of [undefined, "", "0", "-5", "12a", " 12", "1.5", "0x10", "99999999999"]) {
      expect({ value, pid: readLauncherPid(env(value)) }).toEqual({ value, pid: undefined });
    }
  });
});

describe("watchLauncher", () => {
  test("while the parent is the launcher, nothing happens; once it is not, onGone once with the launcher's pid", async () => {
    const { state, stop } = rig();
    await waitFor(() => state.looks >= 5, 10_000, "five looks");
    expect(state.gone).toEqual([]);
    // The launcher died: the binary was reparented (to init or a subreaper).
    state.parent = 1;
    await waitFor(() => state.gone.length > 0, 10_000, "onGone");
    const looks = state.looks;
    await Bun.sleep(50);
    expect(state.gone).toEqual([LAUNCHER]);
    // It stopped looking once it had said so.
    expect(state.looks).toBe(looks);
    stop();
  });

  test("a launcher already gone when the watch starts is seen at the first look", async () => {
    const { state, stop } = rig();
    state.parent = 1;
    await waitFor(() => state.gone.length > 0, 10_000, "onGone");
    expect(state.gone).toEqual([LAUNCHER]);
    stop();
  });

  test("without the variable (or with no pid in it) it never looks", async () => {
    for (const value of [undefined, "npm"]) {
      const { state, stop } = rig(env(value));
      state.parent = 1;
      await Bun.sleep(50);
      expect({ value, looks: state.looks, gone: state.gone }).toEqual({ value, looks: 0, gone: [] });
      stop();
    }
  });

  test("stopping it stops the looks", async () => {
    const { state, stop } = rig();
    await waitFor(() => state.looks >= 2, 10_000, "two looks");
    stop();
    const looks = state.looks;
    state.parent = 1;
    await Bun.sleep(50);
    expect(state.looks).toBe(looks);
    expect(state.gone).toEqual([]);
  });

  test("its timer keeps no process alive, and it reads the real parent pid", async () => {
    const module = JSON.stringify(new URL("../../../src/cli/launcher.ts", import.meta.url).pathname);
    const run = async (launcher: string, keepAlive: string) => {
      const script = `const { watchLauncher } = await import(${module});
watchLauncher({ WIKISTREAM_LAUNCHER_PID: String(${launcher}) }, () => { console.log("gone"); process.exit(0); }, { everyMs: 10 });
${keepAlive}`;
      const proc = Bun.spawn(["bun", "-e", script], { stdout: "pipe" });
      const [code, stdout] = await Promise.all([proc.exited, new Response(proc.stdout).text()]);
      return { code, stdout };
    };
    // Watching its real parent, with nothing else to do: it exits at once, saying nothing.
    expect(await run("process.ppid", "")).toEqual({ code: 0, stdout: "" });
    // Told of a launcher that is not its parent, it says so (a timer of its own keeps it up 30 s).
    expect(await run("process.ppid + 1", "setTimeout(() => process.exit(3), 30_000);")).toEqual({ code: 0, stdout: "gone\n" });
  });

  test("the line it logs names the launcher", () => {
    expect(describeLauncherGone(4242)).toBe("the npm launcher (pid 4242) is gone");
  });
});
