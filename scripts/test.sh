#!/usr/bin/env bash
# Runs every test: unit, functional (real Kestrel on loopback) and end-to-end (a real dockerd, swarm and the
# ingress stack). It first brings everything up through scripts/up.sh, which installs what is missing.
#
#   scripts/test.sh                 # everything
#   scripts/test.sh --filter X      # extra arguments go to dotnet test
set -euo pipefail
cd "$(dirname "$0")/.."

# Tools the tests drive for real: Chromium (dashboard), Prometheus and promtool (metrics), nginx with its stream
# module (a TLS socket proxy in front of the Docker API), openssl, wrk, pebble (an ACME server, with its DNS stub
# pebble-challtestsrv, for the ACME client's tests); the swarm itself via up.sh.
scripts/engine.sh --packages wrk chromium prometheus nginx libnginx-mod-stream openssl pebble
scripts/up.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# One test project at a time (-m:1): the swarm tests churn containers, and timing assertions elsewhere should
# not share the two cores with them.
dotnet test Ingress.sln -c Release -m:1 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One closing line for the whole solution, summed over the test projects.
passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
echo
echo "$passed passed, $failed failed"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "no test ran" >&2
  exit 1
fi
exit "$status"
