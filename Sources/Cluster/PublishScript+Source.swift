extension PublishScript {
    /// The Lua the engine loads (SCRIPT LOAD at connect; Redis answers with its SHA1, used for
    /// EVALSHA). One call is one publish to some channels of one shard, atomic: the duplicate
    /// check, the counter, the history and the announcement cannot interleave with another.
    public static let source = #"""
-- Herald publish. KEYS and ARGV: Cluster/PublishScript.swift; the data model: REDIS_PLAN.md.
local channelCount = (#KEYS - 1) / 3
if channelCount < 1 or channelCount % 1 ~= 0 or #ARGV ~= 9 + channelCount then
  return redis.error_reply('herald publish: expected 1 + 3n KEYS and 9 + n ARGV')
end
local epochCandidate, historySize, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local kind, id, typeFlag, data, retry, channelsField = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local hasType = typeFlag ~= ''
local eventType = string.sub(typeFlag, 2)

-- The byte length of an optional field for the message header, -1 when absent.
local function length(present, value)
  if present then return #value end
  return -1
end

-- Appends a field and its value to an XADD argument list.
local function add(fields, name, value)
  fields[#fields + 1] = name
  fields[#fields + 1] = value
end

-- The value of field `name` of an XRANGE entry {id, {f1, v1, f2, v2, ...}}, or nil.
local function field(entry, name)
  local values = entry[2]
  for k = 1, #values, 2 do
    if values[k] == name then return values[k + 1] end
  end
  return nil
end

-- An entry leaves the stream: its event id leaves the index, unless the index names another g.
local function forget(ids, entry)
  local eventID = field(entry, 'i')
  if eventID and redis.call('HGET', ids, eventID) == string.match(entry[1], '^(%d+)-') then
    redis.call('HDEL', ids, eventID)
  end
end

-- Keep the newest historySize entries; returns the oldest entry kept when it was read doing so.
local function trimToSize(stream, ids)
  local excess = redis.call('XLEN', stream) - historySize
  if excess <= 0 then return nil end
  local oldest = redis.call('XRANGE', stream, '-', '+', 'COUNT', excess + 1)
  for k = 1, excess do forget(ids, oldest[k]) end
  redis.call('XTRIM', stream, 'MAXLEN', historySize)
  return oldest[excess + 1]
end

-- Drop the entries whose `t` is before cutoff, oldest first (one at a time: usually none is).
-- `first` is the oldest entry when the caller has it (no read needed for the common case).
local function trimByAge(stream, ids, cutoff, first)
  local start, removed, oldest = '-', 0, first
  while true do
    if not oldest then oldest = redis.call('XRANGE', stream, start, '+', 'COUNT', 1)[1] end
    if not oldest or (tonumber(field(oldest, 't')) or 0) >= cutoff then
      if removed > 0 and oldest then redis.call('XTRIM', stream, 'MINID', oldest[1]) end
      if removed > 0 and not oldest then redis.call('XTRIM', stream, 'MAXLEN', 0) end
      return
    end
    forget(ids, oldest)
    removed = removed + 1
    start = '(' .. oldest[1]
    oldest = nil
  end
end

-- Which channels already hold the id (a channel named twice counts once), and the newest g of
-- the others: the counter must pass it even if `seq` was lost while a channel was kept.
local duplicates, receivers, epochs, lasts, seen, written = {}, {}, {}, {}, {}, {}
local fresh, newest = 0, 0
for j = 1, channelCount do
  local stream, meta, ids = KEYS[3 * j - 1], KEYS[3 * j], KEYS[3 * j + 1]
  local held = redis.call('HMGET', meta, 'e', 'g')
  local epoch = held[1]
  receivers[j], epochs[j], lasts[j] = 0, epoch or '', held[2] or '0'
  if seen[stream] or (id ~= '' and epoch and redis.call('HEXISTS', ids, id) == 1) then
    duplicates[j] = 1
  else
    duplicates[j], seen[stream], fresh = 0, true, fresh + 1
    if epoch then newest = math.max(newest, tonumber(lasts[j])) end
  end
end
if fresh == 0 then return {0, id, duplicates, receivers, epochs} end

local g = redis.call('INCR', KEYS[1])
if g <= newest then
  g = newest + 1
  redis.call('SET', KEYS[1], string.format('%d', g))
end
local now = redis.call('TIME')
local t = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local gText, tText = string.format('%d', g), string.format('%d', t)

for j = 1, channelCount do
  local stream, meta, ids = KEYS[3 * j - 1], KEYS[3 * j], KEYS[3 * j + 1]
  if duplicates[j] == 0 then
    -- A missing meta hash starts a new epoch: whatever stream and index remain are stale.
    local epoch, previous = epochs[j], lasts[j]
    if epoch == '' then
      previous = '0'
      epoch = epochCandidate
      redis.call('DEL', stream, ids)
    end
    if id == '' then id = epoch .. '-' .. gText end
    epochs[j], written[stream] = epoch, epoch
    if historySize > 0 then
      local fields = {'p', previous, 't', tText, 'i', id, 'k', kind}
      if hasType then add(fields, 'y', eventType) end
      if retry ~= '' then add(fields, 'r', retry) end
      if channelsField ~= '' then add(fields, 'c', channelsField) end
      add(fields, 'd', data)
      redis.call('XADD', stream, gText .. '-0', unpack(fields))
      redis.call('HSET', ids, id, gText)
    end
    redis.call('HSET', meta, 'e', epoch, 'g', gText)
    trimByAge(stream, ids, t - ttl, trimToSize(stream, ids))
    redis.call('PEXPIRE', stream, ttl)
    redis.call('PEXPIRE', meta, ttl)
    redis.call('PEXPIRE', ids, ttl)
    local header = table.concat({epoch, gText, previous, tText, kind, #id, length(hasType, eventType),
      length(retry ~= '', retry), length(channelsField ~= '', channelsField)}, ' ')
    receivers[j] = redis.call('PUBLISH', ARGV[9 + j], header .. '\n' .. id .. eventType .. retry .. channelsField .. data)
  elseif written[stream] then
    -- A channel named twice: the epoch its first mention wrote (or found).
    epochs[j] = written[stream]
  end
end
return {g, id, duplicates, receivers, epochs}
"""#
}
