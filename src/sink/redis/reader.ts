/**
 * Reading windows back from Redis, for `wikistream top` and `wikistream read`: never a write
 * (no lock, no script, no SELECT beyond the connection's own), so it works on a read-only
 * replica and beside a running writer. Each batch of windows is read in one MULTI, so a
 * window is never seen half-rewritten and its `incomplete` and `final` flags are those of the
 * same moment as its counts; on a Redis at maxmemory, which refuses every command queued in a
 * MULTI (reads too), the same reads go as a plain pipeline (see exec).
 */
import type { ChainableCommander } from "ioredis";
import { WikistreamError } from "../../lib/error.ts";
import type { WindowView } from "../../window/types.ts";
import type { RedisClient } from "./client.ts";
import { classifyRedisError, describeFatalRedisError, isExecAbortedForMemory } from "./errors.ts";
import { PRESET_VIEWS, createKeys, createRollupKeys, createViewKeys, type RedisKeys, type RollupLevel, type ViewKeys } from "./keys.ts";
import { closeReaderConnection, connectReader, type ReaderTarget } from "./reader-connection.ts";

/** Options of createWindowReader. */
export interface WindowReaderOptions extends ReaderTarget {
  /** Read this rollup level's periods (`--rollup`) instead of the windows. */
  rollup?: RollupLevel | undefined;
  /** Read this view (a --by LIST the prefix's layout records); the main view when absent. */
  view?: string | undefined;
}

/** The first and the newest window a prefix lists (Unix seconds). */
export interface WindowSpan {
  firstS: number;
  lastS: number;
  count: number;
}

/** Read-only access to the windows of one prefix. */
export interface WindowReader {
  /** The URL without its password, for messages. */
  readonly where: string;
  /** The view read (its LIST), and every view the prefix holds, the main one first. */
  readonly view: { name: string; views: readonly string[] };
  /**
   * The window length the prefix was written with (its layout, else its checkpoint); undefined
   * for an empty prefix. A rollup level's span when reading one.
   */
  windowMs(): Promise<number | undefined>;
  /**
   * The windows that start in [fromS, toS), oldest first, quiet ones with total 0: a batch at a
   * time, so that a month of windows is never held at once.
   */
  listWindowBatches(fromS: number, toS: number): AsyncGenerator<WindowView[]>;
  /** The `n` newest windows, oldest first. */
  latest(n: number): Promise<WindowView[]>;
  /** The first and newest windows listed; null when the prefix lists none. */
  span(): Promise<WindowSpan | null>;
  /**
   * True when a run has claimed the prefix (its layout, checkpoint or lock is there) but has
   * written no window yet: the first comes once the stream passes its end.
   */
  awaitsFirstWindow(): Promise<boolean>;
  /**
   * A text that changes with every write under the prefix (the newest window and the
   * checkpoint's write time): a rewrite of a window still open to late events moves no
   * `epoch_index`, but it does move this.
   */
  writeMark(): Promise<string>;
  close(): Promise<void>;
}

/** Windows read per MULTI: large enough for few round trips, small enough not to stall Redis. */
const BATCH_WINDOWS = 500;

/** Connects and selects the URL's database, or throws one line. */
export async function createWindowReader(options: WindowReaderOptions): Promise<WindowReader> {
  const { client, release, where } = await connectReader(options);
  try {
    const keys = createKeys(options.prefix);
    const views = await readViews(client, keys);
    const view = options.view ?? views[0] ?? PRESET_VIEWS[0] ?? "";
    if (!views.includes(view)) {
      const flags = views.map((name) => `--by ${name}`).join(" ");
      throw new WikistreamError("usage", `prefix '${options.prefix}' has no view by ${view}: its views are ${flags} (give --by one of them)`);
    }
    const shelf = createShelf(options.prefix, options.rollup, createViewKeys(options.prefix, views, view));
    return new RedisWindowReader(client, release, keys, shelf, options.prefix, where, { name: view, views });
  } catch (error) {
    client.disconnect();
    release();
    // The layout is the first key a reader reads: a missing permission shows here first.
    throw classifyRedisError(error) === "permission" ? (describeFatalRedisError(error, where, { prefix: options.prefix }) ?? error) : error;
  }
}

/** The views the prefix's layout records, the main one first; one made before --by holds server_name's. */
export async function readViews(client: RedisClient, keys: RedisKeys): Promise<string[]> {
  const held = await client.hget(keys.layout, "views");
  return held === null || held === "" ? [...PRESET_VIEWS] : held.split(";");
}

