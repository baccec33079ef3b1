-- bench/post.lua -- wrk script: POST one fixed JSON body (a WCS hook) on every request.
--
--   BODY=bench/bodies/connect.json wrk -t1 -c32 -d10s --latency -s bench/post.lua \
--       http://127.0.0.1:PORT/apps/defaultApp/connect
--
-- Headers are those WCS's Java client sends. No per-response callback (it would slow wrk
-- down); `done` prints one machine-readable line for bench/run.sh:
--   WRK requests=N duration_us=N p50_us=N p90_us=N p99_us=N max_us=N non2xx=N
--       connect=N read=N write=N timeout=N bytes=N
local path = os.getenv("BODY")
if path == nil or path == "" then
   error("post.lua: set BODY to the request body file")
end
local f = assert(io.open(path, "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Accept"] = "application/json"
wrk.headers["Content-Type"] = "application/json;charset=UTF-8"
wrk.headers["User-Agent"] = "Java/1.8.0_111"
wrk.headers["Connection"] = "keep-alive"

done = function(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "WRK requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d " ..
      "connect=%d read=%d write=%d timeout=%d bytes=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, e.status, e.connect, e.read, e.write, e.timeout,
      summary.bytes))
end
