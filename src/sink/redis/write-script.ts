/**
 * The write script: every view of every window of a batch whole (DEL + ZADD), the `epochs` and
 * `incomplete` entries, `epoch_index`, the rollups of every view, the feed and the checkpoint, in
 * one Lua script that checks everything before its first write. Its arguments are declared once
 * here ({@link WRITE_ARGS}, {@link WRITE_KEYS}): the same lists build the TypeScript arguments
 * (writer.ts) and the Lua prelude that names them, so the script reads `A.seq`, never `ARGV[7]`.
 * Every key name comes from keys.ts and is passed in KEYS; the script builds none.
 */
import { FEED } from "./feed-script.ts";
import { CHECK_TYPES, defineScript, formatHead } from "./scripts.ts";

/** The fixed keys, in KEYS order (keys.ts `fixed`), as the script names them (`K.lock`…). */
export const WRITE_KEYS = ["lock", "layout", "checkpoint", "epochs", "incomplete", "epoch_index"] as const;

/**
 * The script's named arguments, in ARGV order: database ("" in a Cluster), lock value and TTL,
 * window length, layout version, the write's time, the sequence number this writer last saw
 * ("" for none), the windows' and rollups' retentions (0: keep), the checkpoint's final_ms (""
 * for none) and the views (their LISTs joined by `;`, the main one first). The lists follow
 * (see read_args).
 */
export const WRITE_ARGS = ["db", "lock", "lock_ttl_ms", "window_ms", "layout", "now_ms", "seq", "retain_ms", "rollup_retain_ms", "final_ms", "views"] as const;

/** One named argument of the write script. */
export type WriteArg = (typeof WRITE_ARGS)[number];

/** `local A = { db = ARGV[1], … }`, `local K = { lock = KEYS[1], … }` and where the lists start. */
function formatPrelude(): string {
  const args = WRITE_ARGS.map((name, i) => `${name} = ARGV[${i + 1}]`).join(", ");
  const keys = WRITE_KEYS.map((name, i) => `${name} = KEYS[${i + 1}]`).join(", ");
  return `local A = { ${args} }\nlocal K = { ${keys} }\nlocal LISTS = ${WRITE_ARGS.length + 1}\n`;
}

// Reads the lists that follow the named arguments, without writing: the windows (per window its
// start, then per view its key's index in KEYS, member count m and m score/member pairs), the
// incomplete starts, the checkpoint fields, then the rollup plan (per level: span, step, the
// indexes of its epochs, its incomplete, and the level below's epochs and incomplete, its name,
// then per period its start and per view the index of its sum and of every key it is rebuilt
// from). Also in_slices(): unpack() takes a few thousand values at most, so long lists go in slices.
const READ_ARGS = `local SLICE = 1000
local function in_slices(command, key, from, count)
  for s = from, from + count - 1, SLICE do
    redis.call(command, key, unpack(ARGV, s, math.min(s + SLICE, from + count) - 1))
  end
end
local function key_at(at) return KEYS[tonumber(ARGV[at])] end
local function read_rollups(unit, at)
  local levels = {}
  local count = tonumber(ARGV[at])
  at = at + 1
  for l = 1, count do
    local level = { span = tonumber(ARGV[at]), step = tonumber(ARGV[at + 1]), epochs = key_at(at + 2), incomplete = key_at(at + 3),
      base_epochs = key_at(at + 4), base_incomplete = key_at(at + 5), name = ARGV[at + 6], periods = {} }
    local periods = tonumber(ARGV[at + 7])
    at = at + 8
    for p = 1, periods do
      local period = { start = tonumber(ARGV[at]), sums = {} }
      at = at + 1
      for v = 1, unit.views do
        local sum = { dest = key_at(at), sources = {} }
        local sources = tonumber(ARGV[at + 1])
        for i = 1, sources do sum.sources[i] = key_at(at + 1 + i) end
        period.sums[v] = sum
        at = at + 2 + sources
      end
      level.periods[p] = period
    end
    levels[l] = level
  end
  return levels, at
end
local function read_args()
  local unit = { windows = {}, starts = {}, views = 0 }
  for _ in string.gmatch(A.views, '[^;]+') do unit.views = unit.views + 1 end
  local at = LISTS + 1
  for w = 1, tonumber(ARGV[LISTS]) do
    local window = { start = tonumber(ARGV[at]), sets = {} }
    at = at + 1
    for v = 1, unit.views do
      local set = { key = key_at(at), members = tonumber(ARGV[at + 1]), from = at + 2 }
      window.sets[v] = set
      at = at + 2 + 2 * set.members
    end
    unit.windows[w] = window
    unit.starts[w] = window.start
  end
  unit.incomplete, unit.incomplete_from = tonumber(ARGV[at]), at + 1
  at = at + 1 + unit.incomplete
  unit.fields, unit.fields_from = tonumber(ARGV[at]), at + 1
  at = at + 1 + 2 * unit.fields
  unit.levels, unit.feed_from = read_rollups(unit, at)
  return unit
end
-- Drops from an epochs set and an incomplete set the starts at or before a cutoff (their keys expired).
local function trim(epochs, incomplete, cutoff)
  redis.call('ZREMRANGEBYSCORE', epochs, '-inf', cutoff)
  for _, member in ipairs(redis.call('SMEMBERS', incomplete)) do
    local start = tonumber(member)
    if start and start <= cutoff then redis.call('SREM', incomplete, member) end
  end
end
`;

