#!/usr/bin/env bash
# One command from a fresh Debian 12 machine (root, .NET 10 SDK on PATH) to the deployed stack:
# engine and swarm, build tools, base image, app images, stack deploy, then a check that every
# hostname replica answers through the gateway on 127.0.0.1:8888.
# Idempotent; when nothing changed it only checks, in seconds.
#
# Environment: WAIT_SECONDS (120) bounds the wait for the stack; STACK_NAME (ingress).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

WAIT_SECONDS=${WAIT_SECONDS:-120}
ENTRY_URL=http://127.0.0.1:8888/
ADMIN_URL=http://127.0.0.1:8080
started=$SECONDS
step() { log "[$1/7] $2"; }

# The one prerequisite up.sh cannot install: only Debian's archive, NuGet and npm are reachable.
command -v dotnet >/dev/null || die "the .NET 10 SDK is not installed: put dotnet on PATH (see global.json)"

step 1 "engine and swarm"
"$REPO_ROOT/scripts/engine.sh"

step 2 "build tools"
# clang + lld link the Native AOT executables (the gateway and the hostname service); debootstrap makes the base image.
"$REPO_ROOT/scripts/engine.sh" --packages clang lld zlib1g-dev debootstrap curl

step 3 "base image"
"$REPO_ROOT/scripts/base-image.sh"

step 4 "app images"
"$REPO_ROOT/scripts/build-images.sh" >/dev/null
# shellcheck source=/dev/null
. "$ARTIFACTS/images.env"
export GATEWAY_IMAGE HOSTNAME_IMAGE
log "images: $GATEWAY_IMAGE $HOSTNAME_IMAGE"

step 5 "stack deploy"
# The control channel's token (a swarm secret the stack mounts into every gateway), created once.
ensure_control_secret "$DOCKER"
"$DOCKER" stack deploy --prune --resolve-image never -c "$REPO_ROOT/stack.yml" "$STACK_NAME" |
  sed "s/^/[up]   /" >&2

services=("${STACK_NAME}_hostname" "${STACK_NAME}_gateway")

diagnose() {
  for svc in "${services[@]}"; do
    printf '\n--- docker service ps --no-trunc %s\n' "$svc"
    "$DOCKER" service ps --no-trunc "$svc" 2>&1 | head -20
    printf -- '--- update status of %s: %s\n' "$svc" \
      "$("$DOCKER" service inspect -f '{{with .UpdateStatus}}{{.State}}: {{.Message}}{{else}}none{{end}}' "$svc" 2>&1)"
    printf -- '--- docker service logs --tail 20 %s\n' "$svc"
    "$DOCKER" service logs --no-trunc --tail 20 "$svc" 2>&1 | tail -20
  done
  printf -- '\n--- %s/api/state\n' "$ADMIN_URL"
  curl -sS --max-time 3 "$ADMIN_URL/api/state" 2>&1 | head -c 3000
  echo
} >&2
fail() { log "FAILED: $*"; diagnose; exit 1; }

deadline=$((SECONDS + WAIT_SECONDS))

# A service has converged when its spec still names the image we deployed (a failed update
# rolls back to the previous one), no update or rollback is under way, and every task meant to
# run is on that image and running, which with a health check means healthy.
converged() { # $1 = service, $2 = image
  local spec_image state tasks replicas
  spec_image=$("$DOCKER" service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "$1" 2>/dev/null) ||
    fail "service $1 does not exist"
  state=$("$DOCKER" service inspect -f '{{with .UpdateStatus}}{{.State}}{{end}}' "$1")
  [ "$spec_image" = "$2" ] || fail "$1 is back on $spec_image instead of $2: its update failed and was rolled back"
  case $state in
    paused) fail "the update of $1 is paused" ;;
    updating|rollback_started) return 1 ;;
  esac
  tasks=$("$DOCKER" service ps "$1" --filter desired-state=running --format '{{.Image}} {{.CurrentState}}')
  [ -n "$tasks" ] || return 1
  if grep -qv "^$2 Running" <<<"$tasks"; then return 1; fi
  replicas=$("$DOCKER" service ls --filter "name=$1" --format '{{.Name}} {{.Replicas}}' | awk -v s="$1" '$1 == s {print $2}')
  [[ $replicas =~ ^([0-9]+)/([0-9]+) ]] && [ "${BASH_REMATCH[2]}" -gt 0 ] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]
}

step 6 "waiting up to ${WAIT_SECONDS}s for every hostname replica to answer through $ENTRY_URL"
until converged "${STACK_NAME}_hostname" "$HOSTNAME_IMAGE" && converged "${STACK_NAME}_gateway" "$GATEWAY_IMAGE"; do
  [ "$SECONDS" -lt "$deadline" ] || fail "the services did not converge within ${WAIT_SECONDS}s"
  sleep 2
done
replicas=$("$DOCKER" service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' "${STACK_NAME}_hostname")

# Round-robin over N replicas: 4N requests see all of them once the gateway routes to all.
while :; do
  declare -A seen=()
  for _ in $(seq 1 $((replicas * 4))); do
    body=$(curl -fsS --max-time 2 "$ENTRY_URL" 2>/dev/null) && [ -n "$body" ] && seen[$body]=1
  done
  [ "${#seen[@]}" -ge "$replicas" ] && break
  [ "$SECONDS" -lt "$deadline" ] ||
    fail "only ${#seen[@]} of $replicas replicas answered through $ENTRY_URL within ${WAIT_SECONDS}s: ${!seen[*]}"
  unset seen
  sleep 2
done
log "all $replicas replicas answer through the gateway"

step 7 "rotation"
echo "\$ for i in \$(seq 1 6); do curl -s 127.0.0.1:8888; echo; done"
for _ in $(seq 1 6); do curl -s --max-time 2 127.0.0.1:8888; echo; done
log "stack '$STACK_NAME' is up ($((SECONDS - started))s)"