/**
 * Where the views of one resolution are: the windows, or a rollup level's periods. Both keep
 * the same shapes (a sorted set per span, one listing them all, a set of incomplete ones).
 */
interface Shelf {
  span(startSeconds: number): string;
  epochs: string;
  incomplete: string;
  /** A rollup's fixed span; undefined for windows, whose length the prefix says. */
  spanMs: number | undefined;
  /** The checkpoint field the writer keeps this shelf's retention in. */
  retainField: "retain_ms" | "rollup_retain_ms";
}

function createShelf(prefix: string, rollup: RollupLevel | undefined, view: ViewKeys): Shelf {
  if (rollup !== undefined) {
    const keys = createRollupKeys(prefix, rollup);
    return { span: (s) => view.period(rollup, s), epochs: keys.epochs, incomplete: keys.incomplete, spanMs: rollup.seconds * 1000, retainField: "rollup_retain_ms" };
  }
  const keys = createKeys(prefix);
  return { span: view.window, epochs: keys.epochs, incomplete: keys.incomplete, spanMs: undefined, retainField: "retain_ms" };
}

type ExecResult = [error: Error | null, result: unknown][] | null;
/** Queues reads on a MULTI or a pipeline alike. */
type ReadBatch = (batch: ChainableCommander) => ChainableCommander;

class RedisWindowReader implements WindowReader {
  private knownWindowMs: number | undefined;

  constructor(
    private readonly client: RedisClient,
    private readonly release: () => void,
    private readonly keys: RedisKeys,
    private readonly shelf: Shelf,
    private readonly prefix: string,
    readonly where: string,
    readonly view: { name: string; views: readonly string[] },
  ) {}

  /**
   * The replies of the reads `build` queues, in one MULTI, each checked (`names`: their keys, for
   * messages). A Redis at maxmemory refuses the MULTI, and every write too: then a pipeline does.
   */
  private async exec(build: ReadBatch, names: readonly string[]): Promise<unknown[]> {
    let results: ExecResult;
    try {
      results = await build(this.client.multi()).exec();
    } catch (error) {
      if (!isExecAbortedForMemory(error)) throw this.explain(error);
      results = await build(this.client.pipeline()).exec();
    }
    if (results === null) throw new WikistreamError("redis", `Redis at ${this.where} dropped a read transaction: try again`);
    return results.map(([error, value], i) => {
      if (error === null) return value;
      if (/^WRONGTYPE/.test(error.message)) {
        throw new WikistreamError("redis", `Redis key '${names[i] ?? "?"}' is of another type than wikistream writes there: is --prefix '${this.prefix}' right?`);
      }
      throw this.explain(error);
    });
  }

  /** A missing permission in words, with the prefix's keys to grant; anything else as it is (see describeReadError). */
  private explain(error: unknown): unknown {
    return classifyRedisError(error) === "permission" ? (describeFatalRedisError(error, this.where, { prefix: this.prefix }) ?? error) : error;
  }

  async windowMs(): Promise<number | undefined> {
    if (this.shelf.spanMs !== undefined) return this.shelf.spanMs;
    if (this.knownWindowMs !== undefined) return this.knownWindowMs;
    const [layout, checkpoint] = await this.exec((b) => b.hget(this.keys.layout, "window_ms").hget(this.keys.checkpoint, "window_ms"), [this.keys.layout, this.keys.checkpoint]);
    // A prefix from before the layout key existed (0.1.0) says it in its checkpoint only.
    const ms = [layout, checkpoint].map(Number).find((n) => Number.isSafeInteger(n) && n > 0);
    this.knownWindowMs = ms;
    return ms;
  }

  async *listWindowBatches(fromS: number, toS: number): AsyncGenerator<WindowView[]> {
    let from = String(fromS);
    while (toS > fromS) {
      const page: ReadBatch = (b) => b.zrangebyscore(this.shelf.epochs, from, `(${toS}`, "LIMIT", 0, BATCH_WINDOWS);
      const starts = ((await this.exec(page, [this.shelf.epochs]))[0] as string[]).map(Number);
      const last = starts[starts.length - 1];
      if (last === undefined) return;
      yield await this.readWindows(starts);
      if (starts.length < BATCH_WINDOWS) return;
      from = `(${last}`;
    }
  }

  async latest(n: number): Promise<WindowView[]> {
    if (n < 1) return [];
    const [starts] = await this.exec((b) => b.zrevrange(this.shelf.epochs, 0, n - 1), [this.shelf.epochs]);
    return this.readWindows((starts as string[]).map(Number).reverse());
  }

