#!/usr/bin/env bash
# Every node, measured side by side in one run: requests/s and p99 through a WORKER's gateway (the follower, which
# reaches replicas on other nodes over the overlay), through the MANAGER's gateway of the same lab, and through the
# single-node stack on 127.0.0.1 (replicas local), interleaved round by round; then the followers' propagation lag
# (a change seen by the manager gateway -> routed by each worker gateway) and the gateways' memory.
#
#   loadtests/every-node.sh                      # wrk 10 s, c=64, 3 rounds; 10 lag samples
#   loadtests/every-node.sh --quick              # 3 s, 1 round, 4 lag samples: does it all work?
#   loadtests/every-node.sh --write-docs         # also replace the every-node section of docs/benchmarks.md
#
# Needs the single-node stack (scripts/up.sh) and wrk. Uses the lab if it is up (scripts/lab.sh); otherwise makes one
# (up 3, load, deploy) and removes it at the end (--keep leaves it).
set -Eeuo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB="$ROOT/scripts/lab.sh"
COMMAND_LINE="loadtests/every-node.sh$(printf ' %q' "$@")"
DURATION=10 ROUNDS=3 CONNECTIONS=64 LAG_SAMPLES=10 WRITE_DOCS=0 KEEP=0
DOCS="$ROOT/docs/benchmarks.md"
log() { printf '[every-node] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

while [ $# -gt 0 ]; do
  case $1 in
    --quick) DURATION=3 ROUNDS=1 LAG_SAMPLES=4 ;;
    --duration) DURATION=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --connections) CONNECTIONS=$2; shift ;;
    --lag-samples) LAG_SAMPLES=$2; shift ;;
    --write-docs) WRITE_DOCS=1 ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
# Bounds: no combination runs for hours.
[[ $DURATION =~ ^[0-9]+$ && $DURATION -ge 1 && $DURATION -le 120 ]] || die "--duration must be 1-120 s"
[[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -ge 1 && $ROUNDS -le 10 ]] || die "--rounds must be 1-10"
[[ $CONNECTIONS =~ ^[0-9]+$ && $CONNECTIONS -ge 1 && $CONNECTIONS -le 1000 ]] || die "--connections must be 1-1000"
[[ $LAG_SAMPLES =~ ^[0-9]+$ && $LAG_SAMPLES -ge 2 && $LAG_SAMPLES -le 50 ]] || die "--lag-samples must be 2-50"
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
curl -fsS --max-time 2 http://127.0.0.1:8888/ >/dev/null || die "the single-node stack does not answer on 127.0.0.1:8888: run scripts/up.sh"

made_lab=0
if ! bash "$LAB" nodes 2>/dev/null | grep -q "alive"; then
  log "no lab: making one (up 3, load, deploy)"
  bash "$LAB" up 3 >&2 && bash "$LAB" load >&2 && bash "$LAB" deploy >&2
  made_lab=1
fi
cleanup() { if [ "$made_lab" = 1 ] && [ "$KEEP" = 0 ]; then bash "$LAB" down >&2 || true; fi; }
trap cleanup EXIT
MANAGER=$(bash "$LAB" ip 1)
WORKER=$(bash "$LAB" ip 2)
for ip in "$MANAGER" "$WORKER"; do
  curl -fsS --max-time 2 "http://$ip:8888/" >/dev/null || die "the lab's node $ip does not answer on 8888"
done

rss_mib() { # $1 = node, $2 = service
  local id pid
  id=$(bash "$LAB" docker "$1" ps -q --filter "label=com.docker.swarm.service.name=$2")
  pid=$(bash "$LAB" docker "$1" inspect --format '{{.State.Pid}}' "$id")
  awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status"
}
idle_manager=$(rss_mib 1 ingress_gateway)
idle_worker=$(rss_mib 2 ingress_gateway-worker)

