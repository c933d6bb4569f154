-- wrk: POST a comment to one of the 90 evidence requests with a linked mock ticket (the token comes from the environment).
wrk.method = "POST"
wrk.body = '{"body": "Benchmark comment with a realistic length of text in it."}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")

request = function()
  local r = math.random(10, 99)
  return wrk.format(nil, "/api/v1/orgs/00000000-0000-4000-8000-000000000050/evidence-requests/" ..
                         "00000000-0000-4000-9000-0000000500" .. r .. "/comments")
end
