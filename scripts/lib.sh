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
