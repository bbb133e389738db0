-- wrk script of `make bench`'s gateway figure (bench/bench.py, see bench/README.md).
--
--   wrk ... -s bench/wrk/gateway.lua URL -- signed PREFIX ORIGIN CLIENT
--       POSTs pre-signed copilot calls, each with its own timestamp and signature (signatures are single-use):
--       wrk thread N reads PREFIX-N.tsv, one call a line: `timestamp <TAB> signature <TAB> body`, and sends each line
--       once. Should a thread run out, it starts its file again and counts each such request as `exhausted` (those
--       are replays, which the function refuses with 401: caused by the bench, not by the system under test).
--   wrk ... -s bench/wrk/gateway.lua URL -- preflight ORIGIN
--       The same route's CORS preflight (OPTIONS with Origin and Access-Control-Request-Method): no signature, no
--       database work, answered by the function with 204.
--
-- Every response is counted by status (and, for the signed calls, a 200 whose envelope lacks "ok":true as
-- `not_ok`); done() prints one line `WRK_RESULT {json}` with the counts and wrk's latency percentiles in µs.

local threads = {}

function setup(thread)
   thread:set("id", #threads + 1)
   table.insert(threads, thread)
end

local mode, origin, client, calls, index
statuses, not_ok, exhausted = {}, 0, 0

function init(args)
   mode = args[1]
   if mode == "signed" then
      origin, client = args[3], args[4]
      calls = {}
      for line in io.lines(args[2] .. "-" .. id .. ".tsv") do
         local ts, sig, body = line:match("^(%d+)\t(%x+)\t(.+)$")
         if ts then calls[#calls + 1] = { ts, sig, body } end
      end
      if #calls == 0 then error("no pre-signed calls in " .. args[2] .. "-" .. id .. ".tsv") end
   elseif mode == "preflight" then
      origin = args[2]
      wrk.method = "OPTIONS"
      wrk.headers["Origin"] = origin
      wrk.headers["Access-Control-Request-Method"] = "POST"
      wrk.headers["Access-Control-Request-Headers"] = "content-type,x-signature,x-timestamp,x-client"
   else
      error("mode must be signed or preflight")
   end
   index = 0
end

function request()
   if mode == "preflight" then
      return wrk.format()
   end
   index = index + 1
   local call = calls[index]
   if call == nil then
      exhausted = exhausted + 1
      call = calls[(index - 1) % #calls + 1]
   end
   return wrk.format("POST", nil, {
      ["Host"] = wrk.headers["Host"],
      ["Content-Type"] = "application/json",
      ["Origin"] = origin,
      ["X-Client"] = client,
      ["X-Timestamp"] = call[1],
      ["X-Signature"] = call[2],
   }, call[3])
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if mode == "signed" and status == 200 and not string.find(body, '"ok":true', 1, true) then
      not_ok = not_ok + 1
   end
end

function done(summary, latency, requests)
   local total, nok, ex = {}, 0, 0
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("statuses")) do
         total[status] = (total[status] or 0) + count
      end
      nok = nok + thread:get("not_ok")
      ex = ex + thread:get("exhausted")
   end
   local parts = {}
   for status, count in pairs(total) do
      parts[#parts + 1] = string.format('"%d":%d', status, count)
   end
   local e = summary.errors
   io.write(string.format(
      'WRK_RESULT {"requests":%d,"duration_us":%d,"statuses":{%s},"not_ok":%d,"exhausted":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}}\n',
      summary.requests, summary.duration, table.concat(parts, ","), nok, ex,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
      latency.max, latency.mean))
end
