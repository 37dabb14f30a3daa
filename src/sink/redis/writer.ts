/**
 * One write: every window of a batch whole (DEL + ZADD), its `epochs` entry, the `incomplete`
 * entries, `epoch_index` and the checkpoint, in one MULTI/EXEC, so a crash can never leave a
 * half-written window or a position that disagrees with the data.
 */
import type { Redis as RedisClient } from "ioredis";
import type { Checkpoint, WindowSnapshot } from "../../window/types.ts";
import { formatCheckpointFields } from "./checkpoint.ts";
import type { RedisKeys } from "./keys.ts";
import { lockLostError } from "./lock.ts";

// epoch_index only moves forward, whatever order writes land in.
const MAX_SCRIPT = `local cur = tonumber(redis.call('GET', KEYS[1]))
if cur == nil or cur < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`;

/** Thrown when our own lock refresh landed between WATCH and EXEC: nothing is wrong, write again. */
export const WATCH_CONFLICT = new Error("the lock key changed between WATCH and EXEC");

/** What one write carries. */
export interface WriteUnit {
  windows: WindowSnapshot[];
  incomplete: number[];
  checkpoint: Checkpoint | null;
}

/** Who writes: the keys, the lock's value and TTL. */
export interface WriterContext {
  keys: RedisKeys;
  prefix: string;
  lockText: string;
  lockTtlMs: number;
  now: () => number;
}

/** Sends one write unit; throws the real error (not EXECABORT) when Redis refuses it. */
export async function sendWrite(client: RedisClient, unit: WriteUnit, context: WriterContext): Promise<void> {
  const { keys } = context;
  // Write only while the lock is ours: after an outage longer than its TTL another instance
  // may hold it, and the refresh timer could notice too late. WATCH makes EXEC fail if the
  // lock changes between this check and the write.
  await client.watch(keys.lock);
  const holder = await client.get(keys.lock);
  if (holder !== null && holder !== context.lockText) {
    await client.unwatch();
    throw lockLostError(context.prefix);
  }
  const multi = client.multi();
  // The lock vanished (a Redis restart without persistence): take it back with this write.
  if (holder === null) multi.set(keys.lock, context.lockText, "PX", context.lockTtlMs);
  let newest = Number.NEGATIVE_INFINITY;
  for (const window of unit.windows) {
    const start = window.startMs / 1000;
    const key = keys.window(start);
    const args: (string | number)[] = [];
    for (const [name, count] of window.counts) args.push(count, name);
    multi.del(key);
    multi.zadd(key, ...args);
    multi.zadd(keys.epochs, start, String(start));
    if (start > newest) newest = start;
  }
  if (unit.incomplete.length > 0) multi.sadd(keys.incomplete, ...unit.incomplete.map((ms) => String(ms / 1000)));
  if (Number.isFinite(newest)) multi.eval(MAX_SCRIPT, 1, keys.epochIndex, newest);
  if (unit.checkpoint) multi.hset(keys.checkpoint, formatCheckpointFields(unit.checkpoint, context.now()));
  let results: Awaited<ReturnType<typeof multi.exec>>;
  try {
    results = await multi.exec();
  } catch (error) {
    // EXECABORT hides why Redis refused a queued command (OOM, READONLY, NOAUTH…): report that instead.
    const previous: unknown = typeof error === "object" && error !== null && "previousErrors" in error ? error.previousErrors : undefined;
    throw (Array.isArray(previous) ? (previous as unknown[]).find((e) => e instanceof Error) : undefined) ?? error;
  }
  if (results === null) throw WATCH_CONFLICT;
  for (const [error] of results) if (error) throw error;
}
