/** Names of every Redis key of one prefix; `S` is a window start in Unix seconds. */
export interface RedisKeys {
  window(startSeconds: number): string;
  epochIndex: string;
  epochs: string;
  incomplete: string;
  checkpoint: string;
  lock: string;
}

/** The keys of one prefix (see the README's Redis layout). */
export function createKeys(prefix: string): RedisKeys {
  return {
    window: (startSeconds: number) => `${prefix}${startSeconds}`,
    epochIndex: `${prefix}epoch_index`,
    epochs: `${prefix}epochs`,
    incomplete: `${prefix}incomplete`,
    checkpoint: `${prefix}checkpoint`,
    lock: `${prefix}lock`,
  };
}
