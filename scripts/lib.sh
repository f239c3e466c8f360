# Shared bits for the deployment scripts; sourced, never run.
# shellcheck shell=bash

# Debian's client: its built-in BuildKit skips stages a --target does not need,
# so a build never tries to pull the SDK image (the v28 client on PATH needs buildx).
DOCKER=${DOCKER:-/usr/bin/docker}
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STACK_NAME=${STACK_NAME:-ingress}
ARTIFACTS=${ARTIFACTS:-$REPO_ROOT/artifacts}

log() { printf '[%s] %s\n' "${LOG_TAG:-$(basename "$0" .sh)}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

image_exists() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

# The control channel's shared token (README, "Every node"): a swarm secret that stack.yml mounts into every gateway,
# created once per swarm from 32 random bytes and never printed. $@ = the docker command to run it with (for a lab node,
# the client with its -H). Rotating it: create a new secret and point stack.yml at it (secrets are immutable).
CONTROL_SECRET=${CONTROL_SECRET:-ingress-control-token}
ensure_control_secret() {
  "$@" secret inspect "$CONTROL_SECRET" >/dev/null 2>&1 && return 0
  head -c 32 /dev/urandom | base64 | tr -d '\n' | "$@" secret create "$CONTROL_SECRET" - >/dev/null ||
    die "cannot create the swarm secret $CONTROL_SECRET"
}
