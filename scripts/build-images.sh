#!/usr/bin/env bash
# Publishes the gateway and the hostname service on the host and builds their images from the
# Dockerfile's prebuilt targets, on the local base image (scripts/base-image.sh).
#
# Each image is tagged <repo>:<hash of its inputs> and <repo>:local. The inputs are the app's
# sources (src/ less the other app), the Dockerfile, .dockerignore, the root build files, this
# script, the SDK version and the base image ID. An app whose hash-tagged image exists is not
# published nor built again, so a second run takes seconds.
#
# Writes artifacts/images.env (GATEWAY_IMAGE=…, HOSTNAME_IMAGE=…) for up.sh and stack.yml.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

BASE_IMAGE=${BASE_IMAGE:-ingress-base:bookworm}
RID=linux-x64
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

#      name      project dir              image repo        target             extra publish flags
APPS=("gateway   src/Ingress.Gateway      ingress-gateway   gateway-prebuilt   --self-contained"
      "hostname  src/Ingress.Hostname     ingress-hostname  hostname-prebuilt")

command -v dotnet >/dev/null || die "the .NET 10 SDK is not installed (dotnet not on PATH)"
image_exists "$BASE_IMAGE" || die "$BASE_IMAGE is missing: run scripts/base-image.sh"
base_id=$("$DOCKER" image inspect -f '{{.Id}}' "$BASE_IMAGE")
sdk_version=$(cd "$REPO_ROOT" && dotnet --version)

# $1 = the app's project dir. Other apps' dirs are left out so that an edit to one app
# does not rebuild the other; anything else under src/ (a shared library) counts for both.
inputs_hash() {
  local own=$1 other prune=()
  for app in "${APPS[@]}"; do
    other=$(awk '{print $2}' <<<"$app")
    [ "$other" != "$own" ] && prune+=(-path "$other" -prune -o)
  done
  ( cd "$REPO_ROOT"
    printf 'base %s\nsdk %s\nrid %s\n' "$base_id" "$sdk_version" "$RID"
    find Dockerfile .dockerignore global.json Directory.* scripts/build-images.sh src \
         "${prune[@]}" -name bin -prune -o -name obj -prune -o -type f -print0 2>/dev/null |
      sort -z | xargs -0 sha256sum
  ) | sha256sum | cut -c1-12
}

build_app() {
  local name=$1 project=$2 repo=$3 target=$4; shift 4
  local hash tag out build_log
  hash=$(inputs_hash "$project")
  tag=$repo:$hash
  if image_exists "$tag"; then
    log "$tag is up to date"
  else
    out=$ARTIFACTS/publish/$name
    build_log=$ARTIFACTS/logs/build-$name.log
    mkdir -p "$ARTIFACTS/logs"
    rm -rf "$out"
    log "publishing $project ($RID $*)"
    # --artifacts-path keeps bin/ and obj/ out of src/, where developers build Debug in parallel.
    (cd "$REPO_ROOT" && dotnet publish "$project" -c Release -r "$RID" "$@" \
        --artifacts-path "$ARTIFACTS/build" -o "$out" -nologo -v q) >"$build_log" 2>&1 ||
      { tail -40 "$build_log" >&2; die "dotnet publish $project failed (full log: $build_log)"; }
    log "building $tag (--target $target)"
    (cd "$REPO_ROOT" && DOCKER_BUILDKIT=1 "$DOCKER" build --progress=plain \
        --target "$target" \
        --build-arg BASE_IMAGE="$BASE_IMAGE" \
        --build-arg "$(tr '[:lower:]' '[:upper:]' <<<"$name")_DIR=${out#"$REPO_ROOT"/}" \
        --label "ingress.inputs=$hash" \
        -t "$tag" .) >>"$build_log" 2>&1 ||
      { tail -40 "$build_log" >&2; die "docker build --target $target failed (full log: $build_log)"; }
  fi
  "$DOCKER" tag "$tag" "$repo:local"
  prune_old_tags "$repo" "$hash"
  printf '%s_IMAGE=%s\n' "$(tr '[:lower:]' '[:upper:]' <<<"$name")" "$tag" >>"$env_file.tmp"
}

# Older hash tags go, except while a container (a running task, or a stopped one that swarm
# keeps for rollback) still uses them: docker rmi without -f refuses those.
prune_old_tags() {
  local repo=$1 keep=$2 tag
  for tag in $("$DOCKER" image ls "$repo" --format '{{.Tag}}'); do
    [ "$tag" = "$keep" ] || [ "$tag" = local ] || [ "$tag" = "<none>" ] && continue
    if "$DOCKER" rmi "$repo:$tag" >/dev/null 2>&1; then log "removed unused $repo:$tag"; fi
  done
}

env_file=$ARTIFACTS/images.env
mkdir -p "$ARTIFACTS"
: >"$env_file.tmp"
for app in "${APPS[@]}"; do
  # shellcheck disable=SC2086 # the row is split into its fields on purpose
  build_app $app
done
mv "$env_file.tmp" "$env_file"
cat "$env_file"
