/**
 * Every change wikistream makes to Redis is a Lua script: Redis runs a script whole, with no
 * other command in between, and a script that fails before its first write writes nothing.
 * Each begins by selecting the database the URL names (an out-of-range database fails the
 * script, where ioredis would quietly stay on database 0), and checks before it writes.
 * MULTI/EXEC would not do: Redis does not roll a transaction back when one command fails.
 * Each script is declared once here (or in write-script.ts) with its name and how many keys it
 * takes; commands.ts makes them ioredis commands on every client.
 */

/**
 * A Lua script as ioredis defines a command (`defineCommand`): its name on the client, its
 * text, and how many KEYS it takes (absent: the caller passes the count first, as for a list
 * of window keys that varies from call to call).
 */
interface ScriptDefinition<Name extends string = string> {
  readonly name: Name;
  readonly lua: string;
  readonly numberOfKeys?: number;
}

/** A script named `name` (prefixed `wikistream`, so that it cannot shadow a command of Redis's). */
export function defineScript<const Name extends `wikistream${string}`>(name: Name, lua: string, numberOfKeys?: number): ScriptDefinition<Name> {
  return numberOfKeys === undefined ? { name, lua } : { name, lua, numberOfKeys };
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
export const INSPECT_SCRIPT = defineScript("wikistreamInspect", `${HEAD}${CHECK_TYPES}
local bad = check_types()
if bad then return bad end
local layout = redis.call('HMGET', KEYS[2], 'window_ms', 'layout', 'views')
local saved = redis.call('HGET', KEYS[3], 'window_ms')
return {'ok', layout[1] or '', layout[2] or '', saved or '', tostring(redis.call('ZCARD', KEYS[4])), layout[3] or ''}
`);

/** Takes the lock if free. KEYS: lock. ARGV: db, value, TTL ms. Returns 1 when taken, else the holder's value. */
export const ACQUIRE_SCRIPT = defineScript(
  "wikistreamAcquire",
  `${HEAD}
if redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3], 'NX') then return 1 end
return redis.call('GET', KEYS[1]) or 0
`,
  1,
);

/** Replaces a dead holder's value with ours. KEYS: lock. ARGV: db, their value, ours, TTL ms. */
export const TAKEOVER_SCRIPT = defineScript(
  "wikistreamTakeover",
  `${HEAD}
if redis.call('GET', KEYS[1]) == ARGV[2] then redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4]) return 1 end
return 0
`,
  1,
);

/**
 * Keeps the lock if it is ours, takes it again if it vanished (a Redis restart without
 * persistence). KEYS: lock. ARGV: db, value, TTL ms. Returns 1, or 0 when another holds it.
 */
export const REFRESH_SCRIPT = defineScript(
  "wikistreamRefresh",
  `${HEAD}
local current = redis.call('GET', KEYS[1])
if current == ARGV[2] then return redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
if current == false then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end
return 0
`,
  1,
);

/** Gives the lock up if it is still ours. KEYS: lock. ARGV: db, value. */
export const RELEASE_SCRIPT = defineScript(
  "wikistreamRelease",
  `${HEAD}
if redis.call('GET', KEYS[1]) == ARGV[2] then return redis.call('DEL', KEYS[1]) end
return 0
`,
  1,
);
