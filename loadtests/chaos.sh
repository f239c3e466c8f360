#!/usr/bin/env bash
# Longer churn-under-load runs against the deployed stack (scripts/up.sh): steady open-model load through
# 127.0.0.1:8888 with the project's load runner while the swarm churns, failing on any failed request.
# The short versions of these run in the test suite (tests/Ingress.Swarm.Tests/Resilience).
#
#   loadtests/chaos.sh kill      # docker kill a hostname task every 15 s
#   loadtests/chaos.sh update    # docker service update --force (a full rolling update), twice
#   loadtests/chaos.sh scale     # scale 3 -> 1 -> 5 -> 3
#   loadtests/chaos.sh all       # the three in turn
#
# Environment: RATE (200 req/s), DURATION (60 s per scenario, at most 600), PORT (8888).
set -euo pipefail
cd "$(dirname "$0")/.."

RATE=${RATE:-200}
DURATION=${DURATION:-60}
PORT=${PORT:-8888}
SERVICE=ingress_hostname
DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || DOCKER=docker
[ "$DURATION" -le 600 ] || { echo "DURATION is capped at 600 s" >&2; exit 1; }

dotnet build -c Release loadtests/Ingress.LoadTests -v q -nologo >/dev/null
runner=(dotnet loadtests/Ingress.LoadTests/bin/Release/net10.0/Ingress.LoadTests.dll)

# Runs the load in the background, then the given churn function, then waits for the verdict.
churn() {
  local name=$1 action=$2
  echo "== $name: ${RATE} req/s for ${DURATION} s through 127.0.0.1:${PORT}" >&2
  "${runner[@]}" hostname-rotation --url "http://127.0.0.1:${PORT}/" --rate "$RATE" --connections 64 \
    --warmup 2s --duration "${DURATION}s" --max-failures 0 --results "results/chaos-$name-$(date -u +%Y%m%dT%H%M%SZ)" &
  local load=$!
  sleep 4
  "$action"
  wait "$load"
}

kill_tasks() {
  local deadline=$((SECONDS + DURATION - 8))
  while [ "$SECONDS" -lt "$deadline" ]; do
    id=$("$DOCKER" ps -q --filter "label=com.docker.swarm.service.name=$SERVICE" | head -1)
    [ -n "$id" ] && { echo "   docker kill $id" >&2; "$DOCKER" kill "$id" >/dev/null; }
    sleep 15
  done
}

rolling_updates() {
  for _ in 1 2; do
    echo "   docker service update --force $SERVICE" >&2
    "$DOCKER" service update --quiet --force "$SERVICE" >/dev/null
  done
}

scaling() {
  local step=$(((DURATION - 8) / 4))
  for n in 1 5 3; do
    echo "   docker service scale $SERVICE=$n" >&2
    "$DOCKER" service scale --detach "$SERVICE=$n" >/dev/null
    sleep "$step"
  done
}

case "${1:-all}" in
  kill) churn kill kill_tasks ;;
  update) churn update rolling_updates ;;
  scale) churn scale scaling ;;
  all) churn kill kill_tasks; churn update rolling_updates; churn scale scaling ;;
  *) sed -n '2,12p' "$0" >&2; exit 1 ;;
esac
"$DOCKER" service scale --detach "$SERVICE=3" >/dev/null
