/**
 * What a run says about its feed (--feed): windows it wrote again that the feed already held (a
 * rewrite, `--no-resume --since`), which are not appended twice, counted and said once at first
 * and in sum when the run ends; and, at start, a prefix whose feed this run will not extend.
 */
import type { Logger } from "../../lib/log.ts";
import { formatCount } from "../../lib/plural.ts";
import type { RedisClient } from "./client.ts";
import type { RedisKeys } from "./keys.ts";
import type { WriteResult } from "./writer.ts";

/** Counts what the feed did not take, across the writes of one sink. */
export class FeedNotes {
  private again = 0;
  private differ = 0;
  private behind = 0;

  constructor(
    private readonly key: string,
    private readonly log: Logger,
  ) {}

  /** Adds one write's figures; the first window not appended is said at once. */
  add(result: WriteResult): void {
    if (this.again + this.behind === 0 && result.feedAgain + result.feedBehind > 0) {
      this.log.warn(`writing windows again that the feed ${this.key} already holds or is past: they are not appended (the feed keeps each window once, in order); the count follows when the run ends`);
    }
    this.again += result.feedAgain;
    this.differ += result.feedDiffer;
    this.behind += result.feedBehind;
  }

  /** The sums, said once (when the sink closes). */
  report(): void {
    if (this.again > 0) {
      const differ = this.differ === 0 ? "all with the counts the feed holds" : `${this.differ} of them with other counts than the feed holds: the sorted sets have the rewrite`;
      this.log.warn(`${formatCount(this.again, "window")} ${this.again === 1 ? "was" : "were"} already in the feed ${this.key} and ${this.again === 1 ? "was" : "were"} not appended again (${differ})`);
    }
    if (this.behind > 0) {
      this.log.warn(`${formatCount(this.behind, "window")} older than the newest entry of the feed ${this.key} ${this.behind === 1 ? "is" : "are"} not in it and cannot be added (a Redis Stream only grows): the sorted sets hold ${this.behind === 1 ? "it" : "them"}`);
    }
  }
}

/** At start, without --feed: a prefix that has a feed would silently miss this run's windows in it. */
export async function checkFeedLeftOut(client: RedisClient, keys: RedisKeys, prefix: string, log: Logger): Promise<void> {
  if ((await client.exists(keys.feed)) === 0) return;
  log.warn(`prefix '${prefix}' has a feed (${keys.feed}), but this run has no --feed: the windows it makes final will be missing from the feed (give --feed, or WIKISTREAM_FEED=1)`);
}
