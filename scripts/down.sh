#!/usr/bin/env bash
# Removes the stack and waits (bounded) until its containers and networks are gone, so that an
# up.sh right after starts clean. Leaves the swarm, the engine and the images.
#
# Environment: WAIT_SECONDS (60); STACK_NAME (ingress).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

WAIT_SECONDS=${WAIT_SECONDS:-60}
filter=label=com.docker.stack.namespace=$STACK_NAME

"$DOCKER" info >/dev/null 2>&1 || { log "no Docker engine running: nothing to remove"; exit 0; }

if "$DOCKER" stack ls --format '{{.Name}}' | grep -Fx "$STACK_NAME" >/dev/null; then
  log "removing stack $STACK_NAME"
  "$DOCKER" stack rm "$STACK_NAME" | sed 's/^/[down]   /' >&2
fi

# Tasks get stop_grace_period to drain before their containers go.
deadline=$((SECONDS + WAIT_SECONDS))
while [ -n "$("$DOCKER" ps -aq --filter "$filter")" ]; do
  [ "$SECONDS" -lt "$deadline" ] || {
    "$DOCKER" ps -a --filter "$filter" >&2
    die "the stack's containers are still there after ${WAIT_SECONDS}s"
  }
  sleep 1
done

# 'stack rm' tries each network once, and that fails while a task's endpoint is still being
# released: retry until the deadline.
while networks=$("$DOCKER" network ls -q --filter "$filter") && [ -n "$networks" ]; do
  # shellcheck disable=SC2086 # one ID per word
  "$DOCKER" network rm $networks >/dev/null 2>&1 || true
  [ -z "$("$DOCKER" network ls -q --filter "$filter")" ] && break
  [ "$SECONDS" -lt "$deadline" ] || {
    for net in $networks; do
      log "network $("$DOCKER" network inspect -f '{{.Name}}' "$net") still has: $("$DOCKER" network inspect -f '{{range .Containers}}{{.Name}} {{end}}' "$net")"
    done
    die "the stack's networks are still there after ${WAIT_SECONDS}s (a container outside the stack attached to them?)"
  }
  sleep 1
done
log "stack $STACK_NAME is down"
