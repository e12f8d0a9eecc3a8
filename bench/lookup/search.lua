-- wrk script: authenticated, purposeful searches of persons by phone number.
-- PHONES_FILE holds one phone number per line; TOKEN is an officer's session.
local phones = {}
local token = os.getenv("TOKEN")
for line in io.lines(os.getenv("PHONES_FILE")) do phones[#phones + 1] = line end
math.randomseed(os.time())

request = function()
  local phone = phones[math.random(#phones)]
  return wrk.format("POST", "/v1/persons/search", {
    ["Authorization"] = "Bearer " .. token,
    ["Warden-Purpose"] = "case/BENCH-1",
    ["Content-Type"] = "application/json",
  }, '{"phone":"' .. phone .. '"}')
end

response = function(status, headers, body)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
    wrk.thread:stop()
  end
end
