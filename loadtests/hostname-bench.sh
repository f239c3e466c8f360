#!/usr/bin/env bash
# Measures the hostname service's Native AOT build: binary size, time from process start to the first 200,
# and resident memory while wrk loads it. Prints a markdown table.
#
# Usage: loadtests/hostname-bench.sh [publish-dir]        (default: /tmp/hostname-aot)
# Environment (all optional):
#   PORT=18888         loopback port to use; the script refuses to run if something already answers there
#   STARTS=5           process starts to time; the median is reported
#   DURATION=10s       wrk duration per load run
#   THREADS=2 CONNECTIONS=64   wrk threads and connections
#   REPUBLISH=1        publish again even if the binary already exists
# Only 127.0.0.1 is ever targeted, and every wait is bounded.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
publish_dir=${1:-/tmp/hostname-aot}
port=${PORT:-18888}
starts=${STARTS:-5}
duration=${DURATION:-10s}
threads=${THREADS:-2}
connections=${CONNECTIONS:-64}
url="http://127.0.0.1:${port}"
binary="${publish_dir}/Ingress.Hostname"

log() { printf '[hostname-bench] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

for tool in curl wrk; do command -v "$tool" >/dev/null || die "$tool is required (apt-get install $tool)"; done

if [[ ! -x "$binary" || "${REPUBLISH:-0}" == 1 ]]; then
  log "publishing Native AOT build to ${publish_dir}"
  dotnet publish "${repo_root}/src/Ingress.Hostname" -c Release -r linux-x64 -o "$publish_dir" >&2
fi
[[ -x "$binary" ]] || die "no binary at ${binary}"

if curl -s -o /dev/null --max-time 1 "$url/"; then
  die "something already answers on ${url}; set PORT to a free port"
fi

pid=
stop_server() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    # DrainDelay is 0 below, so a clean stop is quick; force it if not.
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  pid=
}
trap stop_server EXIT

# Starts the server in the background (stdout to $1), with extra settings after it; sets $pid.
start_server() {
  local stdout=$1; shift
  "$binary" --urls "$url" --Hostname:Name=bench --Hostname:DrainDelay=00:00:00 "$@" >"$stdout" 2>/dev/null &
  pid=$!
}

now_ns() { date +%s%N; }

# Polls until the first 200, at most 10 s; prints the milliseconds since $1 (a now_ns value).
wait_first_response_ms() {
  local started=$1 deadline=$(( $1 + 10000000000 ))
  while (( $(now_ns) < deadline )); do
    if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url/" || true) == 200 ]]; then
      echo $(( ($(now_ns) - started) / 1000000 ))
      return 0
    fi
  done
  return 1
}

rss_kb() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status" 2>/dev/null || true; }
mb() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# 1. Time to first response.
startup_ms=()
idle_rss_kb=()
for i in $(seq 1 "$starts"); do
  started=$(now_ns)
  start_server /dev/null --Hostname:LogRequests=false
  ms=$(wait_first_response_ms "$started") || die "no 200 within 10 s on start $i"
  startup_ms+=("$ms")
  idle_rss_kb+=("$(rss_kb "$pid" VmRSS)")
  stop_server
done
startup_median=$(printf '%s\n' "${startup_ms[@]}" | median)
idle_median=$(printf '%s\n' "${idle_rss_kb[@]}" | median)
log "startup ms: ${startup_ms[*]} (median ${startup_median})"

# 2. Memory and throughput under load. Prints one table row; $1 labels it, $2 is where the server's stdout goes.
load_row() {
  local label=$1 stdout=$2; shift 2
  local samples wrk_out rps p99 steady peak
  samples=$(mktemp)
  wrk_out=$(mktemp)
  start_server "$stdout" "$@"
  wait_first_response_ms "$(now_ns)" >/dev/null || die "server did not start for: $label"

  wrk -t"$threads" -c"$connections" -d"$duration" --latency "$url/" >"$wrk_out" 2>&1 &
  local wrk_pid=$!
  # Sample VmRSS every 0.5 s while wrk runs; wrk ends on its own after $duration, so this loop is bounded too.
  while kill -0 "$wrk_pid" 2>/dev/null; do
    rss_kb "$pid" VmRSS >>"$samples"
    sleep 0.5
  done
  wait "$wrk_pid" || die "wrk failed: $(cat "$wrk_out")"

  peak=$(rss_kb "$pid" VmHWM)
  # Steady state: the median of the samples taken in the second half of the run.
  steady=$(awk 'NF { v[++n] = $1 } END { for (i = int(n / 2) + 1; i <= n; i++) print v[i] }' "$samples" | median)
  rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$wrk_out")
  p99=$(awk '$1 == "99%" { print $2 }' "$wrk_out")
  stop_server
  rm -f "$samples" "$wrk_out"

  printf '| %s | %s | %s | %s | %s |\n' "$label" "$rps" "$p99" "$(mb "$steady")" "$(mb "$peak")"
}

size_bytes=$(stat -c %s "$binary")
echo
echo "### Ingress.Hostname, Native AOT (linux-x64), $(nproc) cores, wrk -t${threads} -c${connections} -d${duration} on 127.0.0.1"
echo
echo "| metric | value |"
echo "| --- | --- |"
printf '| binary size | %s MB |\n' "$(awk -v b="$size_bytes" 'BEGIN { printf "%.1f", b / 1048576 }')"
printf '| start to first 200 (median of %s) | %s ms (runs: %s) |\n' "$starts" "$startup_median" "${startup_ms[*]}"
printf '| RSS after first response (median) | %s MB |\n' "$(mb "$idle_median")"
echo
echo "| load | requests/s | p99 latency | steady RSS (MB) | peak RSS, VmHWM (MB) |"
echo "| --- | --- | --- | --- | --- |"
load_row "LogRequests=false" /dev/null --Hostname:LogRequests=false
load_row "LogRequests=true, stdout to /dev/null" /dev/null --Hostname:LogRequests=true
