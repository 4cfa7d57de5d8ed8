"""The Lua scripts behind `RedisStore`: one per `Store` step that changes state, and
`PEEK`, a read that must see a ledger entry whole.

Each runs atomically on the server (``EVALSHA``), so processes sharing a server never
interleave inside a step. Times arrive as text (Python's repr of a float) and are
compared with ``tonumber()``; durations for ``PEXPIRE`` arrive as whole milliseconds
computed in Python. Nothing reads Redis' own clock (``TIME``), so the scripts are
deterministic. Each script's comment says its keys (``KEYS``, named by `RedisStore`),
its arguments (``ARGV``) and what it returns.
"""

from __future__ import annotations

__all__ = [
    "CLAIM",
    "CLAIM_EVENT",
    "COUNT",
    "DELIVER",
    "DOUBT",
    "FINISH_EVENT",
    "PAUSE",
    "PEEK",
    "RELEASE",
    "RELEASE_EVENT",
    "RENEW",
    "RENEW_EVENT",
    "RESERVE",
    "SET_BLOCK",
    "UNCOUNT",
]

# -- the send ledger --------------------------------------------------------------------------

# KEYS: entry. ARGV: digest, now, lease_until, token, keep_ms (pending entry lifetime).
# The entry is a hash: digest, state (pending|doubt|delivered), token, started, lease
# (the claim's end: an expired lease is seen, not lost), expires (delivered: now + ttl),
# result. Returns {status, started[, result or lease]} (in_progress: the holder's lease).
CLAIM = """
local e = redis.call('HMGET', KEYS[1], 'digest', 'state', 'token', 'started', 'lease',
                     'expires', 'result')
local now = tonumber(ARGV[2])
local state = e[2]
if state == 'delivered' and tonumber(e[6]) <= now then
  redis.call('DEL', KEYS[1])  -- forgotten: its fields must not linger
  state = false
end
if not state then
  redis.call('HSET', KEYS[1], 'digest', ARGV[1], 'state', 'pending', 'token', ARGV[4],
             'started', ARGV[2], 'lease', ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return {'new', ARGV[2]}
end
if e[1] ~= ARGV[1] then return {'mismatch', e[4]} end
if state == 'delivered' then return {'delivered', e[4], e[7]} end
if state == 'pending' and tonumber(e[5]) > now then return {'in_progress', e[4], e[5]} end
redis.call('HSET', KEYS[1], 'state', 'pending', 'token', ARGV[4], 'lease', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {'in_doubt', e[4]}
"""

# KEYS: entry. ARGV: digest, now. What CLAIM would answer, changing nothing:
# {status[, started[, result or lease]]}.
PEEK = """
local e = redis.call('HMGET', KEYS[1], 'digest', 'state', 'started', 'lease', 'expires',
                     'result')
local now = tonumber(ARGV[2])
local state = e[2]
if not state or (state == 'delivered' and tonumber(e[5]) <= now) then return {'new'} end
if e[1] ~= ARGV[1] then return {'mismatch', e[3]} end
if state == 'delivered' then return {'delivered', e[3], e[6]} end
if state == 'pending' and tonumber(e[4]) > now then return {'in_progress', e[3], e[4]} end
return {'in_doubt', e[3]}
"""

# KEYS: entry. ARGV: token, lease_until, keep_ms. Returns 1 when renewed.
RENEW = """
local e = redis.call('HMGET', KEYS[1], 'state', 'token')
if e[1] ~= 'pending' or e[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'lease', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""

# KEYS: entry. ARGV: result, expires (now + ttl), ttl_ms. Whoever holds the claim now:
# the message did go out.
DELIVER = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'state', 'delivered', 'result', ARGV[1], 'expires', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""

# KEYS: entry. ARGV: token.
RELEASE = """
local e = redis.call('HMGET', KEYS[1], 'state', 'token')
if e[2] == ARGV[1] and e[1] ~= 'delivered' then redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: entry. ARGV: token.
DOUBT = """
local e = redis.call('HMGET', KEYS[1], 'state', 'token')
if e[1] == 'pending' and e[2] == ARGV[1] then
  redis.call('HSET', KEYS[1], 'state', 'doubt', 'lease', '0')
end
return 0
"""

# -- webhook events ---------------------------------------------------------------------------

# KEYS: event. The entry is a hash: token ('' once handled) and until
# (the claim's or the handled mark's end, on the caller's clock).
# ARGV: token, now, until, keep_ms. Returns claimed | handled | in_progress.
CLAIM_EVENT = """
local e = redis.call('HMGET', KEYS[1], 'token', 'until')
if e[2] and tonumber(e[2]) > tonumber(ARGV[2]) then
  if e[1] == '' then return 'handled' end
  return 'in_progress'
end
redis.call('HSET', KEYS[1], 'token', ARGV[1], 'until', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 'claimed'
"""

# KEYS: event. ARGV: token, until, keep_ms. Returns 1 when renewed.
RENEW_EVENT = """
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'until', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""

# KEYS: event. ARGV: until, keep_ms. Whoever holds the claim: the handler did finish.
FINISH_EVENT = """
redis.call('HSET', KEYS[1], 'token', '', 'until', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""

# KEYS: event. ARGV: token.
RELEASE_EVENT = """
if ARGV[1] ~= '' and redis.call('HGET', KEYS[1], 'token') == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
return 0
"""

# -- limits -----------------------------------------------------------------------------------

# GCRA. KEYS: pace. ARGV: interval, tolerance, now, linger_ms.
# The theoretical arrival time (TAT) only matters while it is ahead of now, so the key
# lives until then (plus the linger). Returns the slot as text.
RESERVE = """
local interval = tonumber(ARGV[1])
local now = tonumber(ARGV[3])
local tat = redis.call('GET', KEYS[1])
tat = tat and math.max(tonumber(tat), now) or now
local nxt = tat + interval
local ms = math.ceil((nxt - now) * 1000) + tonumber(ARGV[4])
redis.call('SET', KEYS[1], string.format('%.17g', nxt), 'PX', ms)
return string.format('%.17g', math.max(now, tat - tonumber(ARGV[2])))
"""

# KEYS: pause, live marker. ARGV: until, keep_ms (until - wall now + linger, >= linger).
# Never shortens a pause, nor the marker. Returns 1 when this started a pause.
PAUSE = """
local cur = redis.call('GET', KEYS[1])
if cur and tonumber(ARGV[1]) <= tonumber(cur) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
end
return 1
"""

# KEYS: block, live marker. ARGV: until, value ("until" or "until\\naction"), keep_ms.
# Keeps the block with the latest end (and its action).
SET_BLOCK = """
local cur = redis.call('GET', KEYS[1])
if cur and tonumber(string.match(cur, '^[^\\n]*')) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[3]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
end
return 1
"""

# KEYS: counter. ARGV: cap, keep_ms. Returns 1 when counted.
COUNT = """
local value = tonumber(redis.call('GET', KEYS[1]) or '0')
if value >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""

# KEYS: counter.
UNCOUNT = """
local value = tonumber(redis.call('GET', KEYS[1]) or '0')
if value > 0 then redis.call('DECR', KEYS[1]) end
return 0
"""
