#!/usr/bin/env bash
# Head-to-head benchmark: Ingress against nginx, HAProxy and Caddy, each round-robining over the
# same three hostname replicas, plus wrk straight at one replica as the baseline. Everything runs
# on 127.0.0.1, from our own config files in a temp dir, and is stopped on exit.
#
#   loadtests/compare.sh --quick                      # 2 s runs, 1 round: a smoke check
#   loadtests/compare.sh                              # 10 s runs, 3 interleaved rounds, c = 16 64 256
#   loadtests/compare.sh --only "ingress nginx" --connections "64" --write-docs
#   loadtests/compare.sh --only "ingress nginx" --variant "jit: @/tmp/jit-publish" --variant "nometrics: --Ingress:Telemetry:RequestMetrics=false"
#   loadtests/compare.sh --tls --connections "64 256" --variant "yarp-only: --Ingress:Transport:Relay=false"
#
# With --tls, Ingress, nginx and HAProxy each also terminate TLS (one self-signed ECDSA P-256 certificate for all
# three): every proxy is measured over HTTPS and over cleartext in the same run, and new TLS connections per second
# (a full handshake per request, resumption refused by all three) are measured on top.
set -Eeuo pipefail
trap 'printf "[compare] error: unexpected failure at line %s: %s\n" "$LINENO" "$BASH_COMMAND" >&2' ERR

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TEMPLATES="$ROOT/loadtests/compare"
COMMAND_LINE="loadtests/compare.sh$(printf ' %q' "$@")"

DURATION=10
WARMUP=2
PREWARM=10
ROUNDS=3
CONNECTIONS="16 64 256"
ONLY="ingress nginx haproxy caddy"
THREADS=2
OUT=""
WRITE_DOCS=0
DOCS="$ROOT/docs/benchmarks.md"
PUBLISH_DIR=""
NO_PUBLISH=0
KEEP=0
RID=linux-x64
IDLE=0
TLS=0
HANDSHAKE_CONNECTIONS=64
HANDSHAKE_PREWARM=""
declare -a VARIANTS=()
declare -a WRK_HEADERS=()

# Hard bounds, so no combination of options runs for hours.
MAX_DURATION=300
MAX_WARMUP=60
MAX_PREWARM=120
MAX_ROUNDS=10
MAX_CONNECTIONS=10000
MAX_IDLE=20000

usage() {
  cat <<EOF
usage: loadtests/compare.sh [options]

  --duration S         seconds per measured wrk run (default $DURATION, max $MAX_DURATION)
  --warmup S           seconds of unmeasured wrk before each run (default $WARMUP, max $MAX_WARMUP; 0 skips)
  --prewarm S          seconds of unmeasured wrk at the largest c for each target once, before round 1, so
                       that no round measures start-up work such as JIT (default $PREWARM, max $MAX_PREWARM; 0 skips)
  --rounds N           interleaved rounds; medians are taken over them (default $ROUNDS, max $MAX_ROUNDS)
  --connections "..."  wrk connection counts (default "$CONNECTIONS")
  --only "..."         proxies to run, from: ingress nginx haproxy caddy (default all);
                       direct, the baseline, always runs
  --variant "NAME: ..." also run the gateway as target ingress-NAME, with these words added to its start:
                       VAR=value sets an environment variable (e.g. DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0),
                       --Key=value adds a configuration argument (e.g. --Ingress:Telemetry:RequestMetrics=false), and
                       @DIR runs the gateway published in DIR instead (e.g. the JIT build, published with
                       -p:PublishAot=false); repeatable, for side-by-side experiments. @R1@, @R2@ and @R3@ in
                       a word stand for the replicas' ports (an auth service for a variant's forward auth). Some GC settings of the
                       Native AOT build are fixed when it is published: DOTNET_gcServer and DOTNET_GCgen0MaxBudget
                       do not reach it; DOTNET_GCgen0size, DOTNET_GCConserveMemory and DOTNET_GCRegionSize
                       (hexadecimal values, as the runtime reads them) do
  --header "N: v"      send this header with every request (wrk's runs, and curl's checks before them) to every
                       target (repeatable), e.g. the credentials a variant's basic auth asks for
  --quick              2 s runs, 1 s warm-up, 2 s pre-warm, 1 round: a fast check that everything works
  --out FILE           markdown report (default results/compare-<UTC timestamp>.md)
  --write-docs         also replace the <!-- compare:start --> ... <!-- compare:end --> section of
                       docs/benchmarks.md (with --tls: <!-- compare-tls:start --> ... <!-- compare-tls:end -->;
                       markers are added if missing)
  --docs FILE          the file --write-docs edits (default docs/benchmarks.md)
  --publish-dir DIR    publish the hostname service and the gateway here and keep them
  --no-publish         reuse what --publish-dir already holds
  --tls                also terminate TLS in Ingress (a TLS entry port), nginx and HAProxy with one self-signed
                       ECDSA P-256 certificate, and measure each proxy over HTTPS as well as over cleartext; then
                       full TLS handshakes per second, one request per connection (Caddy is left out)
  --handshake-connections N
                       wrk connections for the handshake runs of --tls (default $HANDSHAKE_CONNECTIONS; 0 skips them)
  --handshake-prewarm S
                       seconds of unmeasured one-request connections per target and scheme before round 1 with
                       --tls (default: --prewarm's; max $MAX_PREWARM). The gateway's connection path is JIT-compiled
                       slowly under a handshake load; a longer pre-warm measures it closer to its steady state
  --idle N             after the rounds, hold N idle keep-alive connections to each proxy (each carried one request)
                       and report the resident set before and while holding them, per connection (max $MAX_IDLE)
  --keep               keep the temp dir (configs, logs, raw wrk output)
  -h, --help           this text
EOF
}

log() { printf '[compare] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

while [ $# -gt 0 ]; do
  case $1 in
    --duration) DURATION=${2:?--duration needs a value}; shift 2 ;;
    --warmup) WARMUP=${2:?--warmup needs a value}; shift 2 ;;
    --prewarm) PREWARM=${2:?--prewarm needs a value}; shift 2 ;;
    --rounds) ROUNDS=${2:?--rounds needs a value}; shift 2 ;;
    --connections) CONNECTIONS=${2:?--connections needs a value}; shift 2 ;;
    --only) ONLY=${2:?--only needs a value}; shift 2 ;;
    --variant) VARIANTS+=("${2:?--variant needs a value}"); shift 2 ;;
    --header) [[ ${2:?--header needs a value} =~ ^[A-Za-z0-9-]+:\ ?[^[:cntrl:]]*$ ]] || die "--header '$2' must look like \"Name: value\""
      WRK_HEADERS+=(-H "$2"); shift 2 ;;
    --quick) DURATION=2; WARMUP=1; PREWARM=2; ROUNDS=1; shift ;;
    --out) OUT=${2:?--out needs a value}; shift 2 ;;
    --write-docs) WRITE_DOCS=1; shift ;;
    --docs) DOCS=${2:?--docs needs a value}; shift 2 ;;
    --publish-dir) PUBLISH_DIR=${2:?--publish-dir needs a value}; shift 2 ;;
    --no-publish) NO_PUBLISH=1; shift ;;
    --idle) IDLE=${2:?--idle needs a value}; shift 2 ;;
    --tls) TLS=1; shift ;;
    --handshake-connections) HANDSHAKE_CONNECTIONS=${2:?--handshake-connections needs a value}; shift 2 ;;
    --handshake-prewarm) HANDSHAKE_PREWARM=${2:?--handshake-prewarm needs a value}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done

