/**
 * One write: every window of a batch whole (DEL + ZADD), its `epochs` entry, the `incomplete`
 * entries, `epoch_index` and the checkpoint, in one script (see scripts.ts) that first checks
 * the database, the lock, the layout and the type of every key; so a crash can never leave a
 * half-written window, a position that disagrees with the data, or a write applied in part.
 */
import type { RedisClient } from "./client.ts";
import { WikistreamError } from "../../lib/error.ts";
import type { WriteUnit } from "../queue.ts";
import { formatCheckpointFields } from "./checkpoint.ts";
import { encodeFeedEntries } from "./feed.ts";
import { LAYOUT_VERSION, createRollupKeys, type RedisKeys, type RollupLevel } from "./keys.ts";
import { describeLayoutMismatch, describeWrongType } from "./layout.ts";
import { lockLostError } from "./lock.ts";
import { WRITE_SCRIPT, runScript } from "./scripts.ts";

export type { WriteUnit };

/** Who writes and where. */
export interface WriterContext {
  keys: RedisKeys;
  prefix: string;
  /** The database to select, or "" where there is only one (Cluster). */
  db: string;
  lockText: string;
  lockTtlMs: number;
  windowMs: number;
  /** The write sequence number this writer last saw in the checkpoint ("" for none). */
  seq: string;
  /** How long window keys live after their end, in event time (0: for ever). */
  retainMs: number;
  /** Rollup levels, smallest first (see keys.ts ROLLUP_LEVELS), and how long their keys live. */
  rollups: readonly RollupLevel[];
  rollupRetainMs: number;
  /** Append each final window to the feed (--feed). */
  feed: boolean;
  /** The time the write carries (its checkpoint's updated_ms): one value for the whole write. */
  now: () => number;
}

/** What one write did: the sequence number it left, and what it did not append to the feed. */
export interface WriteResult {
  kind: "ok";
  seq: string;
  /** Final windows of this write that the feed already held (a rewrite): not appended again. */
  feedAgain: number;
  /** Of those, how many the feed holds with other counts than this write's. */
  feedDiffer: number;
  /** Final windows below the feed's newest entry that it does not hold: a Stream only grows. */
  feedBehind: number;
}

/**
 * Every key the rollups of this write touch, as WRITE_SCRIPT's plan_rollups names them: each
 * level's epochs and incomplete sets, and per period touched its sum and every key it is
 * rebuilt from (an hour's windows, quiet and future ones too; a day's hours). Declared in KEYS
 * so that Redis checks them before the script runs (a Cluster slot on the move included).
 */
export function listRollupKeys(starts: readonly number[], context: Pick<WriterContext, "keys" | "prefix" | "windowMs" | "rollups">): string[] {
  const keys: string[] = [];
  let periods = [...new Set(starts)];
  let step = context.windowMs / 1000;
  let source = context.keys.window;
  for (const level of context.rollups) {
    const rollup = createRollupKeys(context.prefix, level);
    keys.push(rollup.epochs, rollup.incomplete);
    periods = [...new Set(periods.map((start) => Math.floor(start / level.seconds) * level.seconds))];
    for (const period of periods) {
      keys.push(rollup.period(period));
      for (let s = period; s <= period + level.seconds - step; s += step) keys.push(source(s));
    }
    step = level.seconds;
    source = rollup.period;
  }
  return keys;
}

/** The script's arguments for one unit (see WRITE_SCRIPT for the order). */
export function encodeWrite(unit: WriteUnit, context: WriterContext): { keys: string[]; args: (string | number)[] } {
  const keys = [...context.keys.fixed];
  const rollups = context.rollups.map((level) => `${level.name}:${level.seconds}`).join(",");
  const finalMs = unit.checkpoint?.finalMs ?? "";
  const args: (string | number)[] = [context.db, context.lockText, context.lockTtlMs, context.windowMs, LAYOUT_VERSION, context.now(), context.seq];
  args.push(context.retainMs, rollups, context.rollupRetainMs, context.prefix, finalMs, unit.windows.length);
  for (const window of unit.windows) {
    const start = window.startMs / 1000;
    keys.push(context.keys.window(start));
    args.push(start, window.counts.size);
    for (const [name, count] of window.counts) args.push(count, name);
  }
  // Each key once: a window of this write is also one its hour is rebuilt from, and the script
  // checks the type of every key it is given.
  const named = new Set(keys);
  for (const key of listRollupKeys(unit.windows.map((window) => window.startMs / 1000), context)) {
    if (!named.has(key)) keys.push(key);
    named.add(key);
  }
  args.push(unit.incomplete.length, ...unit.incomplete.map((ms) => ms / 1000));
  const fields = unit.checkpoint ? Object.entries(formatCheckpointFields(unit.checkpoint, context.now())) : [];
  args.push(fields.length);
  for (const [field, value] of fields) args.push(field, value);
  // Without --feed, today's arguments and keys exactly.
  if (context.feed) {
    args.push(...encodeFeedEntries(unit.windows));
    keys.push(context.keys.feed);
  }
  return { keys, args };
}

/** What the answer to a write says: it landed, with the checkpoint's new sequence number, or it was refused because the checkpoint is not the one this writer left. */
export type WriteOutcome = WriteResult | { kind: "stale"; found: string; foundUpdatedMs: string };

/**
 * Sends one write unit. Resolves with what it left in the checkpoint and what the feed did not
 * take, or with what the checkpoint held instead of the sequence number this writer left
 * (verdict.ts says what that means). Throws a WikistreamError when the script refused the write
 * for another reason, the Redis error when Redis did.
 */
export async function sendWrite(client: RedisClient, unit: WriteUnit, context: WriterContext): Promise<WriteOutcome> {
  const { keys, args } = encodeWrite(unit, context);
  const reply = await runScript(client, WRITE_SCRIPT, keys, args);
  const [code, first, second, third, fourth] = Array.isArray(reply) ? (reply as unknown[]).map(String) : [String(reply)];
  if (code === "ok") return { kind: "ok", seq: first ?? "", feedAgain: Number(second ?? 0), feedDiffer: Number(third ?? 0), feedBehind: Number(fourth ?? 0) };
  if (code === "stale") return { kind: "stale", found: first ?? "", foundUpdatedMs: second ?? "" };
  if (code === "lock") throw lockLostError(context.prefix);
  if (code === "layout") throw describeLayoutMismatch(context.prefix, Number(first), context.windowMs);
  if (code === "type") throw describeWrongType(first ?? "?", second ?? "?");
  if (code === "rollup") {
    throw new WikistreamError("usage", `prefix '${context.prefix}' holds windows of ${second ?? "?"}s, which do not make up its ${first ?? "?"} rollup: drop --rollup or use another --prefix`);
  }
  throw new WikistreamError("redis", `Redis answered the write with '${code}', which this version does not know: is another program using prefix '${context.prefix}'?`);
}
