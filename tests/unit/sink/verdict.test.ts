import { describe, expect, test } from "bun:test";
import { describeVerdict, judgeStale, type ServerFacts, type StaleFacts, type StaleVerdict } from "../../../src/sink/redis/verdict.ts";

const none: ReadonlySet<string> = new Set();

describe("judgeStale: what a refused write means", () => {
  const rows: [string, StaleFacts, StaleVerdict][] = [
    ["no checkpoint at all", { ours: "7", found: "", foundUpdatedMs: "", unanswered: none }, "checkpoint_gone"],
    ["no checkpoint before this writer's first write either", { ours: "", found: "", foundUpdatedMs: "", unanswered: none }, "checkpoint_gone"],
    ["an older write", { ours: "7", found: "5", foundUpdatedMs: "1", unanswered: none }, "redis_behind"],
    ["a newer write by someone else", { ours: "7", found: "9", foundUpdatedMs: "1", unanswered: none }, "redis_ahead"],
    ["the next write, not ours (its time is not one we sent)", { ours: "7", found: "8", foundUpdatedMs: "1", unanswered: new Set(["2"]) }, "redis_ahead"],
    ["the next write, ours (its time is that of a write without an answer)", { ours: "7", found: "8", foundUpdatedMs: "2", unanswered: new Set(["2"]) }, "reply_lost"],
    ["our first write landed without its answer", { ours: "", found: "1", foundUpdatedMs: "5", unanswered: new Set(["5"]) }, "reply_lost"],
    ["two ahead, with our time: not ours (ours would make exactly one more)", { ours: "7", found: "9", foundUpdatedMs: "2", unanswered: new Set(["2"]) }, "redis_ahead"],
    ["another program's text", { ours: "7", found: "x", foundUpdatedMs: "", unanswered: none }, "redis_ahead"],
  ];
  test.each(rows)("%s", (_name, facts, verdict) => {
    expect(judgeStale(facts)).toBe(verdict);
  });
});

describe("describeVerdict: the checkpoint gone, said as it went", () => {
  const facts: StaleFacts = { ours: "7", found: "", foundUpdatedMs: "", unanswered: none };
  const server = (runId: string, evictedKeys: number): ServerFacts => ({ runId, evictedKeys, policy: "allkeys-lru" });
  const say = (before?: ServerFacts, now?: ServerFacts) => describeVerdict("checkpoint_gone", { prefix: "p:", where: "redis://h:6379", facts, serverBefore: before, serverNow: now });
  test("flushed: the same server, nothing evicted", () => {
    expect(say(server("a", 3), server("a", 3))).toBe(
      "the checkpoint of prefix 'p:' is gone from Redis at redis://h:6379 (this writer left write 7), and what was written before it may be gone too: flushed (FLUSHALL, FLUSHDB or a DEL: the server ran all along and evicted nothing); starting again without a saved position",
    );
  });
  test("evicted: the same server, keys evicted since", () => {
    expect(say(server("a", 3), server("a", 10))).toContain("evicted: Redis evicted 7 keys under maxmemory-policy allkeys-lru since this run last looked");
  });
  test("another server answers (a restart without persistence, a failover)", () => {
    expect(say(server("a", 3), server("b", 0))).toContain("the server that answers now (restarted, or promoted by a failover) does not hold it");
  });
  test("INFO not available", () => {
    expect(say(undefined, server("a", 0))).toContain("flushed, evicted, or lost in a restart without persistence (INFO cannot tell which here)");
  });
});
