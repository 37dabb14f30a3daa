/** The sink registry: a sink per URL scheme, stdout without a URL, and a scheme no sink takes said in one line. */
import { describe, expect, test } from "bun:test";
import { WikistreamError } from "../../../src/lib/error.ts";
import { findSinkProvider } from "../../../src/sink/registry.ts";

describe("findSinkProvider", () => {
  test("no URL prints windows: a sink that keeps no state and no past to read", async () => {
    const stdout = findSinkProvider(undefined);
    expect(stdout.keepsState).toBe(false);
    expect(stdout.readRecent).toBeUndefined();
    expect(stdout.describe(undefined)).toBe("stdout");
  });

  test.each(["redis://h:6379", "rediss://h:6380/2", "redis+sentinel://h:26379/mymaster", "rediss+sentinel://h:26379/m", "redis+cluster://h:7000,h:7001", "REDIS+CLUSTER://h:7000"])("%s is Redis, which keeps state and has a past to read", (url) => {
    const redis = findSinkProvider(url);
    expect(redis.keepsState).toBe(true);
    expect(redis.readRecent).toBeFunction();
  });

  test("a Redis URL is described with its password masked", () => {
    expect(findSinkProvider("redis://:secret@h:6379").describe("redis://:secret@h:6379")).toBe("redis://:***@h:6379");
  });

  test("a scheme no sink takes is a usage error that lists the schemes there are", () => {
    let thrown: unknown;
    try {
      findSinkProvider("kafka://broker:9092");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(WikistreamError);
    expect((thrown as WikistreamError).type).toBe("usage");
    expect((thrown as WikistreamError).message).toBe(
      "no sink takes 'kafka:' URLs: use redis://, rediss://, redis+sentinel://, rediss+sentinel://, redis+cluster://, rediss+cluster://, or none to print windows",
    );
  });
});
