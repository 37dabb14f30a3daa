import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCapture2021 } from "../../support/corpus.ts";
import { resolveBinary } from "../../support/process.ts";
import { shareFixtureServer, shareRedis } from "../../support/shared.ts";

setDefaultTimeout(60_000);

const redis = shareRedis();
const server = shareFixtureServer({ events: loadCapture2021() });
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "wikistream-smoke-"));
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
});

test("the freshly built binary, copied alone into an empty directory, writes a window into Redis", async () => {
  const binary = join(dir, "wikistream");
  copyFileSync(resolveBinary(), binary);
  expect(existsSync(join(dir, "node_modules"))).toBe(false);
  // Only what a user has: the file, a PATH without our project, an empty working directory.
  const proc = Bun.spawn(
    [binary, "--url", server.url, "--redis-url", redis.url, "--since", "2021-10-08T22:24:00Z", "--until", "2021-10-08T22:24:30Z", "--retain", "0"],
    { cwd: dir, env: { PATH: "/usr/bin:/bin", HOME: dir }, stdout: "pipe", stderr: "pipe" },
  );
  const code = await proc.exited;
  const stderr = await new Response(proc.stderr).text();
  expect(stderr).toContain("connected to");
  expect(code).toBe(0);
  // The default prefix keeps our keys apart from a user's own.
  expect(await redis.client.get("wikistream:epoch_index")).toBe("1633731840");
  const top = await redis.client.zrange("wikistream:1633731840", 0, 2, "REV", "WITHSCORES");
  expect(top.length).toBe(6);
  expect(Number(top[1])).toBeGreaterThan(10);
  expect(await redis.client.sismember("wikistream:incomplete", "1633731840")).toBe(0);
});
