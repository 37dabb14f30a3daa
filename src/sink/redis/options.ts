/** What the Redis sink is given (createRedisSink in sink.ts). */
import type { Logger } from "../../lib/log.ts";
import type { SinkObserver } from "../../run/ports.ts";
import type { ConnectOptions } from "./connection.ts";
import type { RollupLevel } from "./keys.ts";

/** Options of createRedisSink. */
export interface RedisSinkOptions extends Pick<ConnectOptions, "allowEviction"> {
  url: string;
  prefix: string;
  /** The run's window length: a prefix holds windows of one length only. */
  windowMs: number;
  /** The windows this run expects to write (Unix ms, end excluded), checked for foreign keys before the first write. */
  windowRange?: { fromMs: number; toMs: number };
  log: Logger;
  /** PEM text of extra CAs for rediss://. */
  ca?: string;
  lockTtlMs?: number;
  /** Wait for another instance's lock to expire and take over, instead of exiting (--standby). */
  standby?: boolean;
  /** How long window keys live after their end, in event time (0 or absent: for ever). */
  retainMs?: number;
  /** Rollup levels to keep, smallest first, and how long their keys live. */
  rollups?: readonly RollupLevel[];
  rollupRetainMs?: number;
  /** Append each final window to the Stream {prefix}feed (--feed). */
  feed?: boolean;
  /** The views counted (--by), by LIST, the main one first; one, server_name, when absent. */
  views?: readonly string[];
  now?: () => number;
  /** Told of every write, error and wait (status line, metrics). */
  observer?: SinkObserver;
}
