/**
 * Every change wikistream makes to Redis is a Lua script: Redis runs a script whole, with no
 * other command in between, and a script that fails before its first write writes nothing.
 * Each begins by selecting the database the URL names (an out-of-range database fails the
 * script, where ioredis would quietly stay on database 0), and checks before it writes.
 * MULTI/EXEC would not do: Redis does not roll a transaction back when one command fails.
 */
import type { RedisClient } from "./client.ts";

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
// epochs, incomplete, epoch_index, then window keys. Returns nil, or {'type', key, found}.
const CHECK_TYPES = `local want = {'string', 'hash', 'hash', 'zset', 'set', 'string'}
local function check_types()
  for i = 1, #KEYS do
    local t = kind(KEYS[i])
    if t ~= 'none' and t ~= (want[i] or 'zset') then return {'type', KEYS[i], t} end
  end
  return nil
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
 * One write, whole or not at all. KEYS as in CHECK_TYPES, then one key per window written.
 * ARGV: db, lock value, lock TTL ms, window_ms, layout version, now ms, the write sequence
 * number this writer last saw ("" for none), then the windows (count n; per window its start
 * in seconds, member count m and m score/member pairs), the incomplete starts (count, starts)
 * and the checkpoint (field count, field/value pairs). Returns {'ok', seq}, {'lock', holder},
 * {'stale', seq}, {'layout', window_ms} or {'type', key, found}.
 */
export const WRITE_SCRIPT = defineScript(`${HEAD}${CHECK_TYPES}
-- Fencing: write only while the lock is ours. Gone means Redis lost it (a restart without
-- persistence): it is taken back with this write.
local lock = redis.call('GET', KEYS[1])
if lock and lock ~= ARGV[2] then return {'lock', lock} end
local bad = check_types()
if bad then return bad end
-- Every write bumps a sequence number in the checkpoint. Another one than the writer last saw
-- means this Redis does not hold what the writer wrote: a failover lost acknowledged writes
-- (replication is asynchronous), or it restarted without them. The writer must start again
-- from the checkpoint this Redis holds, not carry on from memory (which would leave a hole).
local seq = redis.call('HGET', KEYS[3], 'seq') or ''
if seq ~= ARGV[7] then return {'stale', seq} end
local layout = redis.call('HGET', KEYS[2], 'window_ms')
if layout and layout ~= ARGV[4] then return {'layout', layout} end

-- Everything is checked: from here on the script only writes. The first write must be one
-- Redis refuses when out of memory (SET is, DEL is not): once a script has written, Redis lets
-- it finish whatever the memory, so this keeps maxmemory in force and the write whole. It also
-- refreshes the lock, or takes it back.
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if not layout then redis.call('HSET', KEYS[2], 'window_ms', ARGV[4], 'layout', ARGV[5], 'created_ms', ARGV[6]) end
-- unpack() takes a few thousand values at most: long lists go in slices.
local SLICE = 1000
local function in_slices(command, key, from, count)
  for s = from, from + count - 1, SLICE do
    redis.call(command, key, unpack(ARGV, s, math.min(s + SLICE, from + count) - 1))
  end
end
local at = 9
local newest = nil
for w = 1, tonumber(ARGV[8]) do
  local start, members = ARGV[at], tonumber(ARGV[at + 1])
  local key = KEYS[6 + w]
  at = at + 2
  redis.call('DEL', key)
  in_slices('ZADD', key, at, 2 * members)
  at = at + 2 * members
  -- A quiet window (nothing counted) is listed here without a key of its own.
  redis.call('ZADD', KEYS[4], start, start)
  if newest == nil or tonumber(start) > tonumber(newest) then newest = start end
end
local incomplete = tonumber(ARGV[at])
in_slices('SADD', KEYS[5], at + 1, incomplete)
at = at + 1 + incomplete
-- epoch_index only moves forward, whatever order writes land in.
if newest then
  local current = tonumber(redis.call('GET', KEYS[6]))
  if current == nil or current < tonumber(newest) then redis.call('SET', KEYS[6], newest) end
end
local fields = tonumber(ARGV[at])
in_slices('HSET', KEYS[3], at + 1, 2 * fields)
local next_seq = tostring((tonumber(ARGV[7]) or 0) + 1)
redis.call('HSET', KEYS[3], 'seq', next_seq)
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
