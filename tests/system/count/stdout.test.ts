import { expect, setDefaultTimeout, test } from "bun:test";
import { buildCycledStream, computeReference, listEpochs } from "../../support/corpus.ts";
import { startFixtureServer } from "../../support/fixture-server.ts";
import { resolveBinary } from "../../support/process.ts";
import { shareFixtureServer } from "../../support/shared.ts";

setDefaultTimeout(60_000);

const stream = buildCycledStream({ cycles: 4, windowMs: 1000 });
const sinceS = Math.floor(stream.firstMs / 1000);
// Inside the last cycle, so later events close every window before it.
const untilS = sinceS + Math.floor((3 * stream.periodMs) / 1000) + 100;
const server = shareFixtureServer({ events: stream.events, atEnd: "hold" });

// One-second windows make many lines: far more than a pipe buffer (64 KiB) holds.
const args = () => ["--url", server.url, "--window", "1s", "--since", String(sinceS), "--until", String(untilS), "--format", "jsonl", "--quiet"];

test("a slow reader of stdout still gets every window before the process exits", async () => {
  // One line per window from the first to the last before --until, quiet ones included.
  const expected = listEpochs(computeReference(stream.events, { windowMs: 1000, latenessMs: 60_000, untilMs: untilS * 1000 })).length;
  // A shell pipe whose reader starts late, so the writer finishes with output still queued.
  const command = `"$0" "$@" | (sleep 2; cat) | wc -l; exit "\${PIPESTATUS[0]}"`;
  const proc = Bun.spawn(["bash", "-c", command, resolveBinary(), ...args()], { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "" } });
  const lines = Number((await new Response(proc.stdout).text()).trim());
  expect(await proc.exited).toBe(0);
  expect(expected).toBeGreaterThan(800);
  expect(lines).toBe(expected);
});

test("when the reader of stdout goes away (| head -1), it stops quietly with exit 0 at its next write", async () => {
  // The stream never ends (held at the end), so only the reader going away can end the run; the
  // second half waits until the reader has gone, so windows are still to come after it, however
  // far the run got first.
  const paced = startFixtureServer({ events: stream.events, holdAt: Math.floor(stream.events.length / 2), atEnd: "hold" });
  try {
    const proc = Bun.spawn([resolveBinary(), "--url", paced.url, "--window", "1s", "--since", String(sinceS), "--format", "jsonl", "--idle-timeout", "10m"], {
      stdout: "pipe",
      stderr: "pipe",
      env: { PATH: process.env.PATH ?? "" },
    });
    const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    paced.release();
    // Only a run that never stops hits this (the stream does not end): it fails the test.
    const exited = await Promise.race([proc.exited, Bun.sleep(40_000).then(() => "still running" as const)]);
    if (exited === "still running") proc.kill("SIGKILL");
    const stderr = await new Response(proc.stderr).text();
    expect(exited).toBe(0);
    expect(stderr).not.toContain("EPIPE");
    expect(stderr).not.toContain("    at ");
  } finally {
    await paced.stop();
  }
});

test("in jsonl, a window known to miss events (before an unaligned --since) says so; the others do not", async () => {
  const since = Math.floor(sinceS / 30) * 30 + 45; // mid-window
  const proc = Bun.spawn(
    [resolveBinary(), "--url", server.url, "--window", "30s", "--since", String(since), "--until", String(since + 200), "--format", "jsonl", "--quiet"],
    { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "" } },
  );
  const lines = (await new Response(proc.stdout).text())
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { start: number; incomplete?: boolean });
  expect(await proc.exited).toBe(0);
  const origin = Math.ceil(since / 30) * 30;
  expect(lines.filter((l) => l.start < origin).length).toBeGreaterThan(0);
  for (const line of lines) expect({ start: line.start, incomplete: line.incomplete === true }).toEqual({ start: line.start, incomplete: line.start < origin });
});
