import { describe, expect, test } from "bun:test";
import { MemoryGuard, type MemoryPolicy } from "../../../src/source/memory.ts";

const MIB = 1024 * 1024;

/** A guard over a fake resident set: `rss` is read at each look; collections are counted and can shrink it. */
function createGuard(policy: MemoryPolicy, rss: number[], afterCollect?: (rss: number) => number) {
  let current = rss[0] ?? 0;
  let looks = 0;
  const guard = new MemoryGuard(
    policy,
    () => {
      const value = rss[Math.min(looks, rss.length - 1)] ?? current;
      looks++;
      current = value;
      return value;
    },
    () => {
      if (afterCollect) rss.splice(looks, 0, afterCollect(current));
    },
  );
  return { guard, looks: () => looks };
}

describe("MemoryGuard", () => {
  test("never looks when checkEveryBytes is 0", () => {
    const { guard, looks } = createGuard({ checkEveryBytes: 0, ceilingBytes: 0 }, [500 * MIB]);
    for (let i = 0; i < 100; i++) guard.onBytes(MIB);
    expect(guard.collections).toBe(0);
    expect(looks()).toBe(0);
  });

  test("with no ceiling, collects at every look (0.1.0's policy), without reading the resident set", () => {
    const { guard, looks } = createGuard({ checkEveryBytes: 8 * MIB, ceilingBytes: 0 }, [10 * MIB]);
    for (let i = 0; i < 64; i++) guard.onBytes(MIB);
    expect(guard.collections).toBe(8);
    expect(looks()).toBe(0);
  });

  test.each([
    { rss: [50, 60, 70, 80], collections: 0 },
    { rss: [50, 97, 60, 70], collections: 1 },
    { rss: [97, 97, 97, 97], collections: 1 },
  ])("with a 96 MiB ceiling, resident sets $rss MiB at four looks mean $collections collections", ({ rss, collections }) => {
    // A collection gives memory back: the next look sees what the list says.
    const { guard } = createGuard({ checkEveryBytes: 8 * MIB, ceilingBytes: 96 * MIB }, rss.map((m) => m * MIB), (now) => now);
    for (let i = 0; i < 32; i++) guard.onBytes(MIB);
    expect(guard.collections).toBe(collections);
  });

  test("when a collection cannot bring it under the ceiling, the next waits for a quarter more growth", () => {
    // 100 MiB at the look, still 100 after collecting: the threshold becomes 125 MiB.
    const rss = [100, 100, 110, 120, 124, 126, 100].map((m) => m * MIB);
    const { guard } = createGuard({ checkEveryBytes: 8 * MIB, ceilingBytes: 96 * MIB }, rss);
    const after: number[] = [];
    for (let look = 0; look < 6; look++) {
      for (let i = 0; i < 8; i++) guard.onBytes(MIB);
      after.push(guard.collections);
    }
    expect(after).toEqual([1, 1, 1, 1, 2, 2]);
  });
});
