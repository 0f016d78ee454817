-- wrk script for benchmarks/throughput.py: POST /api/v3/data/ with pre-generated Web SDK bodies.
--
--   wrk -t1 -c16 -d10s --latency -s braze_data.lua http://127.0.0.1:PORT -- BODIES_FILE RUN_ID API_KEY
--
-- BODIES_FILE holds one JSON body per line (written by throughput.py). Every "@@UID@@" in a line
-- is replaced per request by a 12-hex-digit id unique to this run, thread and request, so each
-- request carries a distinct device id and session id (the emulator's state does real work).
-- The HTTP head is pre-built per body: request() is one table.concat, cheap enough that wrk's
-- own CPU stays low on a 2-core machine. API_KEY `@body`: each body's own "api_key" goes in the header
-- (bodies spread over several apps: fleet_throughput.py). done() prints one machine-readable line for the caller.

local PLACEHOLDER = "@@UID@@"
local PATH = "/api/v3/data/"

local next_tid = 0

function setup(thread)
   thread:set("tid", next_tid)
   next_tid = next_tid + 1
end

local requests_by_body = {}
local counter = 0
local run_id = 0

local function split_plain(s, sep)
   local parts, from = {}, 1
   while true do
      local i, j = string.find(s, sep, from, true)
      if not i then
         parts[#parts + 1] = string.sub(s, from)
         return parts
      end
      parts[#parts + 1] = string.sub(s, from, i - 1)
      from = j + 1
   end
end

function init(args)
   local bodies_file, api_key = args[1], args[3]
   run_id = tonumber(args[2]) or 0
   local host = wrk.host .. (wrk.port and (":" .. wrk.port) or "")
   local fh = assert(io.open(bodies_file, "r"))
   for line in fh:lines() do
      if #line > 0 then
         local segments = split_plain(line, PLACEHOLDER)
         local body_len = #line - (#segments - 1) * (#PLACEHOLDER - 12)
         -- the headers the Web SDK sends on a flush (docs/web-sdk-wire.md, request-headers)
         local head = "POST " .. PATH .. " HTTP/1.1\r\n"
            .. "Host: " .. host .. "\r\n"
            .. "Content-Type: application/json\r\n"
            .. "X-Requested-With: XMLHttpRequest\r\n"
            .. "X-Braze-Api-Key: " .. (api_key == "@body" and string.match(line, '"api_key":"([^"]+)"') or api_key) .. "\r\n"
            .. "X-Braze-Last-Req-Ms-Ago: 10044\r\n"
            .. "X-Braze-Req-Attempt: 1\r\n"
            .. "Origin: http://127.0.0.1:18011\r\n"
            .. "User-Agent: Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/156.0.0.0 Safari/537.36\r\n"
            .. "Content-Length: " .. body_len .. "\r\n\r\n"
         segments[1] = head .. segments[1]
         requests_by_body[#requests_by_body + 1] = segments
      end
   end
   fh:close()
   assert(#requests_by_body > 0, "no bodies in " .. bodies_file)
end

function request()
   counter = counter + 1
   local segments = requests_by_body[(counter % #requests_by_body) + 1]
   local uid = string.format("%02x%02x%08x", run_id % 256, tid % 256, counter)
   return table.concat(segments, uid)
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, '
         .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
         .. '"latency_us": {"min": %d, "mean": %.1f, "stdev": %.1f, "p50": %d, "p75": %d, "p90": %d, '
         .. '"p99": %d, "p999": %d, "max": %d}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency.mean, latency.stdev,
      latency:percentile(50), latency:percentile(75), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9), latency.max))
end