// Hourly and daily rollups (--rollup), exact because they are rebuilt, in the same script, from
// the level below (the windows for the first level, the level before for the next) for every
// period this write touched, in every view: never added to, so never counted twice across kills
// and replays. A period is incomplete when a part of it is, or when it is over (final) with parts
// missing. The keys come planned (keys.ts planRollups), all declared in KEYS: Redis checks them
// (types here, slots in a Cluster, where a migrating slot is retried) before the script writes.
const ROLLUPS = `local function check_rollups(levels)
  for _, level in ipairs(levels) do
    if level.span % level.step ~= 0 then return {'rollup', level.name, tostring(level.step)} end
  end
  return nil
end
local function write_rollups(levels)
  local now, keep, final = tonumber(A.now_ms), tonumber(A.rollup_retain_ms), tonumber(A.final_ms)
  for _, level in ipairs(levels) do
    for _, period in ipairs(level.periods) do
      local partial = false
      for s = period.start, period.start + level.span - level.step, level.step do
        if redis.call('SISMEMBER', level.base_incomplete, s) == 1 then partial = true end
      end
      for _, sum in ipairs(period.sums) do
        redis.call('ZUNIONSTORE', sum.dest, #sum.sources, unpack(sum.sources))
        if keep > 0 and redis.call('EXISTS', sum.dest) == 1 then redis.call('PEXPIREAT', sum.dest, (period.start + level.span) * 1000 + keep) end
      end
      redis.call('ZADD', level.epochs, period.start, period.start)
      local over = final and (period.start + level.span) * 1000 <= final
      if over and redis.call('ZCOUNT', level.base_epochs, period.start, period.start + level.span - 1) < level.span / level.step then partial = true end
      if partial then redis.call('SADD', level.incomplete, period.start) end
    end
    if keep > 0 then trim(level.epochs, level.incomplete, (now - keep) / 1000 - level.span) end
  end
end
`;

// The views a prefix holds: its layout's `views`; one made before --by (a layout without it, or
// only a checkpoint or windows) holds edits per server_name.
const HELD_VIEWS = `local function read_held_views(layout)
  local views = redis.call('HGET', K.layout, 'views')
  if views then return views end
  if layout or redis.call('EXISTS', K.checkpoint) == 1 or redis.call('ZCARD', K.epochs) > 0 then return 'server_name' end
  return nil
end
`;

/**
 * One write, whole or not at all. KEYS: the fixed keys ({@link WRITE_KEYS}), then every key the
 * lists name by index (the windows of every view, the rollups'); with --feed, the feed's key last.
 * ARGV: {@link WRITE_ARGS}, then the lists (read_args), then with --feed the feed's entries (see
 * FEED). Returns {'ok', seq} ({'ok', seq, windows already in the feed, how many of them with other
 * counts, windows below the feed's newest entry and not in it} with --feed), {'lock', holder},
 * {'stale', seq, updated_ms} (what the checkpoint holds; "" where absent), {'layout', window_ms},
 * {'views', views held}, {'type', key, found} or {'rollup', level, step seconds}.
 */
