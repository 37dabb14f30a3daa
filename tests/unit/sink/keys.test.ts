import { describe, expect, test } from "bun:test";
import { createKeys } from "../../../src/sink/redis/keys.ts";

describe("createKeys", () => {
  test.each([
    { prefix: "wikistream:", window: "wikistream:1764151200" },
    { prefix: "", window: "1764151200" },
    { prefix: "{ws}/", window: "{ws}/1764151200" },
  ])("prefix '$prefix'", ({ prefix, window }) => {
    const keys = createKeys(prefix);
    expect(keys.window(1_764_151_200)).toBe(window);
    expect({ epochIndex: keys.epochIndex, epochs: keys.epochs, incomplete: keys.incomplete, checkpoint: keys.checkpoint, lock: keys.lock, layout: keys.layout }).toEqual({
      epochIndex: `${prefix}epoch_index`,
      epochs: `${prefix}epochs`,
      incomplete: `${prefix}incomplete`,
      checkpoint: `${prefix}checkpoint`,
      lock: `${prefix}lock`,
      layout: `${prefix}layout`,
    });
  });

  test("fixed lists the bookkeeping keys in the scripts' order: lock, layout, checkpoint, epochs, incomplete, epoch_index", () => {
    expect(createKeys("p:").fixed).toEqual(["p:lock", "p:layout", "p:checkpoint", "p:epochs", "p:incomplete", "p:epoch_index"]);
  });

  test("a window key never collides with a bookkeeping key", () => {
    const keys = createKeys("");
    expect(keys.fixed).not.toContain(keys.window(0));
    expect(new Set(keys.fixed).size).toBe(6);
  });
});
