/**
 * The status line (issue 9, item 1): seen on a terminal (a pseudo-terminal made by `script`),
 * absent when stderr is a file or a pipe; --log-format json makes every stderr line a JSON object.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createReplayScenario } from "../../support/corpus.ts";
import { startFixtureServer, type FixtureServer } from "../../support/fixture-server.ts";
import { resolveBinary, runWikistream } from "../../support/process.ts";

setDefaultTimeout(30_000);

const { stream, sinceMs, untilMs } = createReplayScenario({ cycles: 2, untilIntoLastCycleMs: 95_000 });
let paced: FixtureServer;

beforeAll(() => {
  // About 4 s of reading: several redraws of a line drawn once a second.
  paced = startFixtureServer({ events: stream.events, ratePerSec: 2000, chunkEvents: 20 });
});

afterAll(async () => {
  await paced.stop();
});

const args = () => ["--url", paced.url, "--since", String(sinceMs), "--until", String(untilMs), "--format", "jsonl"];
/** Clears the line and redraws it: what only the status line writes. */
const REDRAW = "\r\x1b[K";

describe("on a terminal", () => {
  test("a status line is drawn and redrawn (events/s, lag, open windows, last write, reconnects), and cleared at the end", async () => {
    const command = [resolveBinary(), ...args()].map((a) => `'${a}'`).join(" ");
    // script gives the binary a pseudo-terminal for stdin/stdout/stderr; stdout goes to /dev/null.
    const proc = Bun.spawn(["script", "-qfec", `stty cols 200; ${command} > /dev/null`, "/dev/null"], {
      stdout: "pipe",
      stderr: "pipe",
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", TERM: "xterm", NO_COLOR: "1" },
    });
    const output = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    const frames = output.split(REDRAW).slice(1).map((frame) => frame.split(/[\r\n]/)[0] ?? "");
    const lines = frames.filter((frame) => frame.includes("events/s"));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.some((line) => /^\d+ events\/s · lag \S+ · \d+ windows? open · (last write \S+ ago|nothing written yet) · \d+ reconnects?/.test(line))).toBe(true);
    // Log lines are never mixed into the status line: each starts on a line of its own.
    expect(output).toContain("connected to");
    expect(output).not.toMatch(/events\/s[^\r\n]*connected to/);
    // NO_COLOR: no colour codes beyond the clear-line sequence.
    expect(output.replaceAll("\x1b[K", "")).not.toContain("\x1b[");
  });
});

describe("not on a terminal", () => {
  test("stderr to a pipe or file: no status line at all", async () => {
    const result = await runWikistream(args());
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain("\x1b[K");
    expect(result.stderr).not.toContain("events/s");
  });

  test("--log-format json: every stderr line is one JSON object with level, msg and time", async () => {
    const result = await runWikistream([...args(), "--log-format", "json"]);
    expect(result.code).toBe(0);
    const lines = result.stderr.trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      const entry = JSON.parse(line) as { level: string; msg: string; time: string };
      expect(["error", "warn", "info", "debug"]).toContain(entry.level);
      expect(typeof entry.msg).toBe("string");
      expect(Number.isNaN(Date.parse(entry.time))).toBe(false);
    }
    expect(lines.some((line) => JSON.parse(line).msg.startsWith("connected to"))).toBe(true);
    expect(lines.some((line) => /^\d+ events?; \d+ counted/.test(JSON.parse(line).msg))).toBe(true);
  });

  test("WIKISTREAM_LOG_FORMAT=json works as the flag does, and a bad value is refused with one line", async () => {
    const viaEnv = await runWikistream(args(), { env: { WIKISTREAM_LOG_FORMAT: "json" } });
    expect(viaEnv.stderr.trim().split("\n").every((line) => line.startsWith("{"))).toBe(true);
    const bad = await runWikistream(["--log-format", "xml"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("error: --log-format must be text or json, got 'xml' (see wikistream --help)\n");
  });
});
