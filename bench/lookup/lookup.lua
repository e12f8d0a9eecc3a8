-- wrk script: authenticated, purposeful look-ups of random persons by
-- national ID. IDS_FILE holds one ID per line; TOKEN is an officer's session.
local ids = {}
local token = os.getenv("TOKEN")
for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line end
math.randomseed(os.time())

request = function()
  local id = ids[math.random(#ids)]
  return wrk.format("GET", "/v1/persons/" .. id, {
    ["Authorization"] = "Bearer " .. token,
    ["Warden-Purpose"] = "case/BENCH-1",
  })
end

response = function(status, headers, body)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
    wrk.thread:stop()
  end
end
