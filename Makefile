# The two commands: `make run` starts the whole service; `make test` runs every test.
# Both install missing Debian packages and start what they need (PostgreSQL, nginx) themselves.
.PHONY: run test drill bench build deb clean

run:
	@bash scripts/run.sh

test:
	@bash scripts/test.sh

drill:
	@bash scripts/drill.sh

bench:
	@BENCH_SCALE=$(SCALE) bash scripts/bench.sh

build:
	swift build -c release

# The Debian package ticketsync_<version>_<arch>.deb in test-output/ (scripts/deb.sh; docs/operations.md).
deb:
	@bash scripts/deb.sh

clean:
	@bash scripts/pg.sh stop .run/pg || true
	rm -rf .run .build test-output
