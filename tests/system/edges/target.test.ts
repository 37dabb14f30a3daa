/**
 * The right place or nothing (issue 8, items 1, 2 and 4): a database the server does not have,
 * something other than Redis at the address, and keys of another type under the prefix are each
 * refused with one line and exit 1, and every database is byte for byte what it was before.
 */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { connect as connectTls } from "node:tls";
import { createReplayScenario } from "../../support/corpus.ts";
import { startFixtureServer } from "../../support/fixture-server.ts";
import { killStrayRuns, runWikistream, spawnTracked, waitFor } from "../../support/process.ts";
import { createTlsFiles, dumpAllDatabases, findFreePort, startRedis, waitForNewCheckpoint } from "../../support/redis.ts";
import { shareFixtureServer, shareRedis } from "../../support/shared.ts";

setDefaultTimeout(30_000);

const { stream, sinceMs, untilMs } = createReplayScenario({ cycles: 2, untilIntoLastCycleMs: 95_000 });
const server = shareFixtureServer({ events: stream.events });
const redis = shareRedis(["--databases", "4"]);

afterEach(killStrayRuns);

const replay = (redisUrl: string, prefix = "edge:", extra: string[] = []) => [
  "--url",
  server.url,
  "--redis-url",
  redisUrl,
  "--prefix",
  prefix,
  "--since",
  String(sinceMs),
  "--until",
  String(untilMs),
  ...extra,
];

/** Puts something of a user's in databases 0 and 3, so "nothing written" has something to keep. */
async function seedUserData(): Promise<void> {
  await redis.client.set("user:key", "mine");
  const other = redis.client.duplicate();
  await other.select(3);
  await other.hset("user:hash", { a: "1" });
  other.disconnect();
}

const lines = (text: string) => text.split("\n").filter((line) => line.trim() !== "");

describe("the database the URL names, or nothing", () => {
  test.each([4, 16])("/%p on a server with databases 0–3: exit 1, one line naming them, every database untouched", async (db) => {
    await seedUserData();
    const before = await dumpAllDatabases(redis);
    const result = await runWikistream(replay(`${redis.url}/${db}`));
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([`error: ${redis.url}/${db}: the server has databases 0–3; pick one of those in --redis-url (nothing was written)`]);
    expect(await dumpAllDatabases(redis)).toEqual(before);
  });

  test("/3 writes into database 3 and nowhere else", async () => {
    await seedUserData();
    const before = await dumpAllDatabases(redis);
    const result = await runWikistream(replay(`${redis.url}/3`, "db3:"));
    expect(result.code).toBe(0);
    const after = await dumpAllDatabases(redis);
    const changed = Object.keys(after).filter((key) => after[key] !== before[key]);
    expect(changed.length).toBeGreaterThan(10);
    // Keys are "db/hex(name)": every new or changed key is in database 3, under the prefix.
    for (const key of changed) expect(key.startsWith(`3/${Buffer.from("db3:").toString("hex")}`)).toBe(true);
  });

  test("a reconnect to a server that lost the database stops the run with one line; nothing lands in database 0", async () => {
    const own = await startRedis(["--databases", "4"]);
    try {
      const paced = startFixtureServer({ events: stream.events, ratePerSec: 1500, chunkEvents: 25 });
      try {
        const run = spawnTracked(["--url", paced.url, "--redis-url", `${own.url}/3`, "--prefix", "re:", "--since", String(sinceMs), "--until", String(untilMs)]);
        const inDb3 = own.client.duplicate();
        await inDb3.select(3);
        await waitFor(async () => (await inDb3.exists("re:checkpoint")) === 1, 15_000, "a first write into database 3");
        inDb3.disconnect();
        await own.kill();
        await own.start(["--databases", "2"]);
        const result = await run.done;
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`${own.url}/3: the server has no database 3 any more; stopping`);
        expect(await own.client.keys("*")).toEqual([]);
      } finally {
        await paced.stop();
      }
    } finally {
      await own.stop();
    }
  });
});

