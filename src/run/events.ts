/**
 * The hot path: one event from the source → a counted event in a window, or a counted skip.
 * Runs synchronously for every event, so it allocates as little as it can.
 */
import { createEventFields, decodeTextField, extractFieldsLatin1 } from "../event/fields.ts";
import { isAccepted, isValidServerName, resolveEventTime, type EventFilter, type SkipReason } from "../event/classify.ts";
import { formatDuration } from "../lib/duration.ts";
import { decodeLatin1 } from "../lib/latin1.ts";
import type { Logger } from "../lib/log.ts";
import { detachString } from "../window/align.ts";
import type { Windower } from "../window/windower.ts";
import type { RunStats } from "./stats.ts";

/** Printable ASCII: a server_name read as Latin-1 that matches is exactly its UTF-8 text. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** Distinct server_names remembered (there are about a thousand wikis): a bound against junk names. */
const MAX_NAMES = 100_000;
/**
 * After a reconnect, the server may send again events we already have (ids can repeat at
 * millisecond granularity): the next events are checked against the recent meta.ids, for twice
 * as many events as there are ids remembered.
 */
const DEDUP_WINDOW_FACTOR = 2;

/** What the event counter needs. */
export interface EventCounterOptions {
  windower: Windower;
  stats: RunStats;
  filter: EventFilter;
  maxEventBytes: number;
  log: Logger;
  /** Events dated after this (Unix ms: the clock plus --max-ahead) are skipped as `future`. */
  horizonMs(): number;
  /** Events dated before this (Unix ms) are past the retention: their windows would expire as written. */
  expiredBeforeMs(): number;
  /** How long windows are kept (for the message when events are past it); 0: for ever. */
  retainMs: number;
}

/** Counts events into windows; see the module comment. */
export class EventCounter {
  private readonly fields = createEventFields();
  private readonly exact = createEventFields();
  /** server_name as read (Latin-1 view of its bytes) → the name to count, or null when invalid. */
  private readonly names = new Map<string, string | null>();
  private readonly filtering: boolean;
  /** Why resolveServerName last answered null. */
  private refusal: SkipReason = "bad-server-name";
  private dedup: Set<string> | null = null;
  private dedupLeft = 0;

  constructor(private readonly options: EventCounterOptions) {
    const filter = options.filter;
    this.filtering = filter.types !== undefined || filter.excludeBots || filter.servers.length > 0;
  }

  /** A new connection: the server may repeat the events just before our position. */
  onConnect(): void {
    const recent = this.options.windower.recentIds();
    this.dedup = recent.length > 0 ? new Set(recent) : null;
    this.dedupLeft = this.dedup === null ? 0 : recent.length * DEDUP_WINDOW_FACTOR;
  }

  /** One `message` event. */
  onMessage(id: string | undefined, data: string, oversized: boolean): void {
    const { stats, windower } = this.options;
    stats.events++;
    if (oversized || data.length > this.options.maxEventBytes) return this.skip("oversized", id);
    const fields = this.fields;
    const status = extractFieldsLatin1(data, fields);
    if (status !== "ok") return this.skip(status, id);
    const metaId = fields.metaId;
    if (this.dedupLeft > 0) {
      this.dedupLeft--;
      // Neither count a repeated event nor move our position back to it.
      if (metaId !== undefined && this.dedup !== null && this.dedup.has(metaId)) {
        stats.skipped.duplicate++;
        return;
      }
    }
    const timeMs = resolveEventTime(fields);
    if (!(timeMs > 0)) return this.skip("bad-time", id);
    if (timeMs > this.options.horizonMs()) return this.skip("future", id);
    if (timeMs < this.options.expiredBeforeMs()) return this.skipExpired(id);
    if (fields.domain === "canary") return this.skip("canary", id);
    const rawName = fields.serverName;
    if (rawName === undefined) return this.skip("no-server-name", id);
    const serverName = this.resolveServerName(rawName, data);
    if (serverName === null) return this.skip(this.refusal, id);
    if (this.filtering && !isAccepted(fields, serverName, this.options.filter)) {
      // Its time still moves the windows on, so they close on time.
      windower.observe(timeMs);
      stats.skipped.filtered++;
      windower.advance(id, metaId);
      return;
    }
    stats.outcomes[windower.add(timeMs, serverName)]++;
    windower.advance(id, metaId);
  }

  /** An event of another type: `error` is the server's report, the rest are skipped. */
  onOtherEvent(type: string, data: string): void {
    const stats = this.options.stats;
    if (type === "error") {
      stats.streamErrors++;
      this.options.log.warn(`the stream reported an error: ${decodeLatin1(data.slice(0, 600)).slice(0, 300)}`);
    } else {
      stats.events++;
      stats.skipped["other-event-type"]++;
    }
  }

  private skipExpired(id: string | undefined): void {
    if (this.options.stats.skipped.expired === 0) {
      const keep = formatDuration(this.options.retainMs);
      this.options.log.warn(`events older than --retain ${keep} are skipped (counted as expired): their windows would expire as soon as written; run with --retain 0 to keep them`);
    }
    this.skip("expired", id);
  }

  private skip(why: SkipReason, id: string | undefined): void {
    this.options.stats.skipped[why]++;
    this.options.windower.advance(id, undefined);
  }

  /**
   * The name to count for a raw server_name, or null when it is not fit to be one (why in
   * `refusal`). One detached copy per name, so count maps never pin network chunks in memory.
   */
  private resolveServerName(raw: string, data: string): string | null {
    const known = this.names.get(raw);
    if (known !== undefined) return known;
    this.refusal = "bad-server-name";
    if (!PRINTABLE_ASCII.test(raw)) {
      // Non-ASCII (or escaped) names need the event decoded as UTF-8 to be exact; never cached.
      const text = decodeTextField("serverName", raw, data, this.exact);
      if (text === null) this.refusal = "bad-unicode";
      return text !== null && isValidServerName(text) ? text : null;
    }
    const name = isValidServerName(raw) ? detachString(raw) : null;
    if (this.names.size < MAX_NAMES) this.names.set(name ?? detachString(raw), name);
    return name;
  }
}
