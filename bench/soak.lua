-- bench/soak.lua -- wrk script of bench/soak.sh: a mix of request kinds, each with exactly one
-- expected status, checked on every response.
--
-- Environment: SOAK_DIR holds the request bodies and reference replies soak.sh prepared:
--   allow.json      connect, known site and token         -> 200, reply == reply-allow.json
--   override.json   publishStream, good token             -> 200, reply == reply-override.json
--   deny.json       publishStream, unknown token          -> 403 {"error":"denied",...}
--   malformed.txt   one malformed JSON body a line        -> 400 {"error":"bad request",...}
--   big.json        a 70 KB body (server has --max-body 65536) -> 413
-- SOAK_MIX (optional) = "allow,override,deny,malformed,oversized" weights, default 35,30,20,10,5.
--
-- wrk gives response() no handle on the request it answers, so each response is classified
-- by what it is: a 200 must be byte for byte one of the two reference replies (a denied,
-- malformed or oversized request answered 200 cannot match either), a 403/400/413 must carry
-- exactly its canned body, any other status is unexpected. Per status, more answers than
-- requests of the kind that expects it are unexpected too (a kind answered with another
-- kind's status). done() prints per kind what was sent and received, then one line:
--   SOAK sent=N received=N unexpected=N bad_body=N over=N p50_us=N p99_us=N max_us=N
--        requests=N connect=N read=N write=N timeout=N
-- (unexpected = the larger of bad_body and over, both lower bounds of the wrong answers;
-- requests still in flight when wrk stops are sent but never received.)

local kinds = { "allow", "override", "deny", "malformed", "oversized" }
local expect_status = { allow = 200, override = 200, deny = 403, malformed = 400, oversized = 413 }
local dir = os.getenv("SOAK_DIR") or error("soak.lua: set SOAK_DIR")

local function slurp(name)
   local f = assert(io.open(dir .. "/" .. name, "rb"))
   local s = f:read("*a")
   f:close()
   return s
end

local threads = {}

function setup(thread)
   thread:set("id", #threads + 1)
   table.insert(threads, thread)
end

-- per thread (each wrk thread has its own Lua state)
local reqs = {}        -- kind -> list of prebuilt HTTP requests
local weights = {}
local total_weight = 0
local reply_allow, reply_override
local deny_body = '{"error":"denied","reason":"not a publisher"}'
local big_body = '{"error":"payload too large","reason":"body over 65536 bytes"}'
local bad_prefix = '{"error":"bad request","reason":"'

sent = {}      -- kind -> count; globals so that done() can read them with thread:get
got = {}       -- status -> count
bad = 0        -- responses that failed their check
samples = ""   -- a few failing responses, for the report

function init(args)
   math.randomseed(os.time() * 1000 + (id or 0))
   local hdr = { ["Content-Type"] = "application/json;charset=UTF-8",
                 ["Accept"] = "application/json", ["User-Agent"] = "Java/1.8.0_111" }
   local function req(method, body)
      return wrk.format("POST", "/apps/defaultApp/" .. method, hdr, body)
   end
   reqs.allow = { req("connect", slurp("allow.json")) }
   reqs.override = { req("publishStream", slurp("override.json")) }
   reqs.deny = { req("publishStream", slurp("deny.json")) }
   reqs.oversized = { req("connect", slurp("big.json")) }
   reqs.malformed = {}
   for line in slurp("malformed.txt"):gmatch("[^\n]+") do
      table.insert(reqs.malformed, req("connect", line))
   end
   reply_allow = slurp("reply-allow.json")
   reply_override = slurp("reply-override.json")
   local mix = os.getenv("SOAK_MIX") or "35,30,20,10,5"
   local i = 1
   for w in mix:gmatch("%d+") do
      weights[i] = tonumber(w)
      total_weight = total_weight + weights[i]
      i = i + 1
   end
   assert(#weights == #kinds and total_weight > 0, "soak.lua: SOAK_MIX wants 5 weights")
   for _, k in ipairs(kinds) do sent[k] = 0 end
end

function request()
   local r = math.random(total_weight)
   local k
   for i, w in ipairs(weights) do
      if r <= w then k = kinds[i] break end
      r = r - w
   end
   sent[k] = sent[k] + 1
   local list = reqs[k]
   return list[#list == 1 and 1 or math.random(#list)]
end

local function fail(status, body)
   bad = bad + 1
   if #samples < 2000 then
      samples = samples .. string.format("  status %d, %d bytes: %q\n", status, #body,
         body:sub(1, 160))
   end
end

function response(status, headers, body)
   got[status] = (got[status] or 0) + 1
   if status == 200 then
      if body ~= reply_allow and body ~= reply_override then fail(status, body) end
   elseif status == 403 then
      if body ~= deny_body then fail(status, body) end
   elseif status == 400 then
      if body:sub(1, #bad_prefix) ~= bad_prefix then fail(status, body) end
   elseif status == 413 then
      if body ~= big_body then fail(status, body) end
   else
      fail(status, body)
   end
end

function done(summary, latency, requests)
   local s, g, nbad, text = {}, {}, 0, ""
   for _, k in ipairs(kinds) do s[k] = 0 end
   for _, t in ipairs(threads) do
      for k, n in pairs(t:get("sent")) do s[k] = s[k] + n end
      for st, n in pairs(t:get("got")) do g[st] = (g[st] or 0) + n end
      nbad = nbad + t:get("bad")
      text = text .. t:get("samples")
   end
   local sent_total, got_total = 0, 0
   local want = {}       -- status -> requests sent that expect it
   for _, k in ipairs(kinds) do
      sent_total = sent_total + s[k]
      local st = expect_status[k]
      want[st] = (want[st] or 0) + s[k]
   end
   io.write("kind       expect       sent\n")
   for _, k in ipairs(kinds) do
      io.write(string.format("%-10s %6d %10d\n", k, expect_status[k], s[k]))
   end
   io.write("status   received   expected at most\n")
   local over = 0
   local statuses = {}
   for st in pairs(g) do table.insert(statuses, st) end
   table.sort(statuses)
   for _, st in ipairs(statuses) do
      got_total = got_total + g[st]
      local w = want[st] or 0
      io.write(string.format("%6d %10d %10d\n", st, g[st], w))
      if g[st] > w and want[st] ~= nil then over = over + (g[st] - w) end
   end
   if text ~= "" then io.write("failing responses (first few):\n" .. text) end
   local e = summary.errors
   -- nbad responses are wrong for sure; `over` more answers carried some status than requests
   -- expecting it were sent. Both are lower bounds of the requests answered wrongly, and
   -- they may count the same response twice, so the larger one is reported.
   io.write(string.format(
      "SOAK sent=%d received=%d unexpected=%d bad_body=%d over=%d p50_us=%d p99_us=%d " ..
      "max_us=%d requests=%d connect=%d read=%d write=%d timeout=%d\n",
      sent_total, got_total, math.max(nbad, over), nbad, over, latency:percentile(50),
      latency:percentile(99), latency.max, summary.requests, e.connect, e.read, e.write,
      e.timeout))
end
