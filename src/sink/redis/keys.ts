/** Names of every Redis key of one prefix; `S` is a window start in Unix seconds. */
export interface RedisKeys {
  window(startSeconds: number): string;
  epochIndex: string;
  epochs: string;
  incomplete: string;
  checkpoint: string;
  lock: string;
  /** The window length (and layout version) the prefix was made with. */
  layout: string;
  /** The Stream of final windows (--feed); in no script's KEYS without it. */
  feed: string;
  /**
   * The bookkeeping keys in the order every script takes them (KEYS[1..6]): lock, layout,
   * checkpoint, epochs, incomplete, epoch_index.
   */
  fixed: readonly string[];
}

/** A rollup level: its name in keys (`{prefix}1h:S`) and its span in seconds. */
export interface RollupLevel {
  name: "1h" | "1d";
  seconds: number;
  /** What one period is called in messages. */
  noun: "hour" | "day";
}

/** The rollup levels there are, smallest first: a level is rebuilt from the one below it. */
export const ROLLUP_LEVELS: readonly RollupLevel[] = [
  { name: "1h", seconds: 3600, noun: "hour" },
  { name: "1d", seconds: 86_400, noun: "day" },
];

/** The keys of one rollup level's periods, as the write script's plan_rollups names them. */
export interface RollupKeys {
  period(startSeconds: number): string;
  epochs: string;
  incomplete: string;
}

/**
 * `{prefix}1h:S`, `{prefix}1h:epochs`, `{prefix}1h:incomplete`: the names WRITE_SCRIPT builds
 * from ARGV (the prefix and the level's name) for the readers that look for them.
 */
export function createRollupKeys(prefix: string, level: RollupLevel): RollupKeys {
  const base = `${prefix}${level.name}:`;
  return { period: (startSeconds) => `${base}${startSeconds}`, epochs: `${base}epochs`, incomplete: `${base}incomplete` };
}

/** The version of the key layout: 2 added `layout` and quiet windows listed in `epochs` without a key. */
export const LAYOUT_VERSION = 2;

/** The keys of one prefix (see the README's Redis layout). */
export function createKeys(prefix: string): RedisKeys {
  const keys = {
    window: (startSeconds: number) => `${prefix}${startSeconds}`,
    epochIndex: `${prefix}epoch_index`,
    epochs: `${prefix}epochs`,
    incomplete: `${prefix}incomplete`,
    checkpoint: `${prefix}checkpoint`,
    lock: `${prefix}lock`,
    layout: `${prefix}layout`,
    feed: `${prefix}feed`,
  };
  return { ...keys, fixed: [keys.lock, keys.layout, keys.checkpoint, keys.epochs, keys.incomplete, keys.epochIndex] };
}
