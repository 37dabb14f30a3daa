/**
 * Error responses with an endless body (a broken proxy): the binary reads a small part of the
 * body for its message, drops the connection and retries, with flat memory. The peak RSS is
 * read from /proc/<pid>/status (VmHWM) while the run lives; a run past the bound is killed at
 * once, so the test fails without taking the machine's memory with it.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { createReplayScenario, formatReferenceAsRedis } from "../../support/corpus.ts";
import { startFixtureServer } from "../../support/fixture-server.ts";
import { spawnWikistream } from "../../support/process.ts";
import { dumpWindows } from "../../support/redis.ts";
import { shareRedis } from "../../support/shared.ts";

setDefaultTimeout(90_000);

const { stream, sinceMs, untilMs, reference } = createReplayScenario({ cycles: 1, untilIntoLastCycleMs: 150_000 });
const redis = shareRedis();
/** The bound of the issue: a systemd unit's MemoryMax=512M must never be near. */
const MAX_PEAK_BYTES = 200 * 1024 * 1024;
/** Connections answered with an endless error body before the stream is served. */
const BAD_ANSWERS = 3;

/** Peak resident set of a live process (VmHWM), in bytes; undefined once it is gone. */
function readPeakRss(pid: number): number | undefined {
  try {
    const kib = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

/** A body that never ends: a short message, then 256 KiB of noise a write, for ever (until the client goes). */
function endlessBody(message: string): ReadableStream<Uint8Array> {
  const noise = new Uint8Array(256 * 1024);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919 + (i >> 8)) & 0xff;
  let first = true;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(first ? new TextEncoder().encode(message) : noise);
      first = false;
    },
  });
}

interface EndlessCase {
  name: string;
  prefix: string;
  answer: () => Response;
  /** What each retry's log line must say. */
  logged: RegExp;
}

const endless: EndlessCase[] = [
  {
    name: "HTTP 503 (Retry-After: 1)",
    prefix: "endless503:",
    answer: () => new Response(endlessBody("upstream overloaded\n"), { status: 503, headers: { "retry-after": "1" } }),
    logged: /answered HTTP 503: upstream overloaded .*retrying in 1\.0s/,
  },
  {
    name: "HTTP 200 with text/html",
    prefix: "endlesshtml:",
    answer: () => new Response(endlessBody("<html><head><title>Captive portal</title></head><body>"), { headers: { "content-type": "text/html" } }),
    logged: /sent 'text\/html', not text\/event-stream \(a proxy page\?\): Captive portal; retrying in/,
  },
];

describe("an error response with an endless body", () => {
  for (const answer of endless) {
    test(`${answer.name}, ${BAD_ANSWERS} times: each retry logs the status, the peak RSS stays under 200 MB, and the result is exact`, async () => {
      const server = startFixtureServer({ events: stream.events, respond: (info) => (info.index < BAD_ANSWERS ? answer.answer() : undefined) });
      try {
        const run = spawnWikistream(["--url", server.url, "--redis-url", redis.url, "--prefix", answer.prefix, "--since", String(sinceMs), "--until", String(untilMs)]);
        let peak = 0;
        const watch = setInterval(() => {
          const now = readPeakRss(run.proc.pid);
          if (now === undefined) return;
          peak = Math.max(peak, now);
          if (now > MAX_PEAK_BYTES) run.proc.kill("SIGKILL");
        }, 25);
        const stopAt = setTimeout(() => run.proc.kill("SIGKILL"), 80_000);
        const result = await run.done;
        clearInterval(watch);
        clearTimeout(stopAt);
        expect({ peakMiB: Math.round(peak / 1048576), underBound: peak > 0 && peak < MAX_PEAK_BYTES }).toMatchObject({ underBound: true });
        expect(result.code).toBe(0);
        const lines = result.stderr.split("\n").filter((line) => answer.logged.test(line));
        expect(lines).toHaveLength(BAD_ANSWERS);
        // Each line is one short line, not the noise that followed the message.
        for (const line of lines) expect(line.length).toBeLessThan(400);
        expect(server.connections.length).toBe(BAD_ANSWERS + 1);
        expect(await dumpWindows(redis, answer.prefix)).toEqual(formatReferenceAsRedis(reference, answer.prefix));
      } finally {
        await server.stop();
      }
    });
  }
});