declare -A rps p99
targets=("single-node:127.0.0.1" "manager:$MANAGER" "worker:$WORKER")
for round in $(seq 1 "$ROUNDS"); do
  for entry in "${targets[@]}"; do
    name=${entry%%:*} ip=${entry#*:}
    wrk -t2 -c"$CONNECTIONS" -d1s "http://$ip:8888/" >/dev/null 2>&1 || true   # warm
    out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://$ip:8888/")
    r=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    l=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' <<<"$out")
    errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out")
    [ -z "$errors" ] || log "round $round $name: $errors"
    rps[$name]+="$r " p99[$name]+="$l "
    log "round $round $name: $r req/s, p99 $l ms"
  done
done
busy_manager=$(rss_mib 1 ingress_gateway)
busy_worker=$(rss_mib 2 ingress_gateway-worker)

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
log "propagation lag: $LAG_SAMPLES scale changes"
lags=$(LAB="$LAB" python3 "$ROOT/loadtests/every-node/lag.py" "$LAG_SAMPLES" "$MANAGER" "$WORKER" "$(bash "$LAB" ip 3)")
lag_values=$(awk '{for (i = 2; i <= NF; i++) print $i - $1}' <<<"$lags")
lag_median=$(median <<<"$lag_values")
lag_max=$(sort -g <<<"$lag_values" | tail -1)
seen_median=$(awk '{print $1}' <<<"$lags" | median)

single_rps=$(median <<<"${rps[single-node]}") manager_rps=$(median <<<"${rps[manager]}") worker_rps=$(median <<<"${rps[worker]}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
report=$(cat <<MD
<!-- every-node:start -->
Measured $(date -u '+%Y-%m-%d %H:%M UTC') on this machine ($(nproc) cores), with \`$COMMAND_LINE\`: wrk, ${DURATION} s runs at
c=$CONNECTIONS, $ROUNDS interleaved round(s), medians. The lab is \`scripts/lab.sh up 3\` (one dockerd per network namespace on
this same machine: a manager and two workers, 3 hostname replicas, one per node), so a request through a node's gateway
goes to a replica on another node two times in three, over the VXLAN overlay; the single-node stack's replicas are local.

| Through | req/s | p99 | vs single-node |
|---|---:|---:|---:|
| single-node stack (127.0.0.1:8888) | $single_rps | $(median <<<"${p99[single-node]}") ms | 1.00× |
| lab, manager's gateway (discovers) | $manager_rps | $(median <<<"${p99[manager]}") ms | $(ratio "$manager_rps" "$single_rps")× |
| lab, worker's gateway (follows) | $worker_rps | $(median <<<"${p99[worker]}") ms | $(ratio "$worker_rps" "$single_rps")× |

**Propagation lag**, over $LAG_SAMPLES scale changes (3↔4 replicas), polling every gateway's \`/api/state\` every 10 ms: the
manager gateway routed the change a median $seen_median ms after \`docker service scale\` returned (a new task has to
start and pass its health check first; the manager gateway re-lists tasks every second); each worker gateway routed it a
median **$lag_median ms** later than the manager gateway (max $lag_max ms).

**Memory** (VmRSS of the gateway process): the manager's gateway $idle_manager MiB idle, $busy_manager MiB after the load;
the worker's gateway (a follower) **$idle_worker MiB** idle, $busy_worker MiB after the load.
<!-- every-node:end -->
MD
)
printf '%s\n' "$report"
if [ "$WRITE_DOCS" = 1 ]; then
  python3 - "$DOCS" <<PY
import sys
path = sys.argv[1]
text = open(path).read()
new = """$report"""
start, end = '<!-- every-node:start -->', '<!-- every-node:end -->'
if start in text and end in text:
    text = text[:text.index(start)] + new + text[text.index(end) + len(end):]
else:
    text = text.rstrip() + '\n\n## Every node\n\n' + new + '\n'
open(path, 'w').write(text)
PY
  log "wrote the every-node section of $DOCS"
fi