export const WRITE_SCRIPT = defineScript("wikistreamWrite", `${formatPrelude()}${formatHead("A.db")}${CHECK_TYPES}${READ_ARGS}${ROLLUPS}${HELD_VIEWS}${FEED}
-- Fencing: write only while the lock is ours. Gone means Redis lost it (a restart without
-- persistence): it is taken back with this write.
local lock = redis.call('GET', K.lock)
if lock and lock ~= A.lock then return {'lock', lock} end
local bad = check_types()
if bad then return bad end
local unit = read_args()
local refused = check_rollups(unit.levels)
if refused then return refused end
-- Every write bumps a sequence number in the checkpoint. Another one than the writer last saw
-- means this Redis does not hold what the writer wrote: a failover lost acknowledged writes
-- (replication is asynchronous), or it restarted without them. The writer must start again
-- from the checkpoint this Redis holds, not carry on from memory (which would leave a hole).
-- The reply names the checkpoint found, so the writer can tell which: Redis behind it, ahead
-- of it (another writer), the checkpoint gone, or its own last write landed with its reply lost.
local seq = redis.call('HGET', K.checkpoint, 'seq') or ''
if seq ~= A.seq then return {'stale', seq, redis.call('HGET', K.checkpoint, 'updated_ms') or ''} end
local layout = redis.call('HGET', K.layout, 'window_ms')
if layout and layout ~= A.window_ms then return {'layout', layout} end
local held = read_held_views(layout)
if held and held ~= A.views then return {'views', held} end
local feed = plan_feed(unit)

-- Everything is checked: from here on the script only writes. The first write must be one
-- Redis refuses when out of memory (SET is, DEL is not): once a script has written, Redis lets
-- it finish whatever the memory, so this keeps maxmemory in force and the write whole. It also
-- refreshes the lock, or takes it back.
redis.call('SET', K.lock, A.lock, 'PX', A.lock_ttl_ms)
if not layout then redis.call('HSET', K.layout, 'window_ms', A.window_ms, 'layout', A.layout, 'created_ms', A.now_ms, 'views', A.views) end
local window_s, retain = tonumber(A.window_ms) / 1000, tonumber(A.retain_ms)
local newest = nil
for _, window in ipairs(unit.windows) do
  for _, set in ipairs(window.sets) do
    redis.call('DEL', set.key)
    in_slices('ZADD', set.key, set.from, 2 * set.members)
    -- Windows expire at their end plus the retention, in event time.
    if retain > 0 and set.members > 0 then redis.call('PEXPIREAT', set.key, (window.start + window_s) * 1000 + retain) end
  end
  -- A quiet window (nothing counted) is listed here without a key of its own.
  redis.call('ZADD', K.epochs, window.start, window.start)
  if newest == nil or window.start > newest then newest = window.start end
end
in_slices('SADD', K.incomplete, unit.incomplete_from, unit.incomplete)
-- epoch_index only moves forward, whatever order writes land in.
if newest then
  local current = tonumber(redis.call('GET', K.epoch_index))
  if current == nil or current < newest then redis.call('SET', K.epoch_index, newest) end
end
in_slices('HSET', K.checkpoint, unit.fields_from, 2 * unit.fields)
if retain > 0 then trim(K.epochs, K.incomplete, (tonumber(A.now_ms) - retain) / 1000 - window_s) end
write_rollups(unit.levels)
local next_seq = tostring((tonumber(A.seq) or 0) + 1)
-- The retentions go beside the checkpoint for readers: a window listed without a key is a
-- quiet one, unless it is older than the retention (its key expired).
redis.call('HSET', K.checkpoint, 'seq', next_seq, 'updated_ms', A.now_ms, 'retain_ms', A.retain_ms, 'rollup_retain_ms', A.rollup_retain_ms)
if feed then
  write_feed(feed, window_s, retain)
  return {'ok', next_seq, feed.again, feed.differ, feed.behind}
end
return {'ok', next_seq}
`);
