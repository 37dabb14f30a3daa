import { describe, expect, test } from "bun:test";
import { WikistreamError } from "../../../src/lib/error.ts";
import { checkPrefixLayout, describeWrongType, type PrefixState } from "../../../src/sink/redis/layout.ts";

const W = 30_000;
const state = (layoutWindowMs: number | null, checkpointWindowMs: number | null, epochs: number): PrefixState => ({ layoutWindowMs, checkpointWindowMs, epochs, layoutViews: "" });
const mismatch = (held: string, asked: string) =>
  `prefix 'p:' holds ${held} windows, and --window is ${asked}: windows of two lengths cannot share a prefix. Run with --window ${held}, or give these windows their own --prefix`;

function refusal(run: () => void): WikistreamError | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof WikistreamError) return error;
    throw error;
  }
  return undefined;
}

describe("checkPrefixLayout", () => {
  test.each([
    { name: "a fresh prefix", state: state(null, null, 0), windowMs: W },
    { name: "the same window in the layout", state: state(W, W, 12), windowMs: W },
    { name: "the layout decides over an older checkpoint", state: state(W, 60_000, 3), windowMs: W },
    { name: "no layout (an older prefix): the checkpoint agrees", state: state(null, W, 5), windowMs: W },
    { name: "a layout but no windows yet", state: state(W, null, 0), windowMs: W },
  ])("accepted: $name", ({ state, windowMs }) => {
    expect(() => checkPrefixLayout(state, "p:", windowMs)).not.toThrow();
  });

  test.each([
    { name: "the layout differs", state: state(60_000, null, 0), windowMs: W, message: mismatch("1m", "30s") },
    { name: "the layout differs from the checkpoint and from --window", state: state(60_000, W, 2), windowMs: 10_000, message: mismatch("1m", "10s") },
    { name: "no layout, the checkpoint differs", state: state(null, 120_000, 4), windowMs: W, message: mismatch("2m", "30s") },
    {
      name: "one window without layout or checkpoint",
      state: state(null, null, 1),
      windowMs: W,
      message: "prefix 'p:' lists 1 window but has no layout or checkpoint key, so their length is unknown: give this run another --prefix",
    },
    {
      name: "windows without layout or checkpoint",
      state: state(null, null, 7),
      windowMs: W,
      message: "prefix 'p:' lists 7 windows but has no layout or checkpoint key, so their length is unknown: give this run another --prefix",
    },
  ])("refused: $name", ({ state, windowMs, message }) => {
    const error = refusal(() => checkPrefixLayout(state, "p:", windowMs));
    expect(error?.type).toBe("usage");
    expect(error?.message).toBe(message);
  });
});

describe("describeWrongType", () => {
  test.each([
    { found: "zset", says: "a sorted set" },
    { found: "hash", says: "a hash" },
    { found: "string", says: "a string" },
    { found: "list", says: "a list" },
    { found: "stream", says: "a stream" },
    { found: "vectorset", says: "a vectorset" },
  ])("$found is worded as '$says'", ({ found, says }) => {
    const error = describeWrongType("p:epochs", found);
    expect(error.type).toBe("redis");
    expect(error.message).toBe(`Redis key 'p:epochs' holds ${says}, which wikistream did not write: delete it or choose another --prefix (nothing was written)`);
  });
});
