/** The feed (--feed) as a test reads it, and what it must hold: an entry per window, equal to its sorted set. */
import type Redis from "ioredis";
import { waitFor } from "./process.ts";

/** One feed entry as XRANGE gives it: its ID and its fields. */
export interface Entry {
  id: string;
  fields: Record<string, string>;
}

/** Every entry of the feed `key`, oldest first. */
export async function readFeed(client: Redis, key: string): Promise<Entry[]> {
  const entries = await client.xrange(key, "-", "+");
  return entries.map(([id, flat]) => {
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] ?? ""] = flat[i + 1] ?? "";
    return { id, fields };
  });
}

/**
 * What the feed must hold for a prefix: an entry per window that `epochs` lists, oldest first,
 * each equal to its sorted set (quiet windows with total 0 and `{}`), read from Redis itself.
 * A window in `lateMarked` (the reference's windows a late event marks incomplete) may say
 * `incomplete` 0 in the feed: its entry is written when it goes final, and the late event may
 * come in that write or after it (then only `{prefix}incomplete` has the mark; see the README).
 */
export async function listExpectedFeed(client: Redis, prefix: string, windowMs: number, lateMarked: ReadonlySet<number> = new Set(), feed: readonly Entry[] = []): Promise<Entry[]> {
  const held = new Map(feed.map((e) => [e.id, e.fields.incomplete]));
  const starts = (await client.zrange(`${prefix}epochs`, 0, -1)).map(Number);
  const entries: Entry[] = [];
  for (const start of starts) {
    const flat = await client.zrange(`${prefix}${start}`, 0, -1, "WITHSCORES");
    const pairs: [string, number][] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i] ?? "", Number(flat[i + 1])]);
    // Busiest first, then by name: the order wikistream prints counts in everywhere.
    pairs.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const total = pairs.reduce((sum, [, n]) => sum + n, 0);
    const id = `${start * 1000}-0`;
    const marked = String(await client.sismember(`${prefix}incomplete`, start));
    const incomplete = marked === "1" && lateMarked.has(start) && held.get(id) === "0" ? "0" : marked;
    entries.push({
      id,
      fields: { start: String(start), end: String(start + windowMs / 1000), total: String(total), incomplete, counts: JSON.stringify(Object.fromEntries(pairs)) },
    });
  }
  return entries;
}

/**
 * Leaves `count` entries of `key` pending for `consumer` of `group`, as a reader killed between
 * its XREADGROUP and its ack leaves them: given to it, neither handled nor acked. Takes the next
 * entries the group never handed out, waiting for them to be written.
 */
export async function leavePending(client: Redis, key: string, group: string, consumer: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  await waitFor(
    async () => {
      const reply = (await client.xreadgroup("GROUP", group, consumer, "COUNT", count - ids.length, "STREAMS", key, ">")) as [string, [string, unknown][]][] | null;
      for (const [id] of reply?.[0]?.[1] ?? []) ids.push(id);
      return ids.length >= count;
    },
    30_000,
    `${count} entries of ${key} the group ${group} never handed out`,
  );
  return ids;
}
