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
}

/** The rollup levels there are, smallest first: a level is rebuilt from the one below it. */
export const ROLLUP_LEVELS: readonly RollupLevel[] = [
  { name: "1h", seconds: 3600 },
  { name: "1d", seconds: 86_400 },
];

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
  };
  return { ...keys, fixed: [keys.lock, keys.layout, keys.checkpoint, keys.epochs, keys.incomplete, keys.epochIndex] };
}
