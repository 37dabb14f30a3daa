/**
 * One terminal, two streams (issue 17, item 1): plain `wikistream` on a terminal prints windows
 * on stdout while the status line is drawn on stderr, and both go to the same screen. Under a
 * real pseudo-terminal (`script`), the screen is replayed as a terminal would show it: no
 * window heading may share a line with the status line, and the line comes back after each.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createReplayScenario } from "../../support/corpus.ts";
import { startFixtureServer, type FixtureServer } from "../../support/fixture-server.ts";
import { resolveBinary } from "../../support/process.ts";

setDefaultTimeout(120_000);

const { stream, sinceMs, untilMs } = createReplayScenario({ cycles: 2, untilIntoLastCycleMs: 95_000 });
let paced: FixtureServer;

beforeAll(() => {
  // Several seconds of reading, windows final all along: the line is drawn between them.
  paced = startFixtureServer({ events: stream.events, ratePerSec: 1000, chunkEvents: 20 });
});

afterAll(async () => {
  await paced.stop();
});

/**
 * A window's heading as the table prints it: `2021-10-08 22:24:00–22:24:30 UTC  …` (0.1.0 put
 * spaces around the dash: both are matched, so that the glued heading is what fails there).
 */
const HEADING = /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ?– ?\d\d:\d\d:\d\d UTC/;

/**
 * The lines a terminal shows for this output: `\r` goes back to the start of the line, `\x1b[K`
 * erases from the cursor to its end, anything else is written over what is there.
 */
function replayScreen(output: string): string[] {
  return output.split("\n").map((raw) => {
    let line = "";
    let at = 0;
    for (const part of raw.split(/(\r|\x1b\[K)/)) {
      if (part === "\r") at = 0;
      else if (part === "\x1b[K") line = line.slice(0, at);
      else {
        line = line.slice(0, at) + part + line.slice(at + part.length);
        at += part.length;
      }
    }
    return line;
  });
}

describe("stdout and stderr on one terminal", () => {
  test("no window heading shares a line with the status line, which is drawn again after each print", async () => {
    const command = [resolveBinary(), "--url", paced.url, "--since", String(sinceMs), "--until", String(untilMs)].map((a) => `'${a}'`).join(" ");
    // script gives the binary one pseudo-terminal for stdin, stdout and stderr, as a shell does.
    const proc = Bun.spawn(["script", "-qfec", `stty cols 200; ${command}`, "/dev/null"], {
      stdout: "pipe",
      stderr: "pipe",
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", TERM: "xterm", NO_COLOR: "1", WIKISTREAM_RETAIN: "0" },
    });
    const output = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    const screen = replayScreen(output);
    const headings = screen.filter((line) => HEADING.test(line));
    expect(headings.length).toBeGreaterThan(5);
    // The case that garbled the first screen happened here: the status line was up when a window came.
    const chunks = output.split(/(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ?–)/);
    expect(chunks.slice(1).some((_, i) => (chunks[i] ?? "").includes("events/s"))).toBe(true);
    // Each heading starts its line, alone: nothing of the status line before or after it.
    for (const line of headings) {
      expect(line).toMatch(new RegExp(`^${HEADING.source}`));
      expect(line).not.toContain("events/s");
    }
    expect(screen.filter((line) => line.includes("events/s") && line.includes(" UTC "))).toEqual([]);
    // After a window, the line comes back without waiting for the next one-second tick.
    const afterWindow = output.replaceAll("\r\n", "\n").split(/\n\n/).slice(1, -1);
    expect(afterWindow.some((text) => text.startsWith("\r\x1b[K") && text.includes("events/s"))).toBe(true);
    // And it is gone at the end: the last line on the screen is the summary.
    expect(screen.filter((line) => line.trim() !== "").pop()).toMatch(/^\d+ events; \d+ counted/);
  });
});
