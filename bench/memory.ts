/**
 * `bun bench/memory.ts`: how much Redis memory one day of windows takes, for the README's
 * retention table. Replays a simulated day (real-shaped events cycled from the fixture at
 * --rate events per second of event time, 50 by default: today's recentchange volume is of that
 * order) through dist/wikistream with --rollup 1h,1d into a fresh redis-server, then reads
 * INFO memory and MEMORY USAGE of every key, by kind.
 *
 *   bun bench/memory.ts [--rate 50] [--hours 24] [--wikis 330] [--listpack 128]
 *
 * Server names are drawn from --wikis synthetic wikis with a Zipf distribution (a few busy,
 * most quiet), which gives about as many wikis a window as the real stream has (~300).
 */
import { killChildren, spawnChild } from "./child.ts";
import { startFeed } from "./feed.ts";
import { startRedis } from "./redis.ts";
import { BINARY } from "./scenario.ts";
import { START_MS } from "./stream.ts";

function readFlag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const value = i === -1 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number`);
  return value;
}

/** Sums MEMORY USAGE over the keys of each kind: windows, hourly and daily rollups, the rest. */
async function measureKeys(client: Awaited<ReturnType<typeof startRedis>>["client"], prefix: string) {
  const kinds = { windows: 0, "1h": 0, "1d": 0, bookkeeping: 0 };
  const counts = { windows: 0, "1h": 0, "1d": 0, bookkeeping: 0 };
  let members = 0;
  for (const key of await client.keys(`${prefix}*`)) {
    const bytes = Number(await client.memory("USAGE", key, "SAMPLES", "0"));
    const rest = key.slice(prefix.length);
    const kind = /^\d+$/.test(rest) ? "windows" : /^1h:\d+$/.test(rest) ? "1h" : /^1d:\d+$/.test(rest) ? "1d" : "bookkeeping";
    kinds[kind] += bytes;
    counts[kind]++;
    if (kind === "windows") members += await client.zcard(key);
  }
  return { kinds, counts, members };
}

async function main(): Promise<void> {
  const rate = readFlag("--rate", 50);
  const hours = readFlag("--hours", 24);
  const events = Math.round(hours * 3600 * rate) + 200 * rate;
  const redis = await startRedis();
  // --listpack N: Redis keeps sorted sets of up to N members compact (default 128; real windows have ~300).
  const listpack = readFlag("--listpack", 128);
  await redis.client.config("SET", "zset-max-listpack-entries", String(listpack));
  const wikis = readFlag("--wikis", 330);
  const feed = await startFeed(["--mode", "generate", "--events", String(events), "--rate", String(rate), "--wikis", String(wikis)]);
  try {
    const before = await readUsedMemory(redis.client);
    const until = new Date(START_MS + hours * 3600_000).toISOString();
    const args = [BINARY, "--url", feed.url, "--redis-url", redis.url, "--prefix", "mem:", "--since", new Date(START_MS).toISOString(), "--until", until];
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", WIKISTREAM_RETAIN: "0", WIKISTREAM_RETAIN_ROLLUP: "0", WIKISTREAM_ROLLUP: "1h,1d" };
    process.stderr.write(`memory: replaying ${hours} h at ${rate} events/s (${events} events)…\n`);
    const result = await spawnChild(args, { env, measurePeak: false }).done;
    if (result.code !== 0) throw new Error(`dist/wikistream failed:\n${result.stderr.slice(-1500)}`);
    const after = await readUsedMemory(redis.client);
    const { kinds, counts, members } = await measureKeys(redis.client, "mem:");
    const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
    const perDay = (bytes: number) => (bytes * 24) / hours;
    const lines = [
      `| what (zset-max-listpack-entries ${listpack}) | keys | Redis memory per day (${rate} events/s) |`,
      "| --- | --- | --- |",
      `| windows (${counts.windows}, ${(members / Math.max(1, counts.windows)).toFixed(0)} wikis each on average) | ${counts.windows} | ${mb(perDay(kinds.windows))} |`,
      `| hourly rollups | ${counts["1h"]} | ${mb(perDay(kinds["1h"]))} |`,
      `| daily rollups | ${counts["1d"]} | ${mb(perDay(kinds["1d"]))} |`,
      `| bookkeeping (epochs, checkpoint, …) | ${counts.bookkeeping} | ${mb(perDay(kinds.bookkeeping))} |`,
      `| INFO used_memory grew by | | ${mb(perDay(after - before))} |`,
      "",
      `Windows kept ${"30d"} (the default --retain): ${mb(30 * perDay(kinds.windows))}; hourly rollups for 400d (the default --retain-rollup): ${mb(400 * perDay(kinds["1h"]))}; daily rollups for 400d: ${mb(400 * perDay(kinds["1d"]))}.`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await feed.stop();
    await redis.stop();
  }
}

async function readUsedMemory(client: Awaited<ReturnType<typeof startRedis>>["client"]): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await client.info("memory"))?.[1]);
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    killChildren();
    process.stderr.write(`memory: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
