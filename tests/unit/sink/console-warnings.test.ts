/**
 * ioredis's console warnings in our words, whatever order overlapping connections (the sink and
 * the live page's history reader) open and close in.
 */
import { expect, test } from "bun:test";
import { createLogger } from "../../../src/lib/log.ts";
import { routeConsoleWarnings } from "../../../src/sink/redis/connection.ts";

const WARNING = "[WARN] Redis server does not require a password, but a password was supplied.";

function createHeard(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, log: createLogger({ write: (line) => lines.push(line) }) };
}

test("the first connection released first: the other still hears; the console is put back after the last", () => {
  const raw: unknown[][] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => raw.push(args);
  try {
    const sink = createHeard();
    const history = createHeard();
    const releaseSink = routeConsoleWarnings(sink.log, "redis://a");
    const releaseHistory = routeConsoleWarnings(history.log, "redis://a");
    releaseSink();
    console.warn(WARNING);
    console.warn(WARNING);
    expect(history.lines).toEqual(["warn: Redis at redis://a needs no password, but one was given: remove it from the URL (or set one on the server)\n"]);
    expect(sink.lines).toEqual([]);
    expect(raw).toEqual([]);
    console.warn("not from ioredis");
    expect(raw).toEqual([["not from ioredis"]]);
    releaseHistory();
    console.warn(WARNING);
    expect(raw).toEqual([["not from ioredis"], [WARNING]]);
    releaseHistory();
  } finally {
    console.warn = original;
  }
});
