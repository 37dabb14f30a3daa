import { describe, expect, test } from "bun:test";
import { resolveBackoff } from "../../../src/lib/backoff.ts";

const policy = { baseMs: 1000, maxMs: 30_000 };
const low = () => 0;
const high = () => 1;

describe("resolveBackoff", () => {
  test.each([
    { attempt: 0, why: "the first try" },
    { attempt: -1, why: "a negative attempt" },
  ])("attempt $attempt ($why) waits nothing, whatever the random draw", ({ attempt }) => {
    expect(resolveBackoff(attempt, policy, low)).toBe(0);
    expect(resolveBackoff(attempt, policy, high)).toBe(0);
  });

  // c = min(max, base · 2^(n−1)); the wait is in [c/2, c].
  test.each([
    { attempt: 1, ceiling: 1000 },
    { attempt: 2, ceiling: 2000 },
    { attempt: 3, ceiling: 4000 },
    { attempt: 5, ceiling: 16_000 },
    { attempt: 6, ceiling: 30_000 }, // 32s is over the longest wait
    { attempt: 20, ceiling: 30_000 },
  ])("attempt $attempt: random 0 waits c/2, random 1 waits c = $ceiling", ({ attempt, ceiling }) => {
    expect(resolveBackoff(attempt, policy, low)).toBe(ceiling / 2);
    expect(resolveBackoff(attempt, policy, high)).toBe(ceiling);
    expect(resolveBackoff(attempt, policy, () => 0.5)).toBe((ceiling * 3) / 4);
  });

  test.each([0.001, 0.25, 0.5, 0.75, 0.999])("attempt 4 with random %p stays within [4s, 8s]", (r) => {
    const wait = resolveBackoff(4, policy, () => r);
    expect(wait).toBeGreaterThanOrEqual(4000);
    expect(wait).toBeLessThanOrEqual(8000);
  });

  test.each([
    { attempt: 1_000, maxMs: 30_000, expected: 30_000 },
    { attempt: 1_000_000, maxMs: 30_000, expected: 30_000 },
    { attempt: Number.MAX_SAFE_INTEGER, maxMs: 60_000, expected: 60_000 },
  ])("a large attempt ($attempt) does not overflow: it waits at most max", ({ attempt, maxMs, expected }) => {
    expect(resolveBackoff(attempt, { baseMs: 1000, maxMs }, high)).toBe(expected);
    expect(resolveBackoff(attempt, { baseMs: 1000, maxMs }, low)).toBe(expected / 2);
  });

  test("a large attempt with no real ceiling still gives a finite wait", () => {
    const wait = resolveBackoff(5_000, { baseMs: 1000, maxMs: Number.POSITIVE_INFINITY }, high);
    expect(Number.isFinite(wait)).toBe(true);
    expect(wait).toBe(1000 * 2 ** 30);
  });

  test("the default random source keeps waits within [c/2, c]", () => {
    for (let i = 0; i < 200; i++) {
      const wait = resolveBackoff(3, policy);
      expect(wait).toBeGreaterThanOrEqual(2000);
      expect(wait).toBeLessThanOrEqual(4000);
    }
  });
});
