-- wrk: GET with the bench token.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
