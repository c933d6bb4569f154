-- wrk: the signed inbound webhook (body and signature prepared by bench.py).
wrk.method = "POST"
wrk.body = os.getenv("BENCH_WEBHOOK_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Signature"] = os.getenv("BENCH_WEBHOOK_SIGNATURE")
