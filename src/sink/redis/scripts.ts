/**
 * Every change wikistream makes to Redis is a Lua script: Redis runs a script whole, with no
 * other command in between, and a script that fails before its first write writes nothing.
 * Each begins by selecting the database the URL names (an out-of-range database fails the
 * script, where ioredis would quietly stay on database 0), and checks before it writes.
 * MULTI/EXEC would not do: Redis does not roll a transaction back when one command fails.
 */
import type { RedisClient } from "./client.ts";
import { FEED } from "./feed-script.ts";

/** A Lua script with its SHA-1, run by EVALSHA (EVAL when the server does not know it yet). */
export interface Script {
  readonly lua: string;
  readonly sha: string;
}

function defineScript(lua: string): Script {
  return { lua, sha: new Bun.CryptoHasher("sha1").update(lua).digest("hex") };
}

// Shared head of every script: select the database (ARGV[1], empty in Cluster mode, which
// has only database 0), and `kind(key)`, the type of a key ('none' when absent).
const HEAD = `if ARGV[1] ~= '' then redis.call('SELECT', ARGV[1]) end
local function kind(key) return redis.call('TYPE', key)['ok'] end
`;

// Checks a key list against the types wikistream keeps there. KEYS: lock, layout, checkpoint,
// epochs, incomplete, epoch_index, then sorted sets (windows, rollup periods and their epochs),
// the rollups' incomplete sets (named …:incomplete) and the feed stream (named …feed; no other
// key's name ends so). Returns nil, or {'type', key, found}.
const CHECK_TYPES = `local want = {'string', 'hash', 'hash', 'zset', 'set', 'string'}
local function check_types()
  for i = 1, #KEYS do
    local key = KEYS[i]
    local t = kind(key)
    local expected = want[i] or (string.sub(key, -11) == ':incomplete' and 'set') or (string.sub(key, -4) == 'feed' and 'stream') or 'zset'
    if t ~= 'none' and t ~= expected then return {'type', key, t} end
  end
  return nil
end
`;

