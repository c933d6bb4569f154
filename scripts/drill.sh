#!/usr/bin/env bash
# make drill: the fault drills alone (PostgreSQL outage, SIGTERM and SIGKILL under load), one summary line each.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/test-env.sh
python3 Tests/e2e/drill.py | tee test-output/drill.log
