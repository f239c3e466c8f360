#!/usr/bin/env bash
# Measures how fast the gateway becomes useful and how much memory it holds: time from process start to
# the first 200 through a static route and to /readyz answering 200, and the RSS right after. One hostname
# replica is the backend. Prints a markdown table; medians over several starts.
#
#   loadtests/gateway-startup.sh                                  # publishes into a temp dir first
#   loadtests/gateway-startup.sh --publish-dir /tmp/pub --no-publish --starts 9
#   loadtests/gateway-startup.sh --publish-dir /tmp/pub --no-publish -- DOTNET_TieredPGO=0 --Some:Setting=x
#
# Words after "--" are added to the gateway's start, as in compare.sh's --variant: VAR=value sets an
# environment variable, --Key=value adds a configuration argument. Only 127.0.0.1 is used; every wait is bounded.
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
COMMAND_LINE="loadtests/gateway-startup.sh$(printf ' %q' "$@")"
PUB=""
NO_PUBLISH=0
STARTS=7
RID=linux-x64
declare -a EXTRA_ENV=() EXTRA_ARGS=()

log() { printf '[gateway-startup] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

while [ $# -gt 0 ]; do
  case $1 in
    --publish-dir) PUB=${2:?--publish-dir needs a value}; shift 2 ;;
    --no-publish) NO_PUBLISH=1; shift ;;
    --starts) STARTS=${2:?--starts needs a value}; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    --) shift
        for word in "$@"; do
          case $word in
            --*) EXTRA_ARGS+=("$word") ;;
            *=*) EXTRA_ENV+=("$word") ;;
            *) die "'$word' after -- is neither VAR=value nor --Key=value" ;;
          esac
        done
        break ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ $STARTS =~ ^[0-9]+$ ]] && [ "$STARTS" -ge 1 ] && [ "$STARTS" -le 50 ] || die "--starts must be 1..50"
for tool in curl ss awk dotnet; do command -v "$tool" >/dev/null || die "$tool is not installed"; done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gateway-startup.XXXXXX")
[ -n "$PUB" ] || PUB=$WORK/publish
declare -a PIDS=()
cleanup() {
  local status=$? pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$NO_PUBLISH" = 0 ]; then
  log "publishing the hostname service (Native AOT) and the gateway ($RID, self-contained) into $PUB"
  dotnet publish "$ROOT/src/Ingress.Hostname" -c Release -r "$RID" -o "$PUB/hostname" >"$WORK/publish.log" 2>&1 \
    || { tail -20 "$WORK/publish.log" >&2; die "publishing src/Ingress.Hostname failed"; }
  dotnet publish "$ROOT/src/Ingress.Gateway" -c Release -r "$RID" --self-contained -o "$PUB/gateway" >"$WORK/publish.log" 2>&1 \
    || { tail -20 "$WORK/publish.log" >&2; die "publishing src/Ingress.Gateway failed"; }
fi
[ -x "$PUB/hostname/Ingress.Hostname" ] || die "$PUB/hostname/Ingress.Hostname is missing"
[ -x "$PUB/gateway/Ingress.Gateway" ] || die "$PUB/gateway/Ingress.Gateway is missing"

free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$(( 20000 + RANDOM % 10000 ))
    ss -Htan "sport = :$port" | grep -q . || { echo "$port"; return 0; }
  done
  die "no free loopback port found"
}

now_ns() { date +%s%N; }
# Polls url every 5 ms until it answers 200, at most 10 s; prints milliseconds since $2 (a now_ns value).
wait_200_ms() {
  local url=$1 started=$2 deadline=$(( $2 + 10000000000 ))
  while (( $(now_ns) < deadline )); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" 2>/dev/null || true)" = 200 ]; then
      echo $(( ($(now_ns) - started) / 1000000 ))
      return 0
    fi
    sleep 0.005
  done
  return 1
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

backend=$(free_port)
"$PUB/hostname/Ingress.Hostname" --urls "http://127.0.0.1:$backend" --Hostname:Name=replica-1 --Hostname:LogRequests=false \
  --Hostname:DrainDelay=00:00:00 --Logging:LogLevel:Default=Warning >"$WORK/backend.log" 2>&1 &
PIDS+=("$!")
wait_200_ms "http://127.0.0.1:$backend/" "$(now_ns)" >/dev/null || die "the hostname replica did not start"

first=() ready=() rss=()
for i in $(seq 1 "$STARTS"); do
  entry=$(free_port); admin=$(free_port)
  [ "$entry" != "$admin" ] || admin=$(free_port)
  started=$(now_ns)
  # From its own directory, as in the image (WORKDIR /app), so that its appsettings.json applies.
  bash -c 'cd "$0" && exec "$@"' "$PUB/gateway" env ASPNETCORE_ENVIRONMENT=Production "${EXTRA_ENV[@]}" "$PUB/gateway/Ingress.Gateway" \
    --Ingress:ListenAddress=127.0.0.1 --Ingress:EntryPorts:0="$entry" --Ingress:AdminPort="$admin" \
    --Logging:LogLevel:Default=Warning \
    --ReverseProxy:Routes:all:ClusterId=backends '--ReverseProxy:Routes:all:Match:Path={**catch-all}' \
    --ReverseProxy:Clusters:backends:Destinations:r1:Address="http://127.0.0.1:$backend/" \
    "${EXTRA_ARGS[@]}" >"$WORK/gateway-$i.log" 2>&1 &
  gateway=$!
  PIDS+=("$gateway")
  ms=$(wait_200_ms "http://127.0.0.1:$entry/" "$started") || { tail -20 "$WORK/gateway-$i.log" >&2; die "no 200 through the gateway within 10 s (start $i)"; }
  first+=("$ms")
  ms=$(wait_200_ms "http://127.0.0.1:$admin/readyz" "$started") || die "/readyz did not answer 200 within 10 s (start $i)"
  ready+=("$ms")
  rss+=("$(awk '/^VmRSS:/ { print $2 }' "/proc/$gateway/status")")
  kill -TERM "$gateway"
  for _ in $(seq 1 100); do kill -0 "$gateway" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$gateway" 2>/dev/null || true
  wait "$gateway" 2>/dev/null || true
  log "start $i: first 200 after ${first[-1]} ms, /readyz 200 after ${ready[-1]} ms, RSS $(( rss[-1] / 1024 )) MiB"
done

echo "### Gateway start-up: $(nproc) CPU(s), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "- Command: \`$COMMAND_LINE\`; $STARTS starts, one static route to one hostname replica"
echo "- Load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| measure | median | all starts |"
echo "|---|---:|---|"
echo "| process start → first 200 through the static route | $(printf '%s\n' "${first[@]}" | median) ms | ${first[*]} |"
echo "| process start → /readyz 200 | $(printf '%s\n' "${ready[@]}" | median) ms | ${ready[*]} |"
echo "| RSS right after (MiB) | $(printf '%s\n' "${rss[@]}" | median | awk '{ printf "%.1f", $1 / 1024 }') | $(for kb in "${rss[@]}"; do printf '%s ' $(( kb / 1024 )); done)|"
