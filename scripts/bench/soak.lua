-- wrk: the soak of issue 24 — 80 % thread GET, 20 % comment POST, over three threads with linked mock tickets
-- (org 50's requests 10–12), which grow by a comment and its echo per POST.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["Content-Type"] = "application/json"
local base = "/api/v1/orgs/00000000-0000-4000-8000-000000000050/evidence-requests/00000000-0000-4000-9000-0000000500"

request = function()
  local path = base .. math.random(10, 12) .. "/comments"
  if math.random() < 0.2 then
    return wrk.format("POST", path, nil, '{"body": "Soak comment with a realistic length of text in it."}')
  end
  return wrk.format("GET", path, nil, nil)
end