describe("something other than Redis at the address", () => {
  test("an HTTP server: exit 1, one line saying what answered, no ioredis words", async () => {
    const http = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("hello") });
    try {
      const result = await runWikistream(replay(`redis://127.0.0.1:${http.port}`));
      expect(result.code).toBe(1);
      expect(lines(result.stderr)).toHaveLength(1);
      expect(result.stderr).toContain(`error: 127.0.0.1:${http.port} does not answer like Redis (it sent "HTTP/1.1 400 Bad Request`);
      expect(result.stderr).not.toMatch(/Protocol error|Please report|ioredis/);
    } finally {
      await http.stop(true);
    }
  });

  test("a TLS server on a plain redis:// URL: exit 1, one line naming TLS and the rediss:// URL to use", async () => {
    const tls = createTlsFiles();
    const tlsRedis = await startRedis([], { tls });
    try {
      // Sanity of the test itself: it does speak TLS there.
      const socket = connectTls({ host: "127.0.0.1", port: tlsRedis.port, rejectUnauthorized: false });
      await new Promise<void>((resolve, reject) => socket.once("secureConnect", () => resolve()).once("error", reject));
      socket.destroy();
      const result = await runWikistream(replay(`redis://127.0.0.1:${tlsRedis.port}`));
      expect(result.code).toBe(1);
      expect(lines(result.stderr)).toEqual([
        `error: 127.0.0.1:${tlsRedis.port} speaks TLS: use rediss://127.0.0.1:${tlsRedis.port} in --redis-url (with --redis-ca FILE when its certificate is not from a public CA)`,
      ]);
    } finally {
      await tlsRedis.stop();
    }
  });

  test("a port that accepts and says nothing: exit 1 after the connect timeout, one line", async () => {
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const started = Date.now();
      const result = await runWikistream(replay(`redis://127.0.0.1:${silent.port}`));
      expect(result.code).toBe(1);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(lines(result.stderr)).toEqual([`error: 127.0.0.1:${silent.port} accepted a connection but did not answer PING within 5s: is it a Redis? check --redis-url`]);
    } finally {
      silent.stop(true);
    }
  });

  test("nobody listening is not refused: it waits for Redis, as before", async () => {
    const port = await findFreePort();
    const run = spawnTracked(replay(`redis://127.0.0.1:${port}`));
    await waitFor(() => run.stderr().includes("waiting for Redis"), 10_000, "the waiting line");
    expect(run.stderr()).toContain(`waiting for Redis at redis://127.0.0.1:${port} (connection refused)`);
    expect(run.proc.exitCode).toBeNull();
    run.proc.kill("SIGTERM");
    expect((await run.done).code).toBe(0);
  });
});

describe("keys of another type under the prefix", () => {
  test.each([
    ["epochs", (prefix: string) => redis.client.set(`${prefix}epochs`, "x"), "a string"],
    ["a window in range", (prefix: string) => redis.client.lpush(`${prefix}${Math.floor(sinceMs / 1000) + 60}`, "x"), "a list"],
    ["checkpoint", (prefix: string) => redis.client.set(`${prefix}checkpoint`, "x"), "a string"],
    ["lock", (prefix: string) => redis.client.hset(`${prefix}lock`, { a: "b" }), "a hash"],
    ["layout", (prefix: string) => redis.client.sadd(`${prefix}layout`, "x"), "a set"],
  ])("%s: refused before the first write, exit 1 naming the key and its type, every database untouched", async (name, plant, type) => {
    const prefix = `foreign-${name.replace(/\W/g, "")}:`;
    await plant(prefix);
    const before = await dumpAllDatabases(redis);
    const result = await runWikistream(replay(redis.url, prefix));
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(new RegExp(`^error: Redis key '${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\w+' holds ${type}, which wikistream did not write: delete it or choose another --prefix \\(nothing was written\\)\\n$`));
    expect(await dumpAllDatabases(redis)).toEqual(before);
  });

  test("mid-run, a window key of another type stops the run (exit 1, naming it) and no write is applied in part", async () => {
    const paced = startFixtureServer({ events: stream.events, ratePerSec: 1500, chunkEvents: 25 });
    const prefix = "midtype:";
    try {
      const run = spawnTracked(replay(redis.url, prefix).map((arg) => (arg === server.url ? paced.url : arg)));
      await waitForNewCheckpoint(redis, prefix, null);
      // A window well ahead of what is written yet, planted before the run reaches it.
      const written = (await redis.client.zrange(`${prefix}epochs`, -1, -1)).map(Number)[0] ?? 0;
      const foreign = written + 120;
      await redis.client.set(`${prefix}${foreign}`, "someone else's");
      const result = await run.done;
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`error: Redis key '${prefix}${foreign}' holds a string, which wikistream did not write`);
      expect(await redis.client.get(`${prefix}${foreign}`)).toBe("someone else's");
      // The refused write took nothing with it: no later window, no epochs entry, no checkpoint past it.
      const epochs = (await redis.client.zrange(`${prefix}epochs`, 0, -1)).map(Number);
      expect(epochs.every((start) => start < foreign)).toBe(true);
      const keys = await redis.client.keys(`${prefix}1*`);
      expect(keys.map((key) => Number(key.slice(prefix.length))).filter((start) => start > foreign)).toEqual([]);
      expect(Number(await redis.client.hget(`${prefix}checkpoint`, "final_ms"))).toBeLessThanOrEqual(foreign * 1000);
    } finally {
      await paced.stop();
    }
  });
});
