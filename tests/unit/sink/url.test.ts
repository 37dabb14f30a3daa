import { describe, expect, test } from "bun:test";
import { formatRedisUrl, parseRedisTarget } from "../../../src/sink/redis/url.ts";

describe("parseRedisTarget: what the URL points at", () => {
  test.each([
    { url: "redis://127.0.0.1:6379", host: "127.0.0.1", port: 6379, db: 0, tls: false },
    { url: "redis://cache.example", host: "cache.example", port: 6379, db: 0, tls: false },
    { url: "rediss://cache.example:6380", host: "cache.example", port: 6380, db: 0, tls: true },
    { url: "redis://h:7000/0", host: "h", port: 7000, db: 0, tls: false },
    { url: "redis://h/5", host: "h", port: 6379, db: 5, tls: false },
    { url: "redis://h?db=2", host: "h", port: 6379, db: 2, tls: false },
    { url: "rediss://h/?db=2", host: "h", port: 6379, db: 2, tls: true },
    { url: "redis://h/1?db=1", host: "h", port: 6379, db: 1, tls: false },
    { url: "redis://[::1]:7000/3", host: "::1", port: 7000, db: 3, tls: false },
    { url: "redis://[2001:db8::1]", host: "2001:db8::1", port: 6379, db: 0, tls: false },
    { url: "redis://", host: "127.0.0.1", port: 6379, db: 0, tls: false },
  ])("$url → $host:$port db $db tls $tls", ({ url, ...expected }) => {
    expect(parseRedisTarget(url)).toEqual({ kind: "single", ...expected, display: url });
  });

  test.each([
    {
      url: "redis+sentinel://10.0.0.1:26379,10.0.0.2:26380,s3/mymaster",
      expected: { kind: "sentinel", sentinels: [{ host: "10.0.0.1", port: 26379 }, { host: "10.0.0.2", port: 26380 }, { host: "s3", port: 26379 }], master: "mymaster", db: 0, tls: false },
    },
    {
      url: "redis+sentinel://app:s3cret@h:26379/mymaster/3?sentinelPassword=x",
      expected: { kind: "sentinel", master: "mymaster", db: 3, username: "app", password: "s3cret", sentinelPassword: "x", display: "redis+sentinel://app:***@h:26379/mymaster/3?sentinelPassword=***" },
    },
    { url: "rediss+sentinel://[::1]:26379/m", expected: { kind: "sentinel", sentinels: [{ host: "::1", port: 26379 }], master: "m", tls: true } },
    {
      url: "redis+cluster://127.0.0.1:7000,127.0.0.1:7001",
      expected: { kind: "cluster", nodes: [{ host: "127.0.0.1", port: 7000 }, { host: "127.0.0.1", port: 7001 }], db: 0, tls: false },
    },
    { url: "rediss+cluster://:pw@c1:7000", expected: { kind: "cluster", password: "pw", username: undefined, tls: true, display: "rediss+cluster://:***@c1:7000" } },
  ])("$url", ({ url, expected }) => {
    expect(parseRedisTarget(url)).toMatchObject(expected);
  });

  test.each([
    { url: "redis+sentinel://h:26379", message: "names no master: expected redis+sentinel://host:26379[,host:port…]/MASTER[/db]" },
    { url: "redis+sentinel://h:26379/m/x", message: "names database 'x', not a number: expected redis+sentinel://host:26379[,host:port…]/MASTER[/db]" },
    { url: "redis+sentinel://h:bad/m", message: "is not a Sentinel URL: expected redis+sentinel://host:26379[,host:port…]/MASTER[/db]" },
    { url: "redis+cluster://h:7000/2", message: "names database '2': a Redis Cluster has only database 0" },
    { url: "redis+cluster://", message: "is not a Cluster URL: expected redis+cluster://host:port[,host:port…]" },
  ])("$url → a message", ({ url, message }) => {
    expect(parseRedisTarget(url)).toBe(message);
  });

  test.each([
    { url: "redis://h/abc", message: "names database 'abc', not a number: use redis://host:port/0 (or /1, /2…)" },
    { url: "redis://h/-1", message: "names database '-1', not a number: use redis://host:port/0 (or /1, /2…)" },
    { url: "redis://h/1/2", message: "names database '1/2', not a number: use redis://host:port/0 (or /1, /2…)" },
    { url: "redis://h?db=x", message: "names database 'x', not a number: use redis://host:port/0 (or /1, /2…)" },
    { url: "redis://h/1234567890", message: "names database '1234567890', not a number: use redis://host:port/0 (or /1, /2…)" },
    { url: "redis://h/1?db=2", message: "names two databases (/1 and ?db=2): keep one" },
    { url: "not a url", message: "is not a URL: expected redis://host:port[/db]" },
    { url: "redis://:6379", message: "is not a URL: expected redis://host:port[/db]" },
  ])("$url → a message", ({ url, message }) => {
    expect(parseRedisTarget(url)).toBe(message);
  });

  test("the display form hides the password", () => {
    const target = parseRedisTarget("redis://app:s3cret@h:6379/1");
    expect(typeof target === "object" && target.display).toBe("redis://app:***@h:6379/1");
  });
});

describe("formatRedisUrl never shows a password", () => {
  test.each([
    { url: "redis://app:s3cret@h:6379/0", shown: "redis://app:***@h:6379/0" },
    { url: "redis://:s3cret@h", shown: "redis://:***@h" },
    { url: "rediss://h:6380/0?password=s3cret", shown: "rediss://h:6380/0?password=***" },
    { url: "redis://u:s3cret@h/1?password=s3cret&db=1", shown: "redis://u:***@h/1?password=***&db=1" },
    { url: "redis://h/0?Password=s3cret", shown: "redis://h/0?Password=***" },
    { url: "redis://h/0", shown: "redis://h/0" },
    { url: "redis://app@h/0", shown: "redis://app@h/0" },
    { url: "s3cret nonsense", shown: "(invalid Redis URL)" },
  ])("$url → $shown", ({ url, shown }) => {
    expect(formatRedisUrl(url)).toBe(shown);
    expect(formatRedisUrl(url)).not.toContain("s3cret");
  });
});
