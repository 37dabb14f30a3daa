/**
 * Reading the feed (`wikistream tail`): XREAD from an ID, or XREADGROUP as a member of a consumer
 * group with XACK. Never writes a window; a consumer group's own state (XGROUP CREATE, XACK) is
 * the only thing it changes, and only with --group.
 */
import { WikistreamError } from "../../lib/error.ts";
import type { WindowView } from "../../window/types.ts";
import type { RedisClient } from "./client.ts";
import { parseFeedEntry } from "./feed.ts";
import { createKeys, type RedisKeys } from "./keys.ts";
import { readViews } from "./reader.ts";
import { closeReaderConnection, connectReader, type ReaderTarget } from "./reader-connection.ts";

/** One entry read: its ID, and the window, or a text saying why it is not one. */
export interface FeedEntry {
  id: string;
  window: WindowView | string;
}

/** What a prefix holds: a feed, or not and how many final windows. */
export interface FeedState {
  feed: boolean;
  /** Windows already final (0 with a feed): a run with --feed made their entries with them. */
  finalWindows: number;
}

/** Read access to the feed of one prefix. */
export interface FeedReader {
  /** The URL without its password, for messages. */
  readonly where: string;
  /** The feed's key. */
  readonly key: string;
  /** Whether the prefix has a feed; throws one line when the key holds something else. */
  lookUp(): Promise<FeedState>;
  /** The ID of the newest entry, "0-0" for an empty feed. */
  newestId(): Promise<string>;
  /** Entries after `afterId`, oldest first, waiting up to `blockMs` for one. */
  read(afterId: string, blockMs: number): Promise<FeedEntry[]>;
  /** Makes a consumer group that gets the entries after `startId`; false when it existed already. */
  createGroup(group: string, startId: string): Promise<boolean>;
  /** As `group`'s `consumer`: its pending entries (`id` "0"), or new ones (`id` ">", waiting up to `blockMs`). */
  readGroup(group: string, consumer: string, id: string, blockMs: number): Promise<FeedEntry[]>;
  ack(group: string, ids: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** Entries read at most per round trip. */
const READ_COUNT = 100;

type StreamReply = [key: string, entries: [id: string, fields: string[] | null][]][] | null;

function toEntries(reply: StreamReply, views: readonly string[]): FeedEntry[] {
  const entries = reply?.[0]?.[1] ?? [];
  return entries.map(([id, fields]) => ({ id, window: parseFeedEntry(id, fields, views) }));
}

/** Connects and selects the URL's database, or throws one line; `signal` disconnects (a blocked read ends). */
export async function createFeedReader(options: ReaderTarget, signal: AbortSignal): Promise<FeedReader> {
  const { client, release, where } = await connectReader(options);
  const reader = new RedisFeedReader(client, release, where, options.prefix);
  signal.addEventListener("abort", () => client.disconnect(), { once: true });
  return reader;
}

class RedisFeedReader implements FeedReader {
  readonly key: string;
  private readonly keys: RedisKeys;
  /** The prefix's views, read with the first entries (the layout exists once the feed does). */
  private views: string[] | undefined;

  constructor(
    private readonly client: RedisClient,
    private readonly release: () => void,
    readonly where: string,
    private readonly prefix: string,
  ) {
    this.keys = createKeys(prefix);
    this.key = this.keys.feed;
  }

  private async toWindows(reply: StreamReply): Promise<FeedEntry[]> {
    if (reply === null) return [];
    this.views ??= await readViews(this.client, this.keys);
    return toEntries(reply, this.views);
  }

  async lookUp(): Promise<FeedState> {
    const type = await this.client.type(this.key);
    if (type === "stream") return { feed: true, finalWindows: 0 };
    if (type !== "none") throw new WikistreamError("redis", `Redis key '${this.key}' holds a ${type}, not the feed wikistream writes there: is --prefix '${this.prefix}' right?`);
    return { feed: false, finalWindows: await this.countFinalWindows().catch(() => 0) };
  }

  /**
   * The windows `epochs` lists that the checkpoint says are final (they end at or before its
   * `final_ms`). Not every window listed: a run writes each window once it is due, long before it
   * is final (`--lateness` later), and with --feed its first final window makes the feed.
   */
  private async countFinalWindows(): Promise<number> {
    const [finalMs, windowMs] = (await this.client.hmget(this.keys.checkpoint, "final_ms", "window_ms")).map(Number);
    if (finalMs === undefined || windowMs === undefined || !(finalMs > 0 && windowMs > 0)) return 0;
    return await this.client.zcount(this.keys.epochs, "-inf", (finalMs - windowMs) / 1000);
  }

  async newestId(): Promise<string> {
    const newest = await this.client.xrevrange(this.key, "+", "-", "COUNT", 1);
    return newest[0]?.[0] ?? "0-0";
  }

  async read(afterId: string, blockMs: number): Promise<FeedEntry[]> {
    return await this.toWindows((await this.client.xread("COUNT", READ_COUNT, "BLOCK", blockMs, "STREAMS", this.key, afterId)) as StreamReply);
  }

  async createGroup(group: string, startId: string): Promise<boolean> {
    try {
      await this.client.xgroup("CREATE", this.key, group, startId);
      return true;
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("BUSYGROUP")) return false;
      throw error;
    }
  }

  async readGroup(group: string, consumer: string, id: string, blockMs: number): Promise<FeedEntry[]> {
    // Pending entries are answered at once: BLOCK only applies to new ones.
    const reply = id === ">"
      ? await this.client.xreadgroup("GROUP", group, consumer, "COUNT", READ_COUNT, "BLOCK", blockMs, "STREAMS", this.key, id)
      : await this.client.xreadgroup("GROUP", group, consumer, "COUNT", READ_COUNT, "STREAMS", this.key, id);
    return await this.toWindows(reply as StreamReply);
  }

  async ack(group: string, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.client.xack(this.key, group, ...ids);
  }

  async close(): Promise<void> {
    await closeReaderConnection(this.client, this.release);
  }
}