  async span(): Promise<WindowSpan | null> {
    const { epochs } = this.shelf;
    const [first, last, count] = await this.exec((b) => b.zrange(epochs, 0, 0).zrange(epochs, -1, -1).zcard(epochs), [epochs, epochs, epochs]);
    const firstS = Number((first as string[])[0]);
    const lastS = Number((last as string[])[0]);
    return Number.isFinite(firstS) && Number.isFinite(lastS) ? { firstS, lastS, count: Number(count) } : null;
  }

  async awaitsFirstWindow(): Promise<boolean> {
    const { layout, checkpoint, lock, epochIndex, epochs } = this.keys;
    // epoch_index never expires: with it gone too, no window was ever written (not one that expired).
    const replies = await this.exec((b) => b.exists(layout, checkpoint, lock).exists(epochIndex).zcard(epochs), [layout, epochIndex, epochs]);
    const [claimed, indexed, listed] = replies.map(Number);
    return (claimed ?? 0) > 0 && indexed === 0 && listed === 0;
  }

  async writeMark(): Promise<string> {
    const [index, updated] = await this.exec((b) => b.get(this.keys.epochIndex).hget(this.keys.checkpoint, "updated_ms"), [this.keys.epochIndex, this.keys.checkpoint]);
    return `${String(index)} ${String(updated)}`;
  }

  /** The windows of these starts, read in batches of one MULTI each. */
  private async readWindows(starts: readonly number[]): Promise<WindowView[]> {
    const valid = starts.filter((s) => Number.isSafeInteger(s));
    if (valid.length === 0) return [];
    const windowMs = await this.windowMs();
    if (windowMs === undefined) {
      throw new WikistreamError("redis", `prefix '${this.prefix}' lists windows but neither ${this.keys.layout} nor ${this.keys.checkpoint} says how long they are: is it a wikistream prefix?`);
    }
    const views: WindowView[] = [];
    for (let at = 0; at < valid.length; at += BATCH_WINDOWS) views.push(...(await this.readBatch(valid.slice(at, at + BATCH_WINDOWS), windowMs)));
    return views;
  }

  private async readBatch(starts: readonly number[], windowMs: number): Promise<WindowView[]> {
    const names: string[] = [];
    for (const start of starts) names.push(this.shelf.span(start), this.shelf.incomplete);
    names.push(this.keys.checkpoint, "TIME");
    const replies = await this.exec((batch) => {
      for (const start of starts) batch.zrange(this.shelf.span(start), 0, -1, "WITHSCORES").sismember(this.shelf.incomplete, start);
      // Written in the same script as the windows, so final_ms says which of these counts are
      // final (a rollup's period is final once its end is). The retention and Redis's clock tell
      // a window whose key expired from a quiet one.
      return batch.hmget(this.keys.checkpoint, "final_ms", this.shelf.retainField).time();
    }, names);
    const [finalText, retainText] = replies[replies.length - 2] as (string | null)[];
    const [seconds, micros] = (replies[replies.length - 1] as string[]).map(Number);
    const retainMs = Number(retainText);
    const expiredBefore = retainMs > 0 ? (seconds ?? 0) * 1000 + Math.floor((micros ?? 0) / 1000) - retainMs : Number.NEGATIVE_INFINITY;
    // No checkpoint: no run keeps books here, so nothing will change these windows. An empty
    // final_ms: none is final yet.
    const finalMs = finalText === null || finalText === undefined ? Number.POSITIVE_INFINITY : finalText === "" ? Number.NEGATIVE_INFINITY : Number(finalText);
    const views: WindowView[] = [];
    starts.forEach((start, i) => {
      const flat = replies[2 * i] as string[];
      const startMs = start * 1000;
      const endMs = startMs + windowMs;
      // Listed without a key: a quiet window, unless its key has expired (`--retain`) and no
      // write has trimmed `epochs` since (the writer stopped). Its counts are gone: not shown.
      if (flat.length === 0 && endMs <= expiredBefore) return;
      const counts = new Map<string, number>();
      let total = 0;
      for (let j = 0; j + 1 < flat.length; j += 2) {
        const count = Number(flat[j + 1]);
        counts.set(flat[j] ?? "", count);
        total += count;
      }
      views.push({ startMs, endMs, total, counts, final: endMs <= finalMs, incomplete: Number(replies[2 * i + 1]) === 1 });
    });
    return views;
  }

  async close(): Promise<void> {
    await closeReaderConnection(this.client, this.release);
  }
}
