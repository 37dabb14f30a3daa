/**
 * One write: every view of every window of a batch whole (DEL + ZADD), its `epochs` entry, the
 * `incomplete` entries, `epoch_index`, the rollups and the checkpoint, in one script (see
 * write-script.ts) that first checks the database, the lock, the layout, the views and the type
 * of every key; so a crash can never leave a
 * half-written window, a position that disagrees with the data, or a write applied in part.
 */
import type { RedisClient } from "./client.ts";
import { WikistreamError } from "../../lib/error.ts";
import type { WriteUnit } from "../queue.ts";
import { formatCheckpointFields } from "./checkpoint.ts";
import { encodeFeedEntries } from "./feed.ts";
import { LAYOUT_VERSION, createViewKeys, planRollups, type RedisKeys, type RollupLevel } from "./keys.ts";
import { describeLayoutMismatch, describeViewsMismatch, describeWrongType } from "./layout.ts";
import { lockLostError } from "./lock.ts";
import { runScript } from "./commands.ts";
import { WRITE_ARGS, WRITE_SCRIPT, type WriteArg } from "./write-script.ts";

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
  /** The views written, by LIST, the main one first (keys.ts createViewKeys). */
  views: readonly string[];
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

/** KEYS being built: each key once, with its 1-based index (what the lists pass). */
class KeyList {
  readonly keys: string[] = [];
  private readonly index = new Map<string, number>();

  constructor(fixed: readonly string[]) {
    for (const key of fixed) this.indexOf(key);
  }

  /** The key's index in KEYS, added when new (a window of this write is also one its hour is rebuilt from). */
  indexOf(key: string): number {
    let at = this.index.get(key);
    if (at === undefined) {
      this.keys.push(key);
      at = this.keys.length;
      this.index.set(key, at);
    }
    return at;
  }
}

/** The named arguments ({@link WRITE_ARGS}) of one write, in their order. */
function encodeNamedArgs(unit: WriteUnit, context: WriterContext): (string | number)[] {
  const named: Record<WriteArg, string | number> = {
    db: context.db,
    lock: context.lockText,
    lock_ttl_ms: context.lockTtlMs,
    window_ms: context.windowMs,
    layout: LAYOUT_VERSION,
    now_ms: context.now(),
    seq: context.seq,
    retain_ms: context.retainMs,
    rollup_retain_ms: context.rollupRetainMs,
    final_ms: unit.checkpoint?.finalMs ?? "",
    views: context.views.join(";"),
  };
  return WRITE_ARGS.map((name) => named[name]);
}

/** The rollup plan's arguments (see WRITE_SCRIPT's read_rollups), its keys added to `keys`. */
function encodeRollups(starts: readonly number[], context: WriterContext, keys: KeyList): (string | number)[] {
  const plans = planRollups(starts, context);
  const args: (string | number)[] = [plans.length];
  for (const plan of plans) {
    args.push(plan.level.seconds, plan.step, keys.indexOf(plan.keys.epochs), keys.indexOf(plan.keys.incomplete), keys.indexOf(plan.baseEpochs), keys.indexOf(plan.baseIncomplete), plan.level.name, plan.periods.length);
    for (const period of plan.periods) {
      args.push(period.start);
      for (const sum of period.sums) args.push(keys.indexOf(sum.dest), sum.sources.length, ...sum.sources.map((key) => keys.indexOf(key)));
    }
  }
  return args;
}

/** The script's keys and arguments for one unit (see WRITE_SCRIPT for the order). */
export function encodeWrite(unit: WriteUnit, context: WriterContext): { keys: string[]; args: (string | number)[] } {
  const keys = new KeyList(context.keys.fixed);
  const views = context.views.map((view) => createViewKeys(context.prefix, context.views, view));
  const args = encodeNamedArgs(unit, context);
  args.push(unit.windows.length);
  for (const window of unit.windows) {
    const start = window.startMs / 1000;
    args.push(start);
    context.views.forEach((name, v) => {
      const counts = (v === 0 ? window.counts : window.views?.get(name)) ?? new Map<string, number>();
      args.push(keys.indexOf(views[v]?.window(start) ?? ""), counts.size);
      for (const [member, count] of counts) args.push(count, member);
    });
  }
  args.push(unit.incomplete.length, ...unit.incomplete.map((ms) => ms / 1000));
  const fields = unit.checkpoint ? Object.entries(formatCheckpointFields(unit.checkpoint, context.now())) : [];
  args.push(fields.length);
  for (const [field, value] of fields) args.push(field, value);
  args.push(...encodeRollups(unit.windows.map((window) => window.startMs / 1000), context, keys));
  // The feed's key last in KEYS, as FEED expects.
  if (context.feed) {
    args.push(...encodeFeedEntries(unit.windows));
    keys.keys.push(context.keys.feed);
  }
  return { keys: keys.keys, args };
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
  if (code === "views") throw describeViewsMismatch(context.prefix, (first ?? "").split(";"), context.views);
  if (code === "type") throw describeWrongType(first ?? "?", second ?? "?");
  if (code === "rollup") {
    throw new WikistreamError("usage", `prefix '${context.prefix}' holds windows of ${second ?? "?"}s, which do not make up its ${first ?? "?"} rollup: drop --rollup or use another --prefix`);
  }
  throw new WikistreamError("redis", `Redis answered the write with '${code}', which this version does not know: is another program using prefix '${context.prefix}'?`);
}
