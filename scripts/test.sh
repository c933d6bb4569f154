#!/usr/bin/env bash
# make test: build, start a throwaway PostgreSQL, migrate, then run the Swift unit and integration tests, the
# end-to-end, contract and browser tests (which start their own responders and nginx on loopback), and the drills.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf test-output
. scripts/test-env.sh

log "no trap reachable from input (scripts/check-traps.py)"
python3 scripts/check-traps.py Sources | tee test-output/check-traps.log

log "Swift unit and integration tests"
swift test --skip-build 2>&1 | tee test-output/swift-test.log

log "end-to-end, contract and browser tests through nginx"
python3 -m pytest Tests/e2e -q -p no:cacheprovider --junitxml=test-output/e2e.xml

log "fault drills"
python3 Tests/e2e/drill.py | tee test-output/drill.log