is_uint "$DURATION" && [ "$DURATION" -ge 1 ] && [ "$DURATION" -le $MAX_DURATION ] || die "--duration must be 1..$MAX_DURATION seconds, not '$DURATION'"
is_uint "$WARMUP" && [ "$WARMUP" -le $MAX_WARMUP ] || die "--warmup must be 0..$MAX_WARMUP seconds, not '$WARMUP'"
is_uint "$PREWARM" && [ "$PREWARM" -le $MAX_PREWARM ] || die "--prewarm must be 0..$MAX_PREWARM seconds, not '$PREWARM'"
is_uint "$ROUNDS" && [ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le $MAX_ROUNDS ] || die "--rounds must be 1..$MAX_ROUNDS, not '$ROUNDS'"
is_uint "$IDLE" && [ "$IDLE" -le $MAX_IDLE ] || die "--idle must be 0..$MAX_IDLE connections, not '$IDLE'"
[ -n "$HANDSHAKE_PREWARM" ] || HANDSHAKE_PREWARM=$PREWARM
is_uint "$HANDSHAKE_PREWARM" && [ "$HANDSHAKE_PREWARM" -le $MAX_PREWARM ] || die "--handshake-prewarm must be 0..$MAX_PREWARM seconds, not '$HANDSHAKE_PREWARM'"
is_uint "$HANDSHAKE_CONNECTIONS" && [ "$HANDSHAKE_CONNECTIONS" -le $MAX_CONNECTIONS ] || die "--handshake-connections must be 0..$MAX_CONNECTIONS, not '$HANDSHAKE_CONNECTIONS'"
[ -n "${CONNECTIONS// /}" ] || die "--connections needs at least one count"
if [ "$TLS" = 1 ]; then
  # Caddy has no TLS configuration here; left out of the default list, refused when asked for.
  [ "$ONLY" = "ingress nginx haproxy caddy" ] && ONLY="ingress nginx haproxy"
  [[ " $ONLY " != *" caddy "* ]] || die "--tls: Caddy has no TLS configuration in compare.sh; leave it out of --only"
  [ "$IDLE" = 0 ] || die "--tls and --idle do not go together (the idle connections are cleartext)"
fi
MAX_C=0
for c in $CONNECTIONS; do
  is_uint "$c" && [ "$c" -ge 1 ] && [ "$c" -le $MAX_CONNECTIONS ] || die "--connections: '$c' must be 1..$MAX_CONNECTIONS"
  [ "$c" -gt "$MAX_C" ] && MAX_C=$c
done
TARGETS="direct"
for t in $ONLY; do
  case " ingress nginx haproxy caddy " in
    *" $t "*) [[ " $TARGETS " == *" $t "* ]] || TARGETS="$TARGETS $t" ;;
    *) [ "$t" = direct ] || die "--only: unknown target '$t'; choose from: ingress nginx haproxy caddy" ;;
  esac
done
[ "$NO_PUBLISH" = 0 ] || [ -n "$PUBLISH_DIR" ] || die "--no-publish needs --publish-dir DIR"
declare -A VARIANT=()
for v in "${VARIANTS[@]}"; do
  [[ $v =~ ^([a-z0-9][a-z0-9-]*):(.*)$ ]] || die "--variant '$v' must look like \"name: VAR=value --Key=value\""
  name=${BASH_REMATCH[1]}; words=${BASH_REMATCH[2]}
  [ -z "${VARIANT[$name]:-}" ] || die "--variant: '$name' was given twice"
  for word in $words; do
    [[ $word =~ ^[A-Za-z_][A-Za-z0-9_]*=.*$ || $word =~ ^--[A-Za-z].*$ || $word =~ ^@/.+$ ]] \
      || die "--variant $name: '$word' is neither VAR=value, --Key=value nor @/publish/dir"
  done
  VARIANT[$name]=" $words"
  [[ " $TARGETS " == *" ingress "* ]] || TARGETS="$TARGETS ingress"
  TARGETS="$TARGETS ingress-$name"
done

[ "$TLS" = 0 ] || command -v openssl >/dev/null || die "--tls needs openssl"
for tool in wrk curl ss awk dotnet; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
for t in $TARGETS; do
  case $t in
    nginx) command -v nginx >/dev/null || die "nginx is not installed (apt-get install nginx)" ;;
    haproxy) command -v haproxy >/dev/null || die "haproxy is not installed (apt-get install haproxy)" ;;
    caddy) command -v caddy >/dev/null || die "caddy is not installed (apt-get install caddy)" ;;
  esac
done

STAMP=$(date -u +%Y%m%d-%H%M%S)
[ -n "$OUT" ] || OUT="$ROOT/results/compare-$STAMP.md"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ingress-compare.XXXXXX")
PUB=${PUBLISH_DIR:-$WORK/publish}
declare -a PIDS=()
WRK_PID=""
declare -A PORT=() TLS_PORT=() PID=() SKIPPED=()

