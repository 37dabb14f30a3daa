/**
 * The write script's part for the feed (--feed), a Lua fragment WRITE_SCRIPT (write-script.ts)
 * includes: plan_feed reads and checks before the script's first write, write_feed writes after
 * the checkpoint. See feed.ts for what an entry holds.
 */

/**
 * The feed: every window final in this write is appended once to the Stream
 * {prefix}feed, the last of KEYS, with the ID <start in ms>-0. Its arguments follow the
 * rollup plan's: the number of entries (none at all without --feed), then per entry its start
 * (seconds), total, and a count of view fields with their field/value pairs (`counts`, then a
 * `by:LIST` field per further view). A Stream refuses an ID not above its newest (last-generated-id, kept
 * through trims), so plan_feed, before any write, keeps only the entries above it: a window
 * already there (a rewrite, --no-resume --since) is counted, and compared, never appended twice.
 */
export const FEED = `local function read_feed_top(key)
  if kind(key) ~= 'stream' then return 0 end
  local info = redis.call('XINFO', 'STREAM', key)
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then return tonumber(string.match(info[i + 1], '^(%d+)')) end
  end
  return 0
end
local function plan_feed(unit)
  local at = unit.feed_from
  if ARGV[at] == nil then return nil end
  local feed = { key = KEYS[#KEYS], entries = {}, again = 0, differ = 0, behind = 0 }
  local top = read_feed_top(feed.key)
  local count = tonumber(ARGV[at])
  at = at + 1
  for e = 1, count do
    local entry = { start = ARGV[at], total = ARGV[at + 1], views = at + 3, fields = tonumber(ARGV[at + 2]) }
    at = at + 3 + 2 * entry.fields
    local id = entry.start .. '000-0'
    if tonumber(entry.start) * 1000 > top then
      feed.entries[#feed.entries + 1] = entry
      top = tonumber(entry.start) * 1000
    else
      local held = redis.call('XRANGE', feed.key, id, id)[1]
      if held then
        feed.again = feed.again + 1
        local fields = {}
        for i = 1, #held[2], 2 do fields[held[2][i]] = held[2][i + 1] end
        local same = fields['total'] == entry.total
        for v = entry.views, entry.views + 2 * entry.fields - 1, 2 do
          if fields[ARGV[v]] ~= ARGV[v + 1] then same = false end
        end
        if not same then feed.differ = feed.differ + 1 end
      else
        feed.behind = feed.behind + 1
      end
    end
  end
  return feed
end
local function write_feed(feed, window_s, retain)
  for _, entry in ipairs(feed.entries) do
    local incomplete = redis.call('SISMEMBER', K.incomplete, entry.start)
    redis.call('XADD', feed.key, entry.start .. '000-0', 'start', entry.start, 'end', tostring(tonumber(entry.start) + window_s),
      'total', entry.total, 'incomplete', incomplete, unpack(ARGV, entry.views, entry.views + 2 * entry.fields - 1))
  end
  -- Trimmed like epochs: entries of windows that ended before now minus the retention.
  local below = tonumber(A.now_ms) - retain - window_s * 1000 + 1
  if retain > 0 and below > 0 and kind(feed.key) == 'stream' then redis.call('XTRIM', feed.key, 'MINID', string.format('%d', below)) end
end
`;
