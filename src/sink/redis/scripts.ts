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

/** A script of this text. */
export function defineScript(lua: string): Script {
  return { lua, sha: new Bun.CryptoHasher("sha1").update(lua).digest("hex") };
}

/**
 * Shared head of every script: select the database (`db`, the Lua expression of the script's
 * first argument; empty in Cluster mode, which has only database 0), and `kind(key)`, the type
 * of a key ('none' when absent).
 */
export function formatHead(db: string): string {
  return `if ${db} ~= '' then redis.call('SELECT', ${db}) end
local function kind(key) return redis.call('TYPE', key)['ok'] end
`;
}
const HEAD = formatHead("ARGV[1]");

/**
 * Checks a key list against the types wikistream keeps there. KEYS: lock, layout, checkpoint,
 * epochs, incomplete, epoch_index, then sorted sets (windows, rollup periods and their epochs),
 * the rollups' incomplete sets (named …:incomplete) and the feed stream (named …feed; no other
 * key's name ends so). Returns nil, or {'type', key, found}.
 */
export const CHECK_TYPES = `local want = {'string', 'hash', 'hash', 'zset', 'set', 'string'}
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

/**
 * Looks before a run writes anything. KEYS as in CHECK_TYPES (window keys: those the run may
 * write). ARGV: db. Returns {'type', key, found}, or {'ok', layout window_ms, layout version,
 * checkpoint window_ms, number of epochs, layout views} (empty strings where absent).
 */
export const INSPECT_SCRIPT = defineScript(`${HEAD}${CHECK_TYPES}
local bad = check_types()
if bad then return bad end
local layout = redis.call('HMGET', KEYS[2], 'window_ms', 'layout', 'views')
local saved = redis.call('HGET', KEYS[3], 'window_ms')
return {'ok', layout[1] or '', layout[2] or '', saved or '', tostring(redis.call('ZCARD', KEYS[4])), layout[3] or ''}
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
