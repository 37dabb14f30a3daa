import { describe, expect, test } from "bun:test";
import { describeNetworkError } from "../../../src/lib/network.ts";
import { judgeEvictionPolicy } from "../../../src/sink/redis/eviction.ts";
import { readRedisUser, resolveScriptDatabase, switchRedisTls } from "../../../src/sink/redis/url.ts";

/** An error with a `code`, as node and Bun's fetch throw them. */
function coded(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe("describeNetworkError: the runtime's sentences in our words", () => {
  test.each([
    { error: coded("Unable to connect. Is the computer able to access the url?", "ConnectionRefused"), says: "connection refused" },
    { error: coded("Unable to connect. Is the computer able to access the url?", "ECONNREFUSED"), says: "connection refused" },
    { error: coded("The socket connection was closed unexpectedly. For more information, pass `verbose: true` in the second argument to fetch()", "ECONNRESET"), says: "the connection was closed before an answer" },
    { error: coded("getaddrinfo ENOTFOUND nowhere.invalid", "ENOTFOUND"), says: "host not found" },
    { error: coded("Something new. Is the computer able to access the url?", "EWHATEVER"), says: "EWHATEVER: Something new." },
    { error: new Error("certificate has expired. For more information, pass `verbose: true` in the second argument to fetch()"), says: "certificate has expired." },
    { error: "a string", says: "a string" },
  ])("$says", ({ error, says }) => {
    expect(describeNetworkError(error)).toBe(says);
  });
});

describe("the user and the scheme of a shown Redis URL", () => {
  test.each([
    ["redis://127.0.0.1:6379", "default"],
    ["redis://:***@127.0.0.1:6379", "default"],
    ["redis://app:***@127.0.0.1:6379/2", "app"],
    ["rediss://only-user@h:6379", "only-user"],
    ["redis+cluster://u%20x:***@a:1,b:2", "u x"],
    ["redis+sentinel://h:26379/master", "default"],
  ])("%s logs in as %s", (display, user) => {
    expect(readRedisUser(display)).toBe(user);
  });

  test.each([
    ["redis://a:1", true, "rediss://a:1"],
    ["rediss://u:***@a:1/2", false, "redis://u:***@a:1/2"],
    ["redis+cluster://a:1,b:2", true, "rediss+cluster://a:1,b:2"],
    ["rediss+sentinel://a:1/m", false, "redis+sentinel://a:1/m"],
  ])("%s with TLS %p is %s", (display, tls, switched) => {
    expect(switchRedisTls(display, tls)).toBe(switched);
  });

  test("no SELECT in the scripts for database 0 or a Cluster; the database otherwise", () => {
    const base = { tls: false, display: "" };
    expect(resolveScriptDatabase({ ...base, kind: "single", host: "h", port: 1, db: 0 })).toBe("");
    expect(resolveScriptDatabase({ ...base, kind: "single", host: "h", port: 1, db: 3 })).toBe("3");
    expect(resolveScriptDatabase({ ...base, kind: "cluster", nodes: [], db: 0, username: undefined, password: undefined })).toBe("");
  });
});

describe("judgeEvictionPolicy", () => {
  test.each([
    ["noeviction", false, "safe"],
    ["noeviction", true, "safe"],
    ["allkeys-lru", false, "refused"],
    ["allkeys-lfu", true, "refused"],
    ["allkeys-random", true, "refused"],
    ["volatile-lru", false, "refused"],
    ["volatile-ttl", false, "refused"],
    ["volatile-lfu", true, "allowed"],
    ["volatile-random", true, "allowed"],
  ] as const)("%s with --allow-eviction %p: %s", (policy, allow, kind) => {
    const verdict = judgeEvictionPolicy(policy, "redis://h:1", allow);
    expect(verdict.kind).toBe(kind);
    if (verdict.kind === "refused") expect(verdict.reason).toContain(`maxmemory-policy ${policy}`);
    if (verdict.kind === "refused") expect(verdict.reason).toContain("noeviction");
  });
});
