#!/usr/bin/env bash
# Builds the local base image (the runtime-deps equivalent of the prebuilt path)
# with debootstrap + docker import, because no registry is reachable here.
# Cached: does nothing while an image with the same recipe exists. --force rebuilds.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

BASE_IMAGE=${BASE_IMAGE:-ingress-base:bookworm}
SUITE=bookworm
PACKAGES=libicu72,libssl3,ca-certificates,tzdata
APP_UID=1654   # same uid/name as the 'app' user of mcr.microsoft.com/dotnet/runtime-deps

# A change to the recipe must produce a new base (and so new app images).
recipe="$SUITE $PACKAGES app:$APP_UID v1"
recipe_hash=$(printf '%s' "$recipe" | sha256sum | cut -c1-12)

if [ "${1:-}" != "--force" ] && image_exists "$BASE_IMAGE" &&
   [ "$("$DOCKER" image inspect -f '{{index .Config.Labels "ingress.base.recipe"}}' "$BASE_IMAGE")" = "$recipe_hash" ]; then
  log "$BASE_IMAGE is up to date"
  exit 0
fi

# The mirror apt already uses: it is the one known to be reachable.
mirror_of() { # $1 = path suffix the URI ends with (debian | debian-security)
  { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'
    grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}'
  } 2>/dev/null | grep -E "/$1/?\$" | head -1 | sed 's#/$##' || true
}
MIRROR=${DEBIAN_MIRROR:-$(mirror_of debian)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-$(mirror_of debian-security)}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}

command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap)"

root=$(mktemp -d /tmp/ingress-base.XXXXXX)
build_log=$root.log
trap 'rm -rf "$root"' EXIT
in_root() { chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive "$@" >>"$build_log" 2>&1 ||
  { tail -30 "$build_log" >&2; die "'$*' failed in the new root (full log: $build_log)"; }; }

log "debootstrap $SUITE from $MIRROR (minbase + $PACKAGES)"
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" "$MIRROR" >"$build_log" 2>&1 ||
  { tail -30 "$build_log" >&2; die "debootstrap failed (full log: $build_log)"; }

# Security and point-release updates: a base without them would ship a stale libssl3.
cat >"$root/etc/apt/sources.list" <<SOURCES
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
SOURCES
log "applying $SUITE-updates and $SUITE-security"
apt_opts=(-qq -o APT::Sandbox::User=root)   # the chroot has no _apt-readable dirs yet
in_root apt-get "${apt_opts[@]}" update
in_root apt-get "${apt_opts[@]}" -y upgrade
in_root apt-get clean
in_root groupadd --system --gid "$APP_UID" app
in_root useradd --no-log-init --system --uid "$APP_UID" --gid app --create-home --shell /usr/sbin/nologin app
rm -f "$build_log"

# Docker provides these at run time; caches and docs only weigh.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/* \
       "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/*
: >"$root/etc/resolv.conf"
: >"$root/etc/hostname"

old_id=$("$DOCKER" image inspect -f '{{.Id}}' "$BASE_IMAGE" 2>/dev/null || true)
log "importing $BASE_IMAGE"
tar -C "$root" --numeric-owner -c . | "$DOCKER" import \
  --change "ENV APP_UID=$APP_UID DOTNET_RUNNING_IN_CONTAINER=true LANG=C.UTF-8" \
  --change "LABEL ingress.base.recipe=$recipe_hash org.opencontainers.image.description=\"Debian $SUITE minbase + $PACKAGES, user app ($APP_UID)\"" \
  --change 'CMD ["bash"]' \
  - "$BASE_IMAGE" >/dev/null
log "$BASE_IMAGE built ($("$DOCKER" image inspect -f '{{.Size}}' "$BASE_IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
# The replaced base is ours and now untagged; it stays if anything still uses it.
if [ -n "$old_id" ]; then "$DOCKER" rmi "$old_id" >/dev/null 2>&1 || true; fi
