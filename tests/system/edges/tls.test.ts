/**
 * TLS mismatches named (issue 17, item 3): `rediss://` to a plain Redis and `redis://` to a
 * TLS-only one end on their own (no wait for a Redis that is there all along) with one line
 * naming TLS and the fix, for the counting run, `top` and `read`; `healthcheck` pointed at an
 * HTTPS server says so. Every case runs the compiled binary against real redis-servers.
 */
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { createReplayScenario } from "../../support/corpus.ts";
import { killStrayRuns, runWikistream, spawnTracked, waitFor } from "../../support/process.ts";
import { createTlsFiles, findFreePort, startRedis, type TestRedis, type TlsFiles } from "../../support/redis.ts";
import { shareFixtureServer, shareRedis } from "../../support/shared.ts";

setDefaultTimeout(60_000);

const { stream, sinceMs, untilMs } = createReplayScenario({ cycles: 1, untilIntoLastCycleMs: 95_000 });
const server = shareFixtureServer({ events: stream.events });
const plain = shareRedis();
let files: TlsFiles;
let secure: TestRedis;

beforeAll(async () => {
  files = createTlsFiles();
  secure = await startRedis([], { tls: files });
});

afterEach(killStrayRuns);

afterAll(async () => {
  await secure.stop();
  rmSync(files.dir, { recursive: true, force: true });
});

const lines = (text: string) => text.split("\n").filter((line) => line.trim() !== "");

/** The three commands that connect to Redis, each given `url`. */
const commands: [name: string, args: (url: string) => string[]][] = [
  ["the counting run", (url) => ["--url", server.url, "--redis-url", url, "--prefix", "tls:", "--since", String(sinceMs), "--until", String(untilMs)]],
  ["top", (url) => ["top", "--redis-url", url, "--prefix", "tls:"]],
  ["read", (url) => ["read", "--redis-url", url, "--prefix", "tls:", "--from", "0"]],
];

describe("rediss:// to a Redis that speaks plain RESP", () => {
  test.each(commands)("%s: exit 1 on its own, one line naming TLS and redis:// as the fix", async (_, args) => {
    const url = plain.url.replace("redis://", "rediss://");
    // A kill at the time-out would be exit 137 (or null): exit 1 says it ended by itself.
    const result = await runWikistream(args(url), { timeoutMs: 40_000 });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([
      `error: 127.0.0.1:${plain.port} answers without TLS, so rediss:// cannot work: use redis://127.0.0.1:${plain.port} in --redis-url (or turn TLS on in that server)`,
    ]);
    expect(await plain.client.keys("tls:*")).toEqual([]);
  });
});

test("rediss:// to a plain Redis with --listen (as the container image runs): the same one line, none from the live page's reader", async () => {
  const url = plain.url.replace("redis://", "rediss://");
  const result = await runWikistream([...(commands[0]?.[1](url) ?? []), "--listen", "127.0.0.1:0"], { timeoutMs: 40_000 });
  expect(result.code).toBe(1);
  expect(lines(result.stderr).filter((line) => !line.startsWith("serving the live page"))).toEqual([
    `error: 127.0.0.1:${plain.port} answers without TLS, so rediss:// cannot work: use redis://127.0.0.1:${plain.port} in --redis-url (or turn TLS on in that server)`,
  ]);
});

test("rediss:// to an address where a plain Redis comes up only after the start: the counting run waits, then ends with the same line", async () => {
  const port = await findFreePort();
  const run = spawnTracked(commands[0]?.[1](`rediss://127.0.0.1:${port}`) ?? []);
  await waitFor(() => run.stderr().includes("waiting for Redis"), 20_000, "the waiting line");
  const late = await startRedis([], { port });
  try {
    const result = await run.done;
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([
      `warn: waiting for Redis at rediss://127.0.0.1:${port} (connection refused)`,
      `error: 127.0.0.1:${port} answers without TLS, so rediss:// cannot work: use redis://127.0.0.1:${port} in --redis-url (or turn TLS on in that server)`,
    ]);
  } finally {
    await late.stop();
  }
});

describe("redis:// to a Redis that speaks only TLS", () => {
  test.each(commands)("%s: exit 1, one line naming TLS and rediss:// as the fix", async (_, args) => {
    const result = await runWikistream(args(`redis://127.0.0.1:${secure.port}`), { timeoutMs: 40_000 });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([
      `error: 127.0.0.1:${secure.port} speaks TLS: use rediss://127.0.0.1:${secure.port} in --redis-url (with --redis-ca FILE when its certificate is not from a public CA)`,
    ]);
    expect(await secure.client.keys("tls:*")).toEqual([]);
  });

  test("a password in the URL is kept out of the fix it suggests", async () => {
    const result = await runWikistream(["top", "--prefix", "tls:"], { env: { REDIS_URL: `redis://user:Secr3t@127.0.0.1:${secure.port}/2` }, timeoutMs: 40_000 });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([
      `error: 127.0.0.1:${secure.port} speaks TLS: use rediss://user:***@127.0.0.1:${secure.port}/2 in --redis-url (with --redis-ca FILE when its certificate is not from a public CA)`,
    ]);
  });
});

describe("healthcheck at an address that speaks TLS", () => {
  test("an HTTPS server where wikistream's plain-HTTP --listen was expected: one line naming TLS, exit 1", async () => {
    const https = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      tls: { cert: readFileSync(files.cert, "utf8"), key: readFileSync(files.key, "utf8") },
      fetch: () => new Response("ok"),
    });
    try {
      const result = await runWikistream(["healthcheck", "--listen", `127.0.0.1:${https.port}`], { timeoutMs: 40_000 });
      expect(result.code).toBe(1);
      expect(lines(result.stderr)).toEqual([
        `error: http://127.0.0.1:${https.port}/healthz speaks TLS (HTTPS), but wikistream's --listen serves plain HTTP: is another server on that port? check --listen`,
      ]);
    } finally {
      await https.stop(true);
    }
  });
});