// Reads WRITE_SCRIPT's arguments without writing: the windows (start, member count, where
// their pairs begin), the incomplete starts and the checkpoint fields. Also in_slices():
// unpack() takes a few thousand values at most, so long lists go in slices.
const READ_WRITE_ARGS = `local SLICE = 1000
local function in_slices(command, key, from, count)
  for s = from, from + count - 1, SLICE do
    redis.call(command, key, unpack(ARGV, s, math.min(s + SLICE, from + count) - 1))
  end
end
local function read_args()
  local unit = { windows = {}, starts = {} }
  local at = 14
  for w = 1, tonumber(ARGV[13]) do
    local window = { start = tonumber(ARGV[at]), members = tonumber(ARGV[at + 1]), from = at + 2 }
    unit.windows[w] = window
    unit.starts[w] = window.start
    at = at + 2 + 2 * window.members
  end
  unit.incomplete, unit.incomplete_from = tonumber(ARGV[at]), at + 1
  at = at + 1 + unit.incomplete
  unit.fields, unit.fields_from = tonumber(ARGV[at]), at + 1
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
// period this write touched: never added to, so never counted twice across kills and replays.
// A period is incomplete when a part of it is, or when it is over (final) with parts missing.
// plan_rollups names every key the rollups will touch and returns an error unless each was
// declared in KEYS (writer.ts listRollupKeys): Redis checks declared keys (types here, slots in a
// Cluster, where a migrating slot is retried) before the script writes anything.
const ROLLUPS = `local function plan_rollups(starts)
  local plan, below = {}, nil
  local prefix = ARGV[11]
  local declared = {}
  for _, key in ipairs(KEYS) do declared[key] = true end
  local function named(key) if not declared[key] then error('wikistream: key ' .. key .. ' was not declared') end return key end
  for name, span in string.gmatch(ARGV[9], '([^:,]+):(%d+)') do
    span = tonumber(span)
    local level = { name = name, span = span, epochs = named(prefix .. name .. ':epochs'), incomplete = named(prefix .. name .. ':incomplete'), periods = {} }
    if below then
      level.step, level.base, level.base_epochs, level.base_incomplete = below.span, prefix .. below.name .. ':', below.epochs, below.incomplete
    else
      level.step, level.base, level.base_epochs, level.base_incomplete = tonumber(ARGV[4]) / 1000, prefix, KEYS[4], KEYS[5]
    end
    if span % level.step ~= 0 then return nil, {'rollup', name, tostring(level.step)} end
    local seen = {}
    for _, start in ipairs(starts) do
      local p = math.floor(start / span) * span
      if not seen[p] then
        seen[p] = true
        local period = { start = p, dest = named(prefix .. name .. ':' .. p), steps = {}, sources = {} }
        for s = p, p + span - level.step, level.step do
          period.steps[#period.steps + 1] = s
          period.sources[#period.sources + 1] = named(level.base .. s)
        end
        level.periods[#level.periods + 1] = period
      end
    end
    plan[#plan + 1] = level
    below = level
    starts = {}
    for _, period in ipairs(level.periods) do starts[#starts + 1] = period.start end
  end
  return plan, nil
end
local function write_rollups(plan)
  local now, keep, final = tonumber(ARGV[6]), tonumber(ARGV[10]), tonumber(ARGV[12])
  for _, level in ipairs(plan) do
    for _, period in ipairs(level.periods) do
      local partial = false
      for _, s in ipairs(period.steps) do
        if redis.call('SISMEMBER', level.base_incomplete, s) == 1 then partial = true end
      end
      redis.call('ZUNIONSTORE', period.dest, #period.sources, unpack(period.sources))
      if keep > 0 and redis.call('EXISTS', period.dest) == 1 then redis.call('PEXPIREAT', period.dest, (period.start + level.span) * 1000 + keep) end
      redis.call('ZADD', level.epochs, period.start, period.start)
      local over = final and (period.start + level.span) * 1000 <= final
      if over and redis.call('ZCOUNT', level.base_epochs, period.start, period.start + level.span - 1) < level.span / level.step then partial = true end
      if partial then redis.call('SADD', level.incomplete, period.start) end
    end
    if keep > 0 then trim(level.epochs, level.incomplete, (now - keep) / 1000 - level.span) end
  end
end
`;

/**
 * Looks before a run writes anything. KEYS as in CHECK_TYPES (window keys: those the run may
 * write). ARGV: db. Returns {'type', key, found}, or {'ok', layout window_ms, layout version,
 * checkpoint window_ms, number of epochs} (empty strings where absent).
 */
export const INSPECT_SCRIPT = defineScript(`${HEAD}${CHECK_TYPES}
local bad = check_types()
if bad then return bad end
local layout = redis.call('HMGET', KEYS[2], 'window_ms', 'layout')
local saved = redis.call('HGET', KEYS[3], 'window_ms')
return {'ok', layout[1] or '', layout[2] or '', saved or '', tostring(redis.call('ZCARD', KEYS[4]))}
`);

/**
 * One write, whole or not at all. KEYS as in CHECK_TYPES: the six fixed keys, one key per
 * window written (KEYS[6 + w]), then every key of the rollups (see listRollupKeys).
 * ARGV: 1 db, 2 lock value, 3 lock TTL ms, 4 window_ms, 5 layout version, 6 now ms, 7 the write
 * sequence number this writer last saw ("" for none), 8 retention ms (0: keep), 9 rollups
 * ("1h:3600,1d:86400", smallest first; "" for none), 10 rollup retention ms (0: keep), 11 the
 * prefix, 12 final_ms of this write's checkpoint ("" for none), then the windows (count n; per
 * window its start in seconds, member count m and m score/member pairs), the incomplete starts
 * (count, starts) and the checkpoint (field count, field/value pairs); with --feed, the feed's
 * entries (see FEED) and its key last in KEYS. Returns {'ok', seq} ({'ok', seq, windows already
 * in the feed, how many of them with other counts, windows below the feed's newest entry and not
 * in it} with --feed), {'lock', holder}, {'stale', seq, updated_ms} (what the checkpoint holds;
 * "" where absent), {'layout', window_ms}, {'type', key, found} or {'rollup', level, window
 * seconds} (windows that do not tile the level's period).
 */
export const WRITE_SCRIPT = defineScript(`${HEAD}${CHECK_TYPES}${READ_WRITE_ARGS}${ROLLUPS}${FEED}
-- Fencing: write only while the lock is ours. Gone means Redis lost it (a restart without
-- persistence): it is taken back with this write.
local lock = redis.call('GET', KEYS[1])
if lock and lock ~= ARGV[2] then return {'lock', lock} end
local bad = check_types()
if bad then return bad end
local unit = read_args()
-- Every rollup key is declared, so check_types above has seen it.
local plan, refused = plan_rollups(unit.starts)
if refused then return refused end
-- Every write bumps a sequence number in the checkpoint. Another one than the writer last saw
-- means this Redis does not hold what the writer wrote: a failover lost acknowledged writes
-- (replication is asynchronous), or it restarted without them. The writer must start again
-- from the checkpoint this Redis holds, not carry on from memory (which would leave a hole).
-- The reply names the checkpoint found, so the writer can tell which: Redis behind it, ahead
-- of it (another writer), the checkpoint gone, or its own last write landed with its reply lost.
local seq = redis.call('HGET', KEYS[3], 'seq') or ''
if seq ~= ARGV[7] then return {'stale', seq, redis.call('HGET', KEYS[3], 'updated_ms') or ''} end
local layout = redis.call('HGET', KEYS[2], 'window_ms')
if layout and layout ~= ARGV[4] then return {'layout', layout} end
local feed = plan_feed(unit)

-- Everything is checked: from here on the script only writes. The first write must be one
-- Redis refuses when out of memory (SET is, DEL is not): once a script has written, Redis lets
-- it finish whatever the memory, so this keeps maxmemory in force and the write whole. It also
-- refreshes the lock, or takes it back.
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if not layout then redis.call('HSET', KEYS[2], 'window_ms', ARGV[4], 'layout', ARGV[5], 'created_ms', ARGV[6]) end
local window_s, retain = tonumber(ARGV[4]) / 1000, tonumber(ARGV[8])
local newest = nil
for w, window in ipairs(unit.windows) do
  local key = KEYS[6 + w]
  redis.call('DEL', key)
  in_slices('ZADD', key, window.from, 2 * window.members)
  -- Windows expire at their end plus the retention, in event time.
  if retain > 0 and window.members > 0 then redis.call('PEXPIREAT', key, (window.start + window_s) * 1000 + retain) end
  -- A quiet window (nothing counted) is listed here without a key of its own.
  redis.call('ZADD', KEYS[4], window.start, window.start)
  if newest == nil or window.start > newest then newest = window.start end
end
in_slices('SADD', KEYS[5], unit.incomplete_from, unit.incomplete)
-- epoch_index only moves forward, whatever order writes land in.
if newest then
  local current = tonumber(redis.call('GET', KEYS[6]))
  if current == nil or current < newest then redis.call('SET', KEYS[6], newest) end
end
in_slices('HSET', KEYS[3], unit.fields_from, 2 * unit.fields)
if retain > 0 then trim(KEYS[4], KEYS[5], (tonumber(ARGV[6]) - retain) / 1000 - window_s) end
write_rollups(plan)
local next_seq = tostring((tonumber(ARGV[7]) or 0) + 1)
-- The retentions go beside the checkpoint for readers: a window listed without a key is a
-- quiet one, unless it is older than the retention (its key expired).
redis.call('HSET', KEYS[3], 'seq', next_seq, 'updated_ms', ARGV[6], 'retain_ms', ARGV[8], 'rollup_retain_ms', ARGV[10])
if feed then
  write_feed(feed, window_s, retain)
  return {'ok', next_seq, feed.again, feed.differ, feed.behind}
end
return {'ok', next_seq}
`);

/** Takes the lock if free. KEYS: lock. ARGV: db, value, TTL ms. Returns 1 when taken, else the holder's value. */
export const ACQUIRE_SCRIPT = defineScript(`${HEAD}
if redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3], 'NX') then return 1 end
return redis.call('GET', KEYS[1]) or 0
`);

/** Replaces a dead holder's value with ours. KEYS: lock. ARGV: db, their value, ours, TTL ms. */
export const TAKEOVER_SCRIPT = defineScript(`${HEAD}
if redis.call('GET', KEYS[1]) == ARGV[2] then redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4]) return 1 end
return 0
`);

/**
 * Keeps the lock if it is ours, takes it again if it vanished (a Redis restart without
 * persistence). KEYS: lock. ARGV: db, value, TTL ms. Returns 1, or 0 when another holds it.
 */
export const REFRESH_SCRIPT = defineScript(`${HEAD}
local current = redis.call('GET', KEYS[1])
if current == ARGV[2] then return redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
if current == false then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end
return 0
`);

/** Gives the lock up if it is still ours. KEYS: lock. ARGV: db, value. */
export const RELEASE_SCRIPT = defineScript(`${HEAD}
if redis.call('GET', KEYS[1]) == ARGV[2] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/** Runs a script by its SHA-1, sending the text only when the server does not have it yet. */
export async function runScript(client: RedisClient, script: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  try {
    return await client.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
    return await client.eval(script.lua, keys.length, ...keys, ...args);
  }
}
