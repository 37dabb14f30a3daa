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
 * `{prefix}1h:S`, `{prefix}1h:epochs`, `{prefix}1h:incomplete`: a level's periods and the sets
 * that list them (shared by every view: a view's periods are `{view base}1h:S`).
 */
export function createRollupKeys(prefix: string, level: RollupLevel): RollupKeys {
  const base = `${prefix}${level.name}:`;
  return { period: (startSeconds) => `${base}${startSeconds}`, epochs: `${base}epochs`, incomplete: `${base}incomplete` };
}

/** The view a prefix holds when its layout key names none (written before --by): edits per server_name. */
export const PRESET_VIEWS: readonly string[] = ["server_name"];

/**
 * Where one view's keys begin: the main view (the first) is stored as ever, `{prefix}S`; each
 * further one at `{prefix}by:{LIST}:S`, under the prefix (its Cluster hash tag included).
 */
function resolveViewBase(prefix: string, views: readonly string[], view: string): string {
  return view === views[0] ? prefix : `${prefix}by:${view}:`;
}

/** The keys of one view: its windows, and its periods of each rollup level. */
export interface ViewKeys {
  window(startSeconds: number): string;
  period(level: RollupLevel, startSeconds: number): string;
}

/** The keys of `view`, one of `views` (the main one first). */
export function createViewKeys(prefix: string, views: readonly string[], view: string): ViewKeys {
  const base = resolveViewBase(prefix, views, view);
  return { window: (s) => `${base}${s}`, period: (level, s) => `${base}${level.name}:${s}` };
}

/** One rollup level of one write: which periods it rebuilds, each view's sum from which keys. */
export interface RollupPlan {
  level: RollupLevel;
  /** The span of what a period is rebuilt from (the window, or the level below), in seconds. */
  step: number;
  keys: RollupKeys;
  /** The epochs and incomplete sets of the level below (the windows' for the first level). */
  baseEpochs: string;
  baseIncomplete: string;
  periods: { start: number; sums: { dest: string; sources: string[] }[] }[];
}

/**
 * Every rollup period a write of windows starting at `starts` (seconds) touches, level by level,
 * with every key each view's sum is rebuilt from (an hour's windows, quiet and future ones too; a
 * day's hours): the one place these names are made (the write script takes them as given).
 */
export function planRollups(starts: readonly number[], options: { prefix: string; windowMs: number; rollups: readonly RollupLevel[]; views: readonly string[] }): RollupPlan[] {
  const keys = createKeys(options.prefix);
  const views = options.views.map((view) => createViewKeys(options.prefix, options.views, view));
  const plans: RollupPlan[] = [];
  let periods = [...new Set(starts)];
  let step = options.windowMs / 1000;
  let below: { level: RollupLevel | undefined; epochs: string; incomplete: string } = { level: undefined, epochs: keys.epochs, incomplete: keys.incomplete };
  for (const level of options.rollups) {
    periods = [...new Set(periods.map((start) => Math.floor(start / level.seconds) * level.seconds))];
    const plan: RollupPlan = { level, step, keys: createRollupKeys(options.prefix, level), baseEpochs: below.epochs, baseIncomplete: below.incomplete, periods: [] };
    for (const start of periods) {
      const sums = views.map((view) => {
        const sources: string[] = [];
        for (let s = start; s <= start + level.seconds - step; s += step) sources.push(below.level === undefined ? view.window(s) : view.period(below.level, s));
        return { dest: view.period(level, start), sources };
      });
      plan.periods.push({ start, sums });
    }
    plans.push(plan);
    below = { level, epochs: plan.keys.epochs, incomplete: plan.keys.incomplete };
    step = level.seconds;
  }
  return plans;
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