# Stop only what this script started, by pid: TERM first, KILL after a bounded wait.
cleanup() {
  local status=$? pid i
  trap - EXIT INT TERM
  [ -n "$WRK_PID" ] && kill -TERM "$WRK_PID" 2>/dev/null
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for i in $(seq 1 50); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A loopback port no socket uses and that this run has not handed out yet, picked below the
# kernel's ephemeral range so that the clients' own outgoing connections cannot take it first.
declare -A TAKEN=()
EPHEMERAL_LOW=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
PORT_LOW=10000
PORT_SPAN=$(( EPHEMERAL_LOW - PORT_LOW - 1 ))
[ "$PORT_SPAN" -ge 1000 ] || { PORT_LOW=20000; PORT_SPAN=10000; }
next_port() {
  local port=$(( PORT_LOW + (RANDOM * 32768 + RANDOM) % PORT_SPAN )) tries
  for tries in $(seq 1 500); do
    if [ -z "${TAKEN[$port]:-}" ] && ! ss -Htan "sport = :$port" | grep -q .; then
      TAKEN[$port]=1
      echo "$port"
      return 0
    fi
    port=$(( port + 1 ))
  done
  die "no free loopback port found"
}

# Waits (bounded) until url answers 200 with a body starting "replica-"; fails early if pid died.
wait_ready() {
  local name=$1 url=$2 pid=$3 i body
  for i in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || return 1
    body=$(curl -sk "${WRK_HEADERS[@]}" --max-time 1 -w '\n%{http_code}' "$url" 2>/dev/null || true)
    if [ "${body##*$'\n'}" = 200 ] && [[ $body == replica-* ]]; then return 0; fi
    sleep 0.1
  done
  log "$name did not answer 200 from $url within 15 s"
  return 1
}

start() { # name logfile command...
  local name=$1 logfile=$2; shift 2
  "$@" >"$logfile" 2>&1 &
  PID[$name]=$!
  PIDS+=("$!")
}

render() { # work-dir port template output [tls-port]: fills in the @PLACEHOLDERS@ of a config template
  sed -e "s|@WORK@|$1|g" -e "s|@PORT@|$2|g" -e "s|@R1@|${BACKENDS[0]}|g" -e "s|@R2@|${BACKENDS[1]}|g" -e "s|@R3@|${BACKENDS[2]}|g" \
      -e "s|@USER@|$NGINX_USER|g" -e "s|@MAXCONN@|$HAPROXY_MAXCONN|g" \
      -e "s|@TLSPORT@|${5:-}|g" -e "s|@CERT@|${CERTS:-}/site.crt|g" -e "s|@KEY@|${CERTS:-}/site.key|g" \
      -e "s|@NGINX_SSL_LISTEN@|${NGINX_SSL_LISTEN:-}|g" -e "s|@NGINX_HTTP2@|${NGINX_HTTP2:-}|g" \
      -e "s|@TLS12_CIPHERS@|$TLS12_CIPHERS|g" -e "s|@TLS13_SUITES@|$TLS13_SUITES|g" "$3" >"$4"
}

# The suites Ingress offers (src/Ingress.Gateway/Tls/TlsHandshake.cs, Mozilla's "intermediate" set), in OpenSSL's
# names, so that nginx and HAProxy negotiate from the same list.
TLS12_CIPHERS="ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
TLS13_SUITES="TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

# One self-signed ECDSA P-256 certificate for every TLS listener of the run, in the run's temp dir. The gateway reads
# the folder (site.crt and its site.key); HAProxy wants certificate and key in one file.
make_certificate() {
  CERTS="$WORK/certs"
  mkdir -p "$CERTS"
  ( umask 077
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
      -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$CERTS/site.key" -out "$CERTS/site.crt" \
      >"$WORK/openssl-req.log" 2>&1 ) || { cat "$WORK/openssl-req.log" >&2; die "openssl could not make the test certificate"; }
  chmod 600 "$CERTS/site.key"
  chmod 644 "$CERTS/site.crt"
  mkdir -p "$WORK/haproxy"
  ( umask 077; cat "$CERTS/site.crt" "$CERTS/site.key" >"$WORK/haproxy/site.pem" )
  # nginx 1.25.1 moved HTTP/2 from a listen parameter to the http2 directive.
  local version
  version=$(nginx -v 2>&1 | sed -n 's|.*nginx/\([0-9.]*\).*|\1|p')
  if [ -n "$version" ] && [ "$(printf '%s\n1.25.1\n' "$version" | sort -V | head -1)" = 1.25.1 ]; then
    NGINX_SSL_LISTEN="ssl"; NGINX_HTTP2="http2 on;"
  else
    NGINX_SSL_LISTEN="ssl http2"; NGINX_HTTP2=""
  fi
}

skip() { # target reason
  SKIPPED[$1]=$2
  log "skipping $1: $2"
}

publish() {
  if [ "$NO_PUBLISH" = 1 ]; then
    [ -x "$PUB/hostname/Ingress.Hostname" ] || die "--no-publish: $PUB/hostname/Ingress.Hostname is missing"
    if [[ " $TARGETS " == *" ingress "* ]] && [ ! -x "$PUB/gateway/Ingress.Gateway" ]; then
      skip ingress "--no-publish: $PUB/gateway/Ingress.Gateway is missing"
    fi
    return
  fi
  mkdir -p "$PUB"
  log "publishing the hostname service (Native AOT); this takes a minute"
  dotnet publish "$ROOT/src/Ingress.Hostname" -c Release -r linux-x64 -o "$PUB/hostname" >"$WORK/publish-hostname.log" 2>&1 \
    || { tail -20 "$WORK/publish-hostname.log" >&2; die "publishing src/Ingress.Hostname failed"; }
  if [[ " $TARGETS " == *" ingress "* ]]; then
    log "publishing the gateway (Native AOT); this takes a minute or two"
    # As scripts/build-images.sh publishes it for the image: self-contained for linux-x64.
    if ! dotnet publish "$ROOT/src/Ingress.Gateway" -c Release -r "$RID" --self-contained -o "$PUB/gateway" >"$WORK/publish-gateway.log" 2>&1; then
      grep -E ' error ' "$WORK/publish-gateway.log" | sort -u | head -5 >&2 || true
      skip ingress "dotnet publish src/Ingress.Gateway failed"
    fi
  fi
}

start_replicas() {
  local i port
  BACKENDS=()
  for i in 1 2 3; do
    port=$(next_port)
    BACKENDS+=("$port")
    # No drain delay: at exit the replicas should stop at once, not serve 503s for 5 s.
    start "replica-$i" "$WORK/replica-$i.log" "$PUB/hostname/Ingress.Hostname" --urls "http://127.0.0.1:$port" \
      --Hostname:Name="replica-$i" --Hostname:LogRequests=false --Hostname:DrainDelay=00:00:00 --Logging:LogLevel:Default=Warning
  done
  for i in 1 2 3; do
    wait_ready "replica-$i" "http://127.0.0.1:${BACKENDS[$((i - 1))]}/" "${PID[replica-$i]}" \
      || { tail -20 "$WORK/replica-$i.log" >&2; die "hostname replica $i did not start"; }
  done
  PORT[direct]=${BACKENDS[0]}
  PID[direct]=${PID[replica-1]}
}

start_ingress() { # [target name, default ingress]
  local name=${1:-ingress} port admin word dir="$PUB/gateway"
  local -a env=(ASPNETCORE_ENVIRONMENT=Production) args=()
  for word in ${VARIANT[${name#ingress-}]:-}; do
    [ "$name" = ingress ] && break
    word=${word//@R1@/${BACKENDS[0]}}; word=${word//@R2@/${BACKENDS[1]}}; word=${word//@R3@/${BACKENDS[2]}}
    case $word in
      @*) dir=${word#@} ;;
      --*) args+=("$word") ;;
      *) env+=("$word") ;;
    esac
  done
  port=$(next_port); admin=$(next_port)
  PORT[$name]=$port
  if [ "$TLS" = 1 ]; then
    TLS_PORT[$name]=$(next_port)
    # A TLS entry port serving the routes of the plain one, with the run's certificate as the default for every name;
    # session resumption off, as for nginx and HAProxy here, so that every new connection is a full handshake.
    args+=(--Ingress:Tls:Ports:0:Port="${TLS_PORT[$name]}" --Ingress:Tls:CertificatesPath="$CERTS" --Ingress:Tls:DefaultCertificate=site.crt
      --Ingress:Tls:SessionResumption=false)
  fi
  local gateway=("$dir/Ingress.Gateway")
  [ -x "${gateway[0]}" ] || gateway=(dotnet "$dir/Ingress.Gateway.dll")
  # From its own directory, as in the image (WORKDIR /app), so that its appsettings.json applies.
  start "$name" "$WORK/$name.log" bash -c 'cd "$0" && exec "$@"' "$dir" env "${env[@]}" "${gateway[@]}" \
    --Ingress:ListenAddress=127.0.0.1 --Ingress:EntryPorts:0="$port" --Ingress:AdminPort="$admin" \
    --Logging:LogLevel:Default=Warning \
    --ReverseProxy:Routes:all:ClusterId=backends '--ReverseProxy:Routes:all:Match:Path={**catch-all}' \
    --ReverseProxy:Clusters:backends:Destinations:r1:Address="http://127.0.0.1:${BACKENDS[0]}/" \
    --ReverseProxy:Clusters:backends:Destinations:r2:Address="http://127.0.0.1:${BACKENDS[1]}/" \
    --ReverseProxy:Clusters:backends:Destinations:r3:Address="http://127.0.0.1:${BACKENDS[2]}/" \
    "${args[@]}"
}

start_nginx() {
  local dir="$WORK/nginx"
  mkdir -p "$dir/tmp"
  PORT[nginx]=$(next_port)
  render "$dir" "${PORT[nginx]}" "$TEMPLATES/nginx.conf.template" "$dir/nginx.conf"
  if [ "$TLS" = 1 ]; then
    TLS_PORT[nginx]=$(next_port)
    # nginx.conf.template includes $dir/tls-*.conf.
    render "$dir" "${PORT[nginx]}" "$TEMPLATES/nginx-tls.conf.template" "$dir/tls-server.conf" "${TLS_PORT[nginx]}"
  fi
  start nginx "$WORK/nginx.log" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
}

start_haproxy() {
  local dir="$WORK/haproxy"
  mkdir -p "$dir"
  PORT[haproxy]=$(next_port)
  render "$dir" "${PORT[haproxy]}" "$TEMPLATES/haproxy.cfg.template" "$dir/haproxy.cfg"
  if [ "$TLS" = 1 ]; then
    TLS_PORT[haproxy]=$(next_port)
    render "$dir" "${PORT[haproxy]}" "$TEMPLATES/haproxy-tls.cfg.template" "$dir/haproxy-tls.cfg" "${TLS_PORT[haproxy]}"
    cat "$dir/haproxy-tls.cfg" >>"$dir/haproxy.cfg"
  fi
  start haproxy "$WORK/haproxy.log" haproxy -db -f "$dir/haproxy.cfg"
}

start_caddy() {
  local dir="$WORK/caddy"
  mkdir -p "$dir/data" "$dir/config"
  PORT[caddy]=$(next_port)
  render "$dir" "${PORT[caddy]}" "$TEMPLATES/Caddyfile.template" "$dir/Caddyfile"
  # Caddy keeps state under XDG dirs; point them here rather than at the user's home.
  XDG_DATA_HOME="$dir/data" XDG_CONFIG_HOME="$dir/config" start caddy "$WORK/caddy.log" \
    caddy run --config "$dir/Caddyfile" --adapter caddyfile
}

# Sends a few requests through a proxy and checks that all three replicas answer.
check_rotation() { # target [base url, default its cleartext port]
  local name=$1 url=${2:-http://127.0.0.1:${PORT[$1]}/} names i
  names=$(for i in $(seq 1 30); do curl -sk "${WRK_HEADERS[@]}" --max-time 2 "$url"; echo; done | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')
  log "$name rotation over 30 requests: $names"
  [ "$(wc -w <<<"$names")" -ge 3 ] || log "warning: $name did not reach all three replicas"
}

# VmRSS (or the /proc/PID/status field given, e.g. RssAnon) in kB of a process, plus its children (nginx workers); 0 if gone.
rss_kb() {
  local pid=$1 field=${2:-VmRSS} total=0 kb child
  for child in "$pid" $(pgrep -P "$pid" 2>/dev/null || true); do
    kb=$(awk -v f="$field:" '$1 == f {print $2}' "/proc/$child/status" 2>/dev/null || echo 0)
    total=$(( total + ${kb:-0} ))
  done
  echo "$total"
}

# CPU time (user + system, in clock ticks) used so far by a process plus its children (nginx workers).
cpu_ticks() {
  local pid=$1 total=0 ticks child
  for child in "$pid" $(pgrep -P "$pid" 2>/dev/null || true); do
    ticks=$(awk '{ print $14 + $15 }' "/proc/$child/stat" 2>/dev/null || echo 0)
    total=$(( total + ${ticks:-0} ))
  done
  echo "$total"
}
TICKS_PER_SECOND=$(getconf CLK_TCK 2>/dev/null || echo 100)
WRK_BOUND=$(( (DURATION > PREWARM ? DURATION : PREWARM) + 60 ))
[ "$HANDSHAKE_PREWARM" -le "$PREWARM" ] || WRK_BOUND=$(( (DURATION > HANDSHAKE_PREWARM ? DURATION : HANDSHAKE_PREWARM) + 60 ))

process_count() {
  local children
  children=$(pgrep -cP "$1" 2>/dev/null) || children=0
  echo $(( 1 + children ))
}

# Parses wrk --latency output into: rps p50_ms p99_ms errors requests
parse_wrk() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return v * 0.001
      if (v ~ /ms$/) return v + 0
      if (v ~ /s$/)  return v * 1000
      if (v ~ /m$/)  return v * 60000
      if (v ~ /h$/)  return v * 3600000
      return v + 0
    }
    /^Requests\/sec:/ { rps = $2 }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /requests in/ { requests = $1 }
    /Socket errors:/ { gsub(/,/, ""); errors += $4 + $6 + $8 + $10 }
    /Non-2xx or 3xx responses:/ { errors += $5 }
    END { printf "%s %.3f %.3f %d %d\n", rps + 0, p50, p99, errors, requests }
  ' "$1"
}

# wrk in the background plus wait, so that TERM or INT reach the cleanup trap at once rather than after the run.
run_wrk() { # output wrk-args...
  local output=$1 status=0
  shift
  # wrk stops itself after -d; the timeout only bounds a wrk that hangs (TERM, then KILL 5 s later).
  timeout -k 5 "$WRK_BOUND" wrk "${WRK_HEADERS[@]}" "$@" >"$output" 2>&1 &
  WRK_PID=$!
  wait "$WRK_PID" || status=$?
  WRK_PID=""
  return $status
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ---------------------------------------------------------------------------------------------

# What is measured: each target over cleartext, and with --tls each proxy also over TLS ("name+tls").
PLANNED=$(( $(wc -w <<<"$TARGETS") * (TLS + 1) - TLS ))
RUNS=$(( ROUNDS * $(wc -w <<<"$CONNECTIONS") * PLANNED ))
HANDSHAKE_RUNS=0
[ "$TLS" = 1 ] && [ "$HANDSHAKE_CONNECTIONS" -gt 0 ] && HANDSHAKE_RUNS=$(( ROUNDS * 2 * ($(wc -w <<<"$TARGETS") - 1) ))
log "targets: $TARGETS$([ "$TLS" = 1 ] && echo ", each proxy over TLS and cleartext"); connections: $CONNECTIONS; $ROUNDS round(s) of ${DURATION}s (+${WARMUP}s warm-up)"
log "about $(( ((RUNS + HANDSHAKE_RUNS) * (DURATION + WARMUP) + PLANNED * PREWARM + HANDSHAKE_RUNS / ROUNDS * HANDSHAKE_PREWARM) / 60 + 1 )) minute(s) of load in $(( RUNS + HANDSHAKE_RUNS )) runs; work dir $WORK"

NGINX_USER=""
[ "$(id -u)" = 0 ] && NGINX_USER="user root;"
# Idle connections need a descriptor each in the client and the proxy (which inherit this shell's limit).
if [ "$IDLE" -gt 0 ] && [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $(( 2 * IDLE + 1024 )) ]; then
  ulimit -n $(( 2 * IDLE + 1024 )) 2>/dev/null || die "--idle $IDLE needs ulimit -n $(( 2 * IDLE + 1024 )) (run as root, or raise the hard limit)"
fi
# HAProxy refuses to start when maxconn needs more descriptors than the limit allows (two per connection).
NOFILE=$(ulimit -n)
[ "$NOFILE" = unlimited ] && NOFILE=1048576
HAPROXY_MAXCONN=$(( (NOFILE - 200) / 2 ))
[ "$HAPROXY_MAXCONN" -gt 20000 ] && HAPROXY_MAXCONN=20000
[ "$HAPROXY_MAXCONN" -ge $(( MAX_C + 64 )) ] || die "ulimit -n $NOFILE is too low for $MAX_C connections through a proxy"

# Before any load: each TLS listener answers over TLS with HTTP/1.1 (what wrk speaks) and says which protocol and
# suite it negotiates and which ALPN it picks for a client offering h2; a session from a first connection must not
# be resumed by a second one, or the handshake runs would measure resumptions for some and full handshakes for others.
# Fails the run when a listener does not answer or resumes; a listener without h2 is only reported.
declare -A TLS_INFO=()
check_tls() { # target
  local name=$1 port=${TLS_PORT[$1]} body alpn brief protocol suite reuse request
  body=$(curl -sk --http1.1 --max-time 5 -w '\n%{http_code} %{http_version}' "https://127.0.0.1:$port/" 2>&1) || true
  [ "${body##*$'\n'}" = "200 1.1" ] && [[ $body == replica-* ]] \
    || die "$name does not answer 200 over HTTPS with HTTP/1.1 on port $port: $(tail -c 200 <<<"$body")"
  alpn=$(curl -sk --http2 --max-time 5 -o /dev/null -w '%{http_version}' "https://127.0.0.1:$port/" 2>/dev/null) || alpn="?"
  case $alpn in 2) alpn=h2 ;; 1.1) alpn=http/1.1 ;; esac
  [ "$alpn" = h2 ] || log "warning: $name picked $alpn, not h2, for a client offering h2 and http/1.1"
  brief=$(timeout 10 openssl s_client -brief -connect "127.0.0.1:$port" -alpn http/1.1 </dev/null 2>&1) || true
  protocol=$(sed -n 's/^Protocol version: *//p' <<<"$brief" | head -1)
  suite=$(sed -n 's/^Ciphersuite: *//p' <<<"$brief" | head -1)
  [ -n "$protocol" ] || die "openssl s_client could not complete a TLS handshake with $name on port $port: $(tail -c 300 <<<"$brief")"
  # TLS 1.3 sends its tickets after the handshake: the first connection carries a whole request so that they arrive.
  request=$'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
  rm -f "$WORK/session-$name.pem"
  timeout 10 openssl s_client -quiet -connect "127.0.0.1:$port" -alpn http/1.1 -sess_out "$WORK/session-$name.pem" \
    <<<"$request" >/dev/null 2>&1 || true
  reuse=New
  if [ -s "$WORK/session-$name.pem" ]; then
    reuse=$(timeout 10 openssl s_client -connect "127.0.0.1:$port" -alpn http/1.1 -sess_in "$WORK/session-$name.pem" -ign_eof \
      <<<"$request" 2>/dev/null) || true
    reuse=$(sed -n 's/^\(New\|Reused\), .*/\1/p' <<<"$reuse" | head -1)
  fi
  [ "$reuse" = New ] || die "$name resumed a TLS session ($reuse): the handshake runs would not compare full handshakes"
  TLS_INFO[$name]="$protocol|$suite|$alpn"
  log "$name over TLS (port $port): $protocol, $suite, ALPN $alpn for h2+http/1.1 offered; a second connection with the first one's session: full handshake"
}

publish
[ "$TLS" = 1 ] && make_certificate
start_replicas
for t in $TARGETS; do
  [ "$t" = direct ] && continue
  [ -n "${SKIPPED[$t]:-}" ] && continue
  case $t in ingress-*) start_ingress "$t" ;; *) "start_$t" ;; esac
  if ! wait_ready "$t" "http://127.0.0.1:${PORT[$t]}/" "${PID[$t]}"; then
    tail -15 "$WORK/$t.log" >&2 || true
    skip "$t" "did not start or did not proxy to the replicas (see its log with --keep)"
    kill -TERM "${PID[$t]}" 2>/dev/null || true
    continue
  fi
  check_rotation "$t"
  if [ "$TLS" = 1 ]; then
    if ! wait_ready "$t over TLS" "https://127.0.0.1:${TLS_PORT[$t]}/" "${PID[$t]}"; then
      tail -15 "$WORK/$t.log" >&2 || true
      die "$t started but does not answer over TLS on port ${TLS_PORT[$t]} (see its log with --keep)"
    fi
    check_tls "$t"
    check_rotation "$t over TLS" "https://127.0.0.1:${TLS_PORT[$t]}/"
  fi
done

ACTIVE=""
for t in $TARGETS; do [ -z "${SKIPPED[$t]:-}" ] && ACTIVE="$ACTIVE $t"; done
ACTIVE=${ACTIVE# }
MEASURES=""
TLS_MEASURES=""
for t in $ACTIVE; do
  if [ "$TLS" = 1 ] && [ "$t" != direct ]; then
    MEASURES="$MEASURES $t+tls"
    TLS_MEASURES="$TLS_MEASURES $t+tls"
  fi
  MEASURES="$MEASURES $t"
done
MEASURES=${MEASURES# }
TLS_MEASURES=${TLS_MEASURES# }
url_of() { # measure
  case $1 in
    *+tls) echo "https://127.0.0.1:${TLS_PORT[${1%+tls}]}/" ;;
    *) echo "http://127.0.0.1:${PORT[$1]}/" ;;
  esac
}

if [ "$PREWARM" -gt 0 ]; then
  for m in $MEASURES; do
    log "pre-warming $m: ${PREWARM}s at c=$MAX_C"
    run_wrk /dev/null -t"$(( MAX_C < THREADS ? MAX_C : THREADS ))" -c"$MAX_C" -d"${PREWARM}s" "$(url_of "$m")" || true
  done
fi
# The connection path (accept, the handshake, connection set-up) is code a keep-alive load hardly runs: warm it too.
if [ "$TLS" = 1 ] && [ "$HANDSHAKE_CONNECTIONS" -gt 0 ] && [ "$HANDSHAKE_PREWARM" -gt 0 ]; then
  for m in $MEASURES; do
    [ "$m" = direct ] && continue
    log "pre-warming $m: ${HANDSHAKE_PREWARM}s of new connections at c=$HANDSHAKE_CONNECTIONS"
    run_wrk /dev/null -t"$(( HANDSHAKE_CONNECTIONS < THREADS ? HANDSHAKE_CONNECTIONS : THREADS ))" -c"$HANDSHAKE_CONNECTIONS" \
      -d"${HANDSHAKE_PREWARM}s" -H "Connection: close" "$(url_of "$m")" || true
  done
fi

# TCP connections this network namespace has opened so far (the kernel's ActiveOpens): in a handshake run it should
# grow by one per request, which shows that wrk opened a new connection (so a new TLS session) for each.
active_opens() { awk '/^Tcp:/ { if (!seen) { for (i = 1; i <= NF; i++) if ($i == "ActiveOpens") col = i; seen = 1 } else print $col }' /proc/net/snmp; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
RESULTS="$WORK/results.tsv"   # round c measure rps p50 p99 errors requests cpu-us-per-request
RSS="$WORK/rss.tsv"           # round measure kb processes
HANDSHAKES="$WORK/handshakes.tsv"   # round c measure handshakes/s errors requests cpu-us-per-handshake tcp-opens-per-request
: >"$RESULTS"; : >"$RSS"; : >"$HANDSHAKES"
for round in $(seq 1 "$ROUNDS"); do
  for c in $CONNECTIONS; do
    threads=$(( c < THREADS ? c : THREADS ))
    for t in $MEASURES; do
      url=$(url_of "$t")
      if [ "$WARMUP" -gt 0 ]; then
        run_wrk /dev/null -t"$threads" -c"$c" -d"${WARMUP}s" "$url" || true
      fi
      raw="$WORK/wrk-r$round-c$c-$t.txt"
      ticks_before=$(cpu_ticks "${PID[${t%+tls}]}")
      run_wrk "$raw" -t"$threads" -c"$c" -d"${DURATION}s" --timeout 5s --latency "$url" || log "wrk failed for $t at c=$c (see $raw)"
      ticks_after=$(cpu_ticks "${PID[${t%+tls}]}")
      read -r rps p50 p99 errors requests < <(parse_wrk "$raw")
      # The proxy's own CPU per request: what throughput on a shared machine comes down to, and steadier than req/s.
      cpu_us=$(awk -v t=$(( ticks_after - ticks_before )) -v hz="$TICKS_PER_SECOND" -v n="$requests" 'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "nan" }')
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$c" "$t" "$rps" "$p50" "$p99" "$errors" "$requests" "$cpu_us" >>"$RESULTS"
      log "round $round/$ROUNDS c=$c $t: $rps req/s, p50 $p50 ms, p99 $p99 ms, errors $errors, proxy CPU $cpu_us us/request"
      if [ "$c" = "$MAX_C" ]; then
        printf '%s\t%s\t%s\t%s\t%s\n' "$round" "$t" "$(rss_kb "${PID[${t%+tls}]}")" "$(process_count "${PID[${t%+tls}]}")" \
          "$(rss_kb "${PID[${t%+tls}]}" RssAnon)" >>"$RSS"
      fi
    done
  done
  # New connections: "Connection: close" on every request, so wrk closes after each answer and connects again.
  # wrk would resume the TLS session (it keeps it across reconnects with SSL_clear); the check above made sure that
  # no listener resumes, so each TLS connection is a full handshake (ECDHE and an ECDSA signature on the server).
  # The same over cleartext separates the handshake from what any new connection costs each proxy.
  if [ "$TLS" = 1 ] && [ "$HANDSHAKE_CONNECTIONS" -gt 0 ]; then
    c=$HANDSHAKE_CONNECTIONS
    threads=$(( c < THREADS ? c : THREADS ))
    for t in $MEASURES; do
      [ "$t" = direct ] && continue
      url=$(url_of "$t")
      if [ "$WARMUP" -gt 0 ]; then
        run_wrk /dev/null -t"$threads" -c"$c" -d"${WARMUP}s" -H "Connection: close" "$url" || true
      fi
      raw="$WORK/wrk-r$round-handshakes-c$c-$t.txt"
      ticks_before=$(cpu_ticks "${PID[${t%+tls}]}")
      opens_before=$(active_opens)
      run_wrk "$raw" -t"$threads" -c"$c" -d"${DURATION}s" --timeout 5s -H "Connection: close" "$url" || log "wrk failed for $t handshakes (see $raw)"
      opens_after=$(active_opens)
      ticks_after=$(cpu_ticks "${PID[${t%+tls}]}")
      read -r rps p50 p99 errors requests < <(parse_wrk "$raw")
      cpu_us=$(awk -v t=$(( ticks_after - ticks_before )) -v hz="$TICKS_PER_SECOND" -v n="$requests" 'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "nan" }')
      opens=$(awk -v o=$(( opens_after - opens_before )) -v n="$requests" 'BEGIN { if (n > 0) printf "%.2f", o / n; else print "nan" }')
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$c" "$t" "$rps" "$errors" "$requests" "$cpu_us" "$opens" >>"$HANDSHAKES"
      log "round $round/$ROUNDS new connections c=$c $t: $rps connections/s, errors $errors, proxy CPU $cpu_us us/connection, $opens TCP connections opened per request"
    done
  fi
done

# Idle keep-alive connections: each proxy's resident set before and after holding IDLE of them, each having carried
# one request (what a crowd of idle browsers costs). After the rounds, so every proxy is warm and its pools full.
IDLE_RESULTS="$WORK/idle.tsv"   # target kb-before kb-after held failures
: >"$IDLE_RESULTS"
if [ "$IDLE" -gt 0 ]; then
  command -v python3 >/dev/null || die "--idle needs python3"
  for t in $ACTIVE; do
    [ "$t" = direct ] && continue
    before=$(rss_kb "${PID[$t]}")
    coproc IDLER { exec python3 "$TEMPLATES/idle.py" 127.0.0.1 "${PORT[$t]}" "$IDLE" 120; }
    idler_pid=$IDLER_PID
    read -r -t 120 word held failed first <&"${IDLER[0]}" || { held=0; failed="?"; first="no answer within 120 s"; }
    sleep 2   # let the proxy settle: lazily freed buffers, a GC
    after=$(rss_kb "${PID[$t]}")
    exec {IDLER[1]}>&-
    wait "$idler_pid" 2>/dev/null || true
    printf '%s	%s	%s	%s	%s
' "$t" "$before" "$after" "${held:-0}" "${failed:-0}" >>"$IDLE_RESULTS"
    log "$t: $held idle connections held ($failed failed${first:+: $first}): RSS $(( before / 1024 )) -> $(( after / 1024 )) MiB"
  done
fi

# --- report -----------------------------------------------------------------------------------

med() { # column c target -> median of that column
  awk -F'\t' -v c="$2" -v t="$3" -v col="$1" '$2 == c && $3 == t { print $col }' "$RESULTS" | median
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0 || a == "nan" || b == "nan") print "n/a"; else printf "%.2f\n", a / b }'; }
fmt_rps() { awk -v v="$1" 'BEGIN { if (v == "nan") print "n/a"; else printf "%.0f\n", v }' | sed -e ':a' -e 's/\B[0-9]\{3\}\>/,&/;ta'; }
fmt_ms() { awk -v v="$1" 'BEGIN { if (v == "nan") print "n/a"; else if (v < 1) printf "%.3f\n", v; else if (v < 10) printf "%.2f\n", v; else printf "%.1f\n", v }'; }
base_label() { case $1 in direct) echo "direct (baseline)" ;; ingress) echo "Ingress" ;; ingress-*) echo "Ingress, ${1#ingress-}" ;; nginx) echo nginx ;; haproxy) echo HAProxy ;; caddy) echo Caddy ;; esac; }
label() { # measure: with --tls each proxy says which side it was measured on
  case $1 in
    *+tls) echo "$(base_label "${1%+tls}"), HTTPS" ;;
    direct) base_label direct ;;
    *) if [ "$TLS" = 1 ]; then echo "$(base_label "$1"), HTTP"; else base_label "$1"; fi ;;
  esac
}
hmed() { # column measure -> median of that column of the handshake runs
  awk -F'\t' -v t="$2" -v col="$1" '$3 == t { print $col }' "$HANDSHAKES" | median
}
fmt1() { awk -v v="$1" 'BEGIN { if (v == "nan" || v == "") print "n/a"; else printf "%.1f\n", v }'; }

CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
[ -n "$CPU" ] || CPU=$(lscpu 2>/dev/null | awk -F': +' '/Model name/ { print $2; exit }')
# First line of a tool's version output; some (wrk -v) exit non-zero, which pipefail would turn fatal.
version() {
  local out
  out=$("$@" 2>&1) || true
  printf '%s\n' "${out%%$'\n'*}" | tr -d '\r'
}

mkdir -p "$(dirname "$OUT")"
{
  echo "### Proxy comparison: 3 hostname replicas on loopback"
  echo
  echo "- Machine: $(nproc) CPU(s), ${CPU:-unknown CPU}, Linux $(uname -r)"
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- Command: \`$COMMAND_LINE\`"
  echo "- Load: \`wrk -t$THREADS -c<c> -d${DURATION}s --latency\` after ${WARMUP} s of warm-up per run (and ${PREWARM} s per target once before round 1$([ "$TLS" = 1 ] && [ "$HANDSHAKE_CONNECTIONS" -gt 0 ] && echo ", plus ${HANDSHAKE_PREWARM} s of new connections")); targets interleaved; median of $ROUNDS round(s)"
  echo "- Load average before round 1: $LOAD_BEFORE; after the last run: $(cut -d' ' -f1-3 /proc/loadavg)"
  versions=".NET $(dotnet --version 2>/dev/null), $(version wrk -v | awk '{print "wrk", $2}')"
  [[ " $ACTIVE " == *" nginx "* ]] && versions="$versions, $(version nginx -v | sed 's|.*nginx/|nginx |')"
  [[ " $ACTIVE " == *" haproxy "* ]] && versions="$versions, $(version haproxy -v | awk '{print "HAProxy", $3}' | sed 's/-.*//')"
  [[ " $ACTIVE " == *" caddy "* ]] && versions="$versions, Caddy $(version caddy version | awk '{print $1}')"
  echo "- Versions: $versions"
  echo "- Backends: Ingress.Hostname (Native AOT) x3; direct = wrk straight at replica-1"
  if [ "$TLS" = 1 ]; then
    echo "- TLS: one self-signed ECDSA P-256 certificate for all; TLS 1.2 and 1.3 with the gateway's suites; session resumption off in all three (\`Ingress:Tls:SessionResumption=false\`); wrk speaks HTTP/1.1 (no ALPN). Ingress: a TLS entry port beside its plain entry port in the same process, both served by the relay (its own TLS on OpenSSL), or by Kestrel's TLS and YARP when a variant turns the relay off"
  fi
  for t in $TARGETS; do
    case $t in ingress-*) words=${VARIANT[${t#ingress-}]}; echo "- $(base_label "$t"): the gateway started with \`${words#"${words%%[! ]*}"}\`" ;; esac
  done
  for t in $TARGETS; do
    [ -n "${SKIPPED[$t]:-}" ] && echo "- **$(base_label "$t") not measured:** ${SKIPPED[$t]}"
  done
  echo
  for c in $CONNECTIONS; do
    echo "#### c = $c"
    echo
    echo "| target | req/s | p50 ms | p99 ms | req/s vs direct | p99 vs direct | CPU µs/req | errors |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    base_rps=$(med 4 "$c" direct); base_p99=$(med 6 "$c" direct)
    for t in $MEASURES; do
      rps=$(med 4 "$c" "$t"); p50=$(med 5 "$c" "$t"); p99=$(med 6 "$c" "$t"); cpu=$(med 9 "$c" "$t" | awk '{ if ($1 == "nan") print "n/a"; else printf "%.1f\n", $1 }')
      errors=$(awk -F'\t' -v c="$c" -v t="$t" '$2 == c && $3 == t { s += $7 } END { print s + 0 }' "$RESULTS")
      [ "$errors" -gt 0 ] && errors="**$errors**"
      echo "| $(label "$t") | $(fmt_rps "$rps") | $(fmt_ms "$p50") | $(fmt_ms "$p99") | $(ratio "$rps" "$base_rps") | $(ratio "$p99" "$base_p99") | $cpu | $errors |"
    done
    echo
  done

  echo "#### Memory after the c = $MAX_C runs"
  echo
  echo "| target | RSS MiB (median) | of which anonymous | processes |"
  echo "|---|---:|---:|---:|"
  for t in $MEASURES; do
    kb=$(awk -F'\t' -v t="$t" '$2 == t { print $3 }' "$RSS" | median)
    anon=$(awk -F'\t' -v t="$t" '$2 == t { print $5 }' "$RSS" | median)
    procs=$(awk -F'\t' -v t="$t" '$2 == t { print $4 }' "$RSS" | tail -1)
    echo "| $(label "$t") | $(awk -v kb="$kb" 'BEGIN { printf "%.1f", kb / 1024 }') | $(awk -v kb="$anon" 'BEGIN { printf "%.1f", kb / 1024 }') | ${procs:-?} |"
  done
  echo
  echo "RSS of the proxy alone (nginx: master plus workers); for direct, of the one replica wrk hit. Anonymous: heap, stacks"
  echo "and buffers (RssAnon); the rest is mapped files, the executable and its libraries."
  echo

  if [ -s "$IDLE_RESULTS" ]; then
    echo "#### $IDLE idle keep-alive connections"
    echo
    echo "| target | RSS MiB before | RSS MiB holding them | per connection | held (failed) |"
    echo "|---|---:|---:|---:|---:|"
    while IFS=$'\t' read -r t before after held failed; do
      per=$(awk -v b="$before" -v a="$after" -v n="$held" 'BEGIN { if (n > 0) printf "%.2f KB", (a - b) * 1.024 / n; else print "n/a" }')
      echo "| $(label "$t") | $(awk -v kb="$before" 'BEGIN { printf "%.1f", kb / 1024 }') | $(awk -v kb="$after" 'BEGIN { printf "%.1f", kb / 1024 }') | $per | $held ($failed) |"
    done <"$IDLE_RESULTS"
    echo
    echo "Each connection carried one request, then stayed open and idle (\`loadtests/compare/idle.py\`); measured 2 s after the last"
    echo "one was answered. Kernel socket buffers are not part of a process's RSS, for any of them."
    echo
  fi

  if [[ " $ACTIVE " == *" ingress"* ]] && { [[ " $ACTIVE " == *" nginx "* ]] || [[ " $ACTIVE " == *" haproxy "* ]]; }; then
    echo "#### Ingress relative to nginx and HAProxy"
    echo
    echo "| gateway | c | req/s vs nginx | p99 vs nginx | CPU/req vs nginx | req/s vs HAProxy | p99 vs HAProxy | CPU/req vs HAProxy |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    for t in $MEASURES; do
      [[ $t == ingress* ]] || continue
      # Against the other proxies on the same side: HTTPS with HTTPS, cleartext with cleartext.
      side=""; [[ $t == *+tls ]] && side="+tls"
      for c in $CONNECTIONS; do
        i_rps=$(med 4 "$c" "$t"); i_p99=$(med 6 "$c" "$t"); i_cpu=$(med 9 "$c" "$t")
        n_rps=$(med 4 "$c" "nginx$side"); n_p99=$(med 6 "$c" "nginx$side"); n_cpu=$(med 9 "$c" "nginx$side")
        h_rps=$(med 4 "$c" "haproxy$side"); h_p99=$(med 6 "$c" "haproxy$side"); h_cpu=$(med 9 "$c" "haproxy$side")
        echo "| $(label "$t") | $c | $(ratio "$i_rps" "$n_rps") | $(ratio "$i_p99" "$n_p99") | $(ratio "$i_cpu" "$n_cpu") | $(ratio "$i_rps" "$h_rps") | $(ratio "$i_p99" "$h_p99") | $(ratio "$i_cpu" "$h_cpu") |"
      done
    done
    echo
    echo "Above 1 means more requests per second, or a higher (worse) p99 or CPU per request, than the other proxy."
    echo
  fi

  if [ "$TLS" = 1 ]; then
    echo "#### What TLS costs each proxy (keep-alive, HTTPS against its own cleartext in the same run)"
    echo
    echo "| proxy | c | req/s HTTPS / HTTP | CPU µs/req HTTP | CPU µs/req HTTPS | TLS adds µs/req |"
    echo "|---|---:|---:|---:|---:|---:|"
    for t in $ACTIVE; do
      [ "$t" = direct ] && continue
      for c in $CONNECTIONS; do
        plain_cpu=$(med 9 "$c" "$t"); tls_cpu=$(med 9 "$c" "$t+tls")
        added=$(awk -v a="$tls_cpu" -v b="$plain_cpu" 'BEGIN { if (a == "nan" || b == "nan") print "n/a"; else printf "%+.1f\n", a - b }')
        echo "| $(base_label "$t") | $c | $(ratio "$(med 4 "$c" "$t+tls")" "$(med 4 "$c" "$t")") | $(fmt1 "$plain_cpu") | $(fmt1 "$tls_cpu") | $added |"
      done
    done
    echo
    echo "For Ingress both sides are the relay (the HTTPS side terminating TLS with OpenSSL on its own loops), so the"
    echo "difference is TLS alone; a variant with \`--Ingress:Transport:Relay=false\` serves both with Kestrel and YARP."
    echo

    if [ -s "$HANDSHAKES" ]; then
      echo "#### New connections: one request per connection, a full TLS handshake each over HTTPS (c = $HANDSHAKE_CONNECTIONS)"
      echo
      echo "| target | connections/s | vs nginx | vs HAProxy | CPU µs/connection | CPU vs nginx | the handshake adds µs | TCP connections opened per request | errors |"
      echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
      for t in $MEASURES; do
        [ "$t" = direct ] && continue
        side=""; [[ $t == *+tls ]] && side="+tls"
        rps=$(hmed 4 "$t"); cpu=$(hmed 7 "$t"); opens=$(hmed 8 "$t")
        added=""
        [ -n "$side" ] && added=$(awk -v a="$cpu" -v b="$(hmed 7 "${t%+tls}")" 'BEGIN { if (a == "nan" || b == "nan") print "n/a"; else printf "%+.0f\n", a - b }')
        errors=$(awk -F'\t' -v t="$t" '$3 == t { s += $5 } END { print s + 0 }' "$HANDSHAKES")
        [ "$errors" -gt 0 ] && errors="**$errors**"
        echo "| $(label "$t") | $(fmt_rps "$rps") | $(ratio "$rps" "$(hmed 4 "nginx$side")") | $(ratio "$rps" "$(hmed 4 "haproxy$side")") | $(fmt1 "$cpu") | $(ratio "$cpu" "$(hmed 7 "nginx$side")") | $added | $opens | $errors |"
      done
      echo
      echo "\`wrk -t$THREADS -c$HANDSHAKE_CONNECTIONS -d${DURATION}s -H \"Connection: close\"\`: every answer closes the connection and wrk"
      echo "connects again; the kernel's TCP ActiveOpens counter grew by the figure shown per request (other processes on the"
      echo "machine add to it; about 1 means a new connection per request, about 0 would mean none). wrk would"
      echo "resume sessions (it keeps the session across reconnects), but no listener here resumes one (checked before the"
      echo "runs with an \`openssl s_client -sess_out\`/\`-sess_in\` pair), so each is a full handshake."
      echo
    fi

    echo "#### TLS as negotiated"
    echo
    echo "| proxy | protocol and suite (an OpenSSL 3 client, as wrk) | ALPN when h2 and http/1.1 are offered | session resumed |"
    echo "|---|---|---|---|"
    for t in $ACTIVE; do
      [ "$t" = direct ] && continue
      IFS='|' read -r protocol suite alpn <<<"${TLS_INFO[$t]:-?|?|?}"
      echo "| $(base_label "$t") | $protocol, $suite | $alpn | no |"
    done
    echo
  fi
  echo "CPU µs/req is the CPU time (user + system) the proxy process used during the measured run, per request"
  echo "(for direct, the replica's); the median over rounds."
  echo
  echo "wrk, the proxy and the three replicas all share the same $(nproc) CPU(s), so these numbers compare proxies"
  echo "with each other on this machine; they are not the capacity of any of them on dedicated hardware."
} >"$OUT"

cat "$OUT"
log "report written to $OUT"

if [ "$WRITE_DOCS" = 1 ]; then
  # A --tls run has its own section, so that it never replaces the cleartext reference table.
  MARK=compare
  [ "$TLS" = 1 ] && MARK=compare-tls
  mkdir -p "$(dirname "$DOCS")"
  if [ ! -f "$DOCS" ]; then
    printf '# Benchmarks\n\n<!-- %s:start -->\n<!-- %s:end -->\n' "$MARK" "$MARK" >"$DOCS"
  elif ! grep -q "<!-- $MARK:start -->" "$DOCS" && ! grep -q "<!-- $MARK:end -->" "$DOCS"; then
    printf '\n<!-- %s:start -->\n<!-- %s:end -->\n' "$MARK" "$MARK" >>"$DOCS"
  fi
  starts=$(grep -c "<!-- $MARK:start -->" "$DOCS" || true)
  ends=$(grep -c "<!-- $MARK:end -->" "$DOCS" || true)
  first_start=$(grep -n "<!-- $MARK:start -->" "$DOCS" | head -1 | cut -d: -f1 || true)
  first_end=$(grep -n "<!-- $MARK:end -->" "$DOCS" | head -1 | cut -d: -f1 || true)
  [ "$starts" = 1 ] && [ "$ends" = 1 ] && [ "${first_start:-0}" -lt "${first_end:-0}" ] \
    || die "$DOCS must hold exactly one <!-- $MARK:start --> before one <!-- $MARK:end -->; left it untouched"
  awk -v report="$OUT" -v start="<!-- $MARK:start -->" -v end="<!-- $MARK:end -->" '
    $0 == start { print; while ((getline line < report) > 0) print line; skipping = 1; next }
    $0 == end { skipping = 0 }
    !skipping { print }
  ' "$DOCS" >"$WORK/docs.md"
  cat "$WORK/docs.md" >"$DOCS"
  log "replaced the $MARK section of $DOCS"
fi

# A contender that could not be measured is worth a non-zero exit even though the rest ran.
for t in $TARGETS; do [ -n "${SKIPPED[$t]:-}" ] && exit 3; done
exit 0
