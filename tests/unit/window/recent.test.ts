import { describe, expect, test } from "bun:test";
import { RecentIds } from "../../../src/window/recent.ts";

const ids = (n: number) => Array.from({ length: n }, (_, i) => `id-${i + 1}`);

describe("RecentIds keeps the last `size` ids, oldest first", () => {
  test.each([
    { name: "empty", size: 3, pushed: 0, list: [] },
    { name: "before it is full", size: 3, pushed: 2, list: ["id-1", "id-2"] },
    { name: "just full", size: 3, pushed: 3, list: ["id-1", "id-2", "id-3"] },
    { name: "one past full: the oldest goes", size: 3, pushed: 4, list: ["id-2", "id-3", "id-4"] },
    { name: "two past full", size: 3, pushed: 5, list: ["id-3", "id-4", "id-5"] },
    { name: "wrapped exactly twice", size: 3, pushed: 6, list: ["id-4", "id-5", "id-6"] },
    { name: "wrapped more than twice", size: 3, pushed: 10, list: ["id-8", "id-9", "id-10"] },
    { name: "a ring of one", size: 1, pushed: 4, list: ["id-4"] },
  ])("$name (size $size, $pushed pushed)", ({ size, pushed, list }) => {
    const recent = new RecentIds(size);
    for (const id of ids(pushed)) recent.push(id);
    expect(recent.list()).toEqual([...list]);
  });

  test.each([
    { name: "shorter than the ring", size: 4, initial: ids(2), then: ["x"], list: ["id-1", "id-2", "x"] },
    { name: "longer than the ring: the newest are kept", size: 3, initial: ids(5), then: [], list: ["id-3", "id-4", "id-5"] },
    { name: "then pushed past the wrap", size: 3, initial: ids(5), then: ["x", "y"], list: ["id-5", "x", "y"] },
  ])("from a saved list $name", ({ size, initial, then, list }) => {
    const recent = new RecentIds(size, [...initial]);
    for (const id of then) recent.push(id);
    expect(recent.list()).toEqual([...list]);
  });

  test("list() is a copy: changing it changes nothing", () => {
    for (const pushed of [2, 5]) {
      const recent = new RecentIds(3);
      for (const id of ids(pushed)) recent.push(id);
      const before = recent.list();
      recent.list().push("intruder");
      recent.list().reverse();
      expect(recent.list()).toEqual(before);
    }
  });

  test("a repeated id is remembered as often as it was seen", () => {
    const recent = new RecentIds(3, ["a", "a"]);
    recent.push("a");
    recent.push("b");
    expect(recent.list()).toEqual(["a", "a", "b"]);
  });
});
