-- wrk: POST a comment (the token comes from the environment).
wrk.method = "POST"
wrk.body = '{"body": "Benchmark comment with a realistic length of text in it."}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
