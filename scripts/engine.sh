#!/usr/bin/env bash
# Brings up a local Docker engine and a single-node swarm, idempotently.
# Used by up.sh, test.sh and CI; safe to run again at any time.
set -euo pipefail

DOCKER=/usr/bin/docker   # Debian's client: its BuildKit skips unused stages without buildx.
log() { printf '[engine] %s\n' "$*" >&2; }

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

if [ "${1:-}" = "--packages" ]; then shift; apt_install "$@"; exit 0; fi

apt_install docker.io

if ! "$DOCKER" info >/dev/null 2>&1; then
  log "starting dockerd"
  mkdir -p /var/log
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do "$DOCKER" info >/dev/null 2>&1 && break; sleep 0.5; done
  "$DOCKER" info >/dev/null 2>&1 || { log "dockerd did not start; see /var/log/dockerd.log"; tail -20 /var/log/dockerd.log >&2; exit 1; }
fi

state=$("$DOCKER" info --format '{{.Swarm.LocalNodeState}}')
if [ "$state" != "active" ]; then
  log "initialising a single-node swarm"
  "$DOCKER" swarm init --advertise-addr 127.0.0.1 >/dev/null
fi
log "engine $("$DOCKER" version --format '{{.Server.Version}}') with an active swarm"
