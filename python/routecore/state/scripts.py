"""Lua scripts run atomically in Redis. Times come from Redis (`TIME`), so replicas' clocks
never have to agree. Numbers go back as strings: Redis truncates Lua numbers to integers."""

from __future__ import annotations

# KEYS[1]: the tenant's bucket hash. ARGV (15 numbers, per limit i = requests, tokens, usd):
# capacity[3] (0 = unlimited), window_ms[3], want[3], need[3], give[3], then the key TTL (ms).
# Per limit: refill to now, add `give` (negative = a debt; the level stays within ±capacity),
# then grant up to `want` if at least `need` (and something) is available, else report how
# long until `need` will have refilled. Fields: l<i> level, t<i> stamp (ms), g<i> granted and
# r<i> returned in total (the ledger: consumed = g - r once every replica has returned).
LEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i = 0, 2 do
  local cap = tonumber(ARGV[1 + i])
  local g, w = 0, 0
  if cap > 0 then
    local win = tonumber(ARGV[4 + i])
    local want = tonumber(ARGV[7 + i])
    local need = tonumber(ARGV[10 + i])
    local give = tonumber(ARGV[13 + i])
    local st = redis.call('HMGET', KEYS[1], 'l' .. i, 't' .. i)
    local level, ts = tonumber(st[1]), tonumber(st[2])
    if level == nil or ts == nil then level, ts = cap, now end
    local rate = cap / win
    if now > ts then level = level + (now - ts) * rate; ts = now end
    level = math.max(-cap, math.min(cap, level + give))
    if want > 0 and level > 0 and level >= need then
      g = math.min(want, level)
      level = level - g
    elseif need > 0 then
      w = (need - level) / rate
    end
    redis.call('HSET', KEYS[1], 'l' .. i, string.format('%.17g', level), 't' .. i, ts)
    if g ~= 0 then redis.call('HINCRBYFLOAT', KEYS[1], 'g' .. i, string.format('%.17g', g)) end
    if give ~= 0 then redis.call('HINCRBYFLOAT', KEYS[1], 'r' .. i, string.format('%.17g', give)) end
  end
  out[i + 1] = string.format('%.17g', g)
  out[i + 4] = string.format('%.17g', w)
end
redis.call('PEXPIRE', KEYS[1], ARGV[16])
return out
"""

# KEYS[1]: a deployment's health hash. ARGV: open_for_ms, replica id. Opens the shared breaker
# until now + open_for_ms (never shortening an opening another replica published).
OPEN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untl = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0')
if untl > cur then
  redis.call('HSET', KEYS[1], 'open_until', untl, 'opened_by', ARGV[2], 'opened_at', now)
  redis.call('HINCRBY', KEYS[1], 'openings', 1)
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) + 600000)
return 1
"""

# KEYS: every deployment's health hash. Returns, per key, the ms its shared breaker stays open
# (0: closed), and who opened it.
POLL = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i, k in ipairs(KEYS) do
  local v = redis.call('HMGET', k, 'open_until', 'opened_by')
  local left = math.max(0, tonumber(v[1] or '0') - now)
  out[2 * i - 1] = tostring(left)
  out[2 * i] = v[2] or ''
end
return out
"""

# KEYS[1]: a deployment's stats hash (field per replica: "<redis ms> <json>"). ARGV: replica id,
# this replica's JSON ('' = nothing to publish), freshness (ms), key TTL (ms). Stamps the own
# entry with Redis time, drops entries dead for ten freshness periods (restarted replicas would
# otherwise pile up while live ones keep renewing the key), and returns the other replicas'
# fresh JSON blobs.
STATS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local fresh = tonumber(ARGV[3])
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], ARGV[1], string.format('%.0f', now) .. ' ' .. ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
local out = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local f, v = all[i], all[i + 1]
  local sp = string.find(v, ' ', 1, true)
  local ts = sp and tonumber(string.sub(v, 1, sp - 1))
  if ts == nil or now - ts > 10 * fresh then
    redis.call('HDEL', KEYS[1], f)
  elseif f ~= ARGV[1] and now - ts <= fresh then
    out[#out + 1] = string.sub(v, sp + 1)
  end
end
return out
"""
