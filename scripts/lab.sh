#!/usr/bin/env bash
# A Docker Swarm of several nodes on this one machine, for development, demos and tests: one dockerd per network
# namespace, the namespaces joined by a Linux bridge, the repo's stack.yml deployed on it as scripts/up.sh does on
# the single-node swarm. The host's own engine, swarm and stack are never touched.
#
#   scripts/lab.sh up [N] [--managers M]   N nodes (3), nodes 1..M managers (1), the rest workers
#   scripts/lab.sh load                    the images of artifacts/images.env into every live node
#   scripts/lab.sh deploy [--no-expect-all-nodes] [--acme DIRECTORY_URL ROOT_PEM]
#                                          stack.yml through a manager, then wait until it serves; with --acme, every
#                                          gateway also gets TLS port 8443 and ACME from DIRECTORY_URL, whose TLS must
#                                          chain to ROOT_PEM (a test CA's, pebble's); a deploy without it removes both
#   scripts/lab.sh promote K | demote K    node K becomes a manager | a worker (Raft roles: demoting the leader moves
#                                          the leadership); its gateway task changes service with the role
#   scripts/lab.sh scene                   nodes, hostname tasks, and the rotation seen through each node
#   scripts/lab.sh kill-node K             power node K off: link down, then SIGKILL of all it runs;
#                                          prints the link-down time (epoch seconds, ms) on stdout
#   scripts/lab.sh add-node [--manager]    one more worker (or manager), with the images, joined
#   scripts/lab.sh down                    removes everything the lab made, and nothing else
#   scripts/lab.sh ip K | docker K ARGS… | nodes | status
#
# Every name it creates starts with "ilab": netns, host veths and hostnames ilab<K>, the bridge ilab-br, the
# cgroups /ilab/ilab<K>. Node K is LAB_SUBNET's .1K (K < 90): node 1 is 192.168.213.11; the bridge is .1.
#
# Environment: LAB_DIR (/var/lib/ingress-lab) holds all the lab's files; LAB_SUBNET (192.168.213.0/24, a /24
# that no route on the host uses yet; fixed at `up`); WAIT_SECONDS (180) bounds every wait; STACK_NAME (ingress).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

LAB_DIR=${LAB_DIR:-/var/lib/ingress-lab}
LAB_SUBNET=${LAB_SUBNET:-192.168.213.0/24}
WAIT_SECONDS=${WAIT_SECONDS:-180}
PREFIX=ilab
BRIDGE=$PREFIX-br
# Cgroup v1, as on this machine (v1 controllers, dockerd's cgroupfs driver): the freezer cgroup /ilab/ilab<K> holds
# every process of node K, containers included (daemon.json's cgroup-parent puts them below it), so that kill-node
# can freeze them all before it kills them. `up` refuses to start without the v1 freezer.
FREEZER=/sys/fs/cgroup/freezer/$PREFIX
MARKER=.ingress-lab   # in LAB_DIR: down deletes only a dir that carries it
ENTRY_PORT=8888
TLS_PORT=8443

TMP_FILES=()
FAIL_HINT=
on_exit() {
  local rc=$?
  rm -f "${TMP_FILES[@]}"
  [ "$rc" = 0 ] || [ -z "$FAIL_HINT" ] || log "$FAIL_HINT"
}
trap on_exit EXIT

usage() {
  echo "usage:" >&2
  sed -n '/^#   scripts/,/^#$/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

need_root() { [ "$(id -u)" = 0 ] || die "must run as root: it makes namespaces, a bridge, iptables rules and cgroups"; }
lab_exists() { [ -f "$LAB_DIR/lab.env" ]; }
load_lab() {
  lab_exists || die "no lab in $LAB_DIR: run scripts/lab.sh up first"
  # shellcheck source=/dev/null
  . "$LAB_DIR/lab.env"   # SUBNET_BASE: the subnet fixed at `up`, whatever LAB_SUBNET says now
}

name_of() { echo "$PREFIX$1"; }
dir_of() { echo "$LAB_DIR/$PREFIX$1"; }
ip_of() { echo "$SUBNET_BASE.$((10 + $1))"; }
# Inside its mount namespace a node's /run is $dir/run: its socket is the node's /var/run/docker.sock there.
sock_of() { echo "unix://$(dir_of "$1")/run/docker.sock"; }
ndocker() { local k=$1; shift; "$DOCKER" -H "$(sock_of "$k")" "$@"; }

# Node numbers, ascending, alive or not.
node_numbers() {
  local d
  for d in "$LAB_DIR/$PREFIX"*; do
    [ -f "$d/role" ] && echo "${d##*/"$PREFIX"}"
  done | sort -n
}
role_of() { cat "$(dir_of "$1")/role"; }
dockerd_pid() { cat "$(dir_of "$1")/pid" 2>/dev/null; }
state_of() {
  local dir pid
  dir=$(dir_of "$1")
  if [ -f "$dir/killed" ]; then echo killed; return; fi
  pid=$(dockerd_pid "$1") || { echo stopped; return; }
  if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then echo alive; else echo stopped; fi
}
alive_numbers() { local k; for k in $(node_numbers); do [ "$(state_of "$k")" = alive ] && echo "$k"; done; }
# The manager commands go through: node 1 unless it is dead.
first_manager() {
  local k
  for k in $(alive_numbers); do [ "$(role_of "$k")" = manager ] && { echo "$k"; return; }; done
  die "no manager node is alive: scripts/lab.sh down, then up"
}
check_node() {
  { [[ ${1:-} =~ ^[0-9]+$ ]] && [ -f "$(dir_of "$1")/role" ]; } || die "no node '${1:-}' in the lab (scripts/lab.sh nodes)"
}

read_images() {
  [ -f "$ARTIFACTS/images.env" ] ||
    die "$ARTIFACTS/images.env is missing: build the images with scripts/up.sh (or scripts/build-images.sh)"
  # shellcheck source=/dev/null
  . "$ARTIFACTS/images.env"
  { [ -n "${GATEWAY_IMAGE:-}" ] && [ -n "${HOSTNAME_IMAGE:-}" ]; } || die "$ARTIFACTS/images.env lacks GATEWAY_IMAGE or HOSTNAME_IMAGE"
  export GATEWAY_IMAGE HOSTNAME_IMAGE
  IMAGES=()
  local ref
  for ref in "$GATEWAY_IMAGE" "$HOSTNAME_IMAGE" "${GATEWAY_IMAGE%:*}:local" "${HOSTNAME_IMAGE%:*}:local"; do
    if image_exists "$ref"; then IMAGES+=("$ref")
    elif [[ $ref == *:local ]]; then log "warning: the host has no $ref; not copied"
    else die "the host engine has no $ref: run scripts/up.sh (or scripts/build-images.sh)"; fi
  done
}

# --- nodes -------------------------------------------------------------------------------------------------------

make_bridge() {
  ip link show "$BRIDGE" >/dev/null 2>&1 || {
    ip link add "$BRIDGE" type bridge
    ip addr add "$SUBNET_BASE.1/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
  }
  # The host's dockerd set FORWARD's policy to DROP, and bridged frames go through FORWARD (br_netfilter).
  iptables -C FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null ||
    iptables -I FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
}

# Starts node $1's dockerd in the background; wait_node waits for it.
start_node() { # $1 = K, $2 = manager|worker
  local k=$1 name dir
  name=$(name_of "$k") dir=$(dir_of "$k")
  mkdir -p "$dir/run" "$dir/data"
  echo "$2" >"$dir/role"
  # In 20.10 the key path is no flag. Without a key of its own every node has the host's engine ID (from
  # /etc/docker/key.json), and swarm join fails. cgroup-parent: see FREEZER.
  cat >"$dir/daemon.json" <<EOF
{
  "deprecated-key-path": "$dir/key.json",
  "cgroup-parent": "/$PREFIX/$name"
}
EOF
  # No default route: the node reaches the bridge's subnet and nothing else.
  ip netns add "$name"
  ip link add "$name" type veth peer name eth0 netns "$name"
  ip link set "$name" master "$BRIDGE" up
  ip -n "$name" link set lo up
  ip -n "$name" addr add "$(ip_of "$k")/24" dev eth0
  ip -n "$name" link set eth0 up
  mkdir -p "$FREEZER/$name"
  # nsenter, not `ip netns exec`: that one remounts /sys, which hides the cgroup mounts from dockerd.
  # unshare -u: the hostname is the swarm node name. unshare -m, then $dir/run over /run in that mount namespace
  # only: the node's /var/run/docker.sock is its own socket (the gateway bind-mounts it and must see this node's
  # engine, not the host's); dockerd finds no /run/containerd/containerd.sock and starts its own containerd
  # (never the host's); the shims' sockets (/run/containerd/s) land in $dir/run, not among the host's. The node's
  # mounts (overlays, netns files) stay in its namespace and vanish with its last process.
  # Every process from here on, containers included, is in the node's freezer cgroup; setsid detaches them from
  # this script's terminal. nsenter and unshare exec, so $! is dockerd's pid.
  # shellcheck disable=SC2016 # $1 and $2 are the inner bash's
  (
    echo "$BASHPID" >"$FREEZER/$name/cgroup.procs"
    exec setsid nsenter --net="/run/netns/$name" -- unshare --mount --uts --propagation private -- \
      bash -c 'hostname "$1" && mount --bind "$2/run" /run && exec dockerd --config-file "$2/daemon.json" \
        --data-root "$2/data" --exec-root "/run/$1" --pidfile "/run/$1.pid" -H unix:///run/docker.sock' \
      node "$name" "$dir"
  ) </dev/null >"$dir/dockerd.log" 2>&1 &
  echo $! >"$dir/pid"
}

wait_node() { # $1 = K
  local k=$1 deadline=$((SECONDS + WAIT_SECONDS))
  until ndocker "$k" version >/dev/null 2>&1; do
    # Not state_of: until the exec chain reaches dockerd, the pid is nsenter's or unshare's.
    if ! kill -0 "$(dockerd_pid "$k")" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      tail -20 "$(dir_of "$k")/dockerd.log" >&2
      die "the dockerd of node $k did not start (log: $(dir_of "$k")/dockerd.log); scripts/lab.sh down cleans up"
    fi
    sleep 0.3
  done
}

join_node() { # $1 = K; joins with the token of its role through the first live manager
  local k=$1 m token
  m=$(first_manager)
  token=$(ndocker "$m" swarm join-token -q "$(role_of "$k")")
  ndocker "$k" swarm join --token "$token" --advertise-addr "$(ip_of "$k")" --listen-addr "$(ip_of "$k"):2377" \
    "$(ip_of "$m"):2377" >/dev/null
}

# Until every live node is Ready in the swarm, and every live manager Reachable or Leader.
wait_swarm_ready() {
  local m deadline=$((SECONDS + WAIT_SECONDS)) want got
  m=$(first_manager)
  want=$(alive_numbers | wc -l)
  while :; do
    got=$(ndocker "$m" node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}' 2>/dev/null |
      awk -v p="$PREFIX" '$1 ~ "^"p"[0-9]+$" && $2 == "Ready" && ($3 == "" || $3 == "Leader" || $3 == "Reachable")' |
      wc -l) || true
    [ "$got" -ge "$want" ] && return 0
    [ "$SECONDS" -lt "$deadline" ] || { ndocker "$m" node ls >&2; die "$got of $want nodes are ready after ${WAIT_SECONDS}s"; }
    sleep 1
  done
}

# Freezes every process of node $1, SIGKILLs them, thaws them so that the signal is delivered, waits for them to go.
# Frozen first: no process can react, fork or be restarted by its parent between the listing and the kill.
kill_processes() { # $1 = name
  local cg=$FREEZER/$1 pids pid deadline
  [ -d "$cg" ] || return 0
  echo FROZEN >"$cg/freezer.state"
  deadline=$((SECONDS + 5))
  # A task in uninterruptible sleep can hold FREEZING a moment; it gets the signal on thaw anyway.
  while [ "$(cat "$cg/freezer.state")" != FROZEN ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.05; done
  pids=$(find "$cg" -name cgroup.procs -exec cat {} + | sort -u)
  # shellcheck disable=SC2086 # one pid per word
  [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
  echo THAWED >"$cg/freezer.state"
  deadline=$((SECONDS + WAIT_SECONDS))
  while [ -n "$(find "$cg" -name cgroup.procs -exec cat {} +)" ]; do
    [ "$SECONDS" -lt "$deadline" ] || die "processes of $1 survive SIGKILL: $(find "$cg" -name cgroup.procs -exec cat {} +)"
    sleep 0.05
  done
  # Dead, but zombies until init reaps them (dockerd's parent was this script): give it a moment, so that ps is clean.
  deadline=$((SECONDS + 5))
  for pid in $pids; do
    while [ -e "/proc/$pid" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.05; done
  done
  printf '%s\n' "$pids" | grep -c . || true
}

# Removes the cgroups below $1 (a path under /$PREFIX) in every hierarchy: runc made one per container in each,
# and a SIGKILLed runc or dockerd removes none of them. Deepest first; a cgroup goes once its tasks have exited.
remove_cgroups() { # $1 = path below the hierarchies' roots, e.g. ilab/ilab3
  local dir deadline=$((SECONDS + 10))
  for dir in /sys/fs/cgroup/*/"$1"; do
    [ -d "$dir" ] || continue
    until find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null; do
      [ "$SECONDS" -lt "$deadline" ] || { log "warning: cannot remove cgroup $dir"; break; }
      sleep 0.1
    done
  done
}

# What a power-off loses: the processes, the network and the node's /run (its sockets, the shims' among them).
# What it keeps: the disk, $dir/data, and the files that say what the node was.
remove_node_runtime() { # $1 = K
  local name dir
  name=$(name_of "$1") dir=$(dir_of "$1")
  kill_processes "$name" >/dev/null
  ip netns del "$name" 2>/dev/null || true   # takes the veth pair with it
  ip link del "$name" 2>/dev/null || true
  remove_cgroups "$PREFIX/$name"
  rm -rf --one-file-system "${dir:?}/run"
}

print_nodes() {
  local k
  printf '%-3s %-8s %-16s %-8s %s\n' K NAME IP ROLE STATE
  for k in $(node_numbers); do
    printf '%-3s %-8s %-16s %-8s %s\n' "$k" "$(name_of "$k")" "$(ip_of "$k")" "$(role_of "$k")" "$(state_of "$k")"
  done
}

# --- images ------------------------------------------------------------------------------------------------------

# Nodes among $@ that lack one of IMAGES, or have it with another ID.
nodes_needing_images() {
  local k ref
  for k in "$@"; do
    for ref in "${IMAGES[@]}"; do
      if [ "$(ndocker "$k" image inspect -f '{{.Id}}' "$ref" 2>/dev/null)" != "$("$DOCKER" image inspect -f '{{.Id}}' "$ref")" ]; then
        echo "$k"; break
      fi
    done
  done
}

# Copies IMAGES into nodes $@ (those that need them): one `docker save`, then one `docker load` per node, in parallel.
copy_images() {
  local need tar k pids=() failed=0
  mapfile -t need < <(nodes_needing_images "$@")
  [ ${#need[@]} -gt 0 ] || { log "every node has the images already"; return 0; }
  tar=$(mktemp "$LAB_DIR/images.XXXXXX")
  TMP_FILES+=("$tar")
  log "saving ${IMAGES[*]}"
  "$DOCKER" save -o "$tar" "${IMAGES[@]}"
  for k in "${need[@]}"; do
    log "loading them into node $k"
    ndocker "$k" load -q -i "$tar" >/dev/null &
    pids+=($!)
  done
  for k in "${!pids[@]}"; do wait "${pids[$k]}" || { log "load into node ${need[$k]} failed"; failed=1; }; done
  rm -f "$tar"
  [ "$failed" = 0 ] || die "the images could not be loaded into every node"
}

# --- commands ----------------------------------------------------------------------------------------------------

cmd_up() {
  local n=3 managers=1 k started=$SECONDS existing=()
  while [ $# -gt 0 ]; do
    case $1 in
      --managers) [ $# -ge 2 ] || usage; managers=$2; shift 2 ;;
      --managers=*) managers=${1#*=}; shift ;;
      [0-9]*) n=$1; shift ;;
      *) usage ;;
    esac
  done
  { [[ $n =~ ^[0-9]+$ && $managers =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 89 ] &&
    [ "$managers" -ge 1 ] && [ "$managers" -le "$n" ]; } || die "up N --managers M needs 1 <= M <= N <= 89"
  need_root
  local tool
  for tool in ip iptables nsenter unshare setsid dockerd curl; do
    command -v "$tool" >/dev/null || die "$tool is missing (apt-get install iproute2 iptables util-linux docker.io curl)"
  done
  [ -d /sys/fs/cgroup/freezer ] || die "no cgroup v1 freezer at /sys/fs/cgroup/freezer: kill-node needs it"
  FAIL_HINT="up failed: scripts/lab.sh down removes whatever it made"

  if lab_exists; then
    load_lab
    mapfile -t existing < <(node_numbers)
    # Half-made by an interrupted up: say so rather than build on it.
    for k in "${existing[@]}"; do
      case $(state_of "$k") in
        killed) ;;
        stopped) die "node $k has no dockerd (an interrupted up?): scripts/lab.sh down, then up" ;;
        alive) [ "$(ndocker "$k" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)" = active ] ||
          die "node $k is not in the swarm (an interrupted up?): scripts/lab.sh down, then up" ;;
      esac
    done
    for k in $(seq 1 "$n"); do
      [ -f "$(dir_of "$k")/role" ] && continue
      log "the lab is up; adding node $k"
      start_node "$k" "$([ "$k" -le "$managers" ] && echo manager || echo worker)"
      wait_node "$k"
      # Images before the join, so that tasks scheduled on it at once find them.
      if [ -f "$ARTIFACTS/images.env" ]; then read_images; copy_images "$k"; fi
      join_node "$k"
    done
    [ ${#existing[@]} -ge "$n" ] && log "the lab is already up with ${#existing[@]} nodes (scripts/lab.sh down first to start over)"
  else
    [[ $LAB_SUBNET =~ ^([0-9]+\.[0-9]+\.[0-9]+)\.0/24$ ]] || die "LAB_SUBNET must be a /24 ending in .0/24: $LAB_SUBNET"
    SUBNET_BASE=${BASH_REMATCH[1]}
    local route
    route=$(ip -4 route show to match "$SUBNET_BASE.1" | awk '$1 != "default"' | head -1)
    [ -z "$route" ] || die "$LAB_SUBNET is already routed on this host ($route): set LAB_SUBNET"
    ip netns list | grep -q "^${PREFIX}[0-9]" && die "netns $PREFIX* exist without a lab in $LAB_DIR: scripts/lab.sh down first"
    mkdir -p "$LAB_DIR"
    touch "$LAB_DIR/$MARKER"
    # `ip netns add` makes /run/netns and mounts it on itself: if it is not there yet, it is ours to remove.
    { echo "SUBNET_BASE=$SUBNET_BASE"
      [ -d /run/netns ] && echo "NETNS_DIR_OURS=0" || echo "NETNS_DIR_OURS=1"; } >"$LAB_DIR/lab.env"
    log "making $n nodes ($managers manager(s)) on $BRIDGE, $LAB_SUBNET"
    make_bridge
    for k in $(seq 1 "$n"); do start_node "$k" "$([ "$k" -le "$managers" ] && echo manager || echo worker)"; done
    for k in $(seq 1 "$n"); do wait_node "$k"; done
    ndocker 1 swarm init --advertise-addr "$(ip_of 1)" --listen-addr "$(ip_of 1):2377" >/dev/null
    # One at a time: a manager joining changes the raft membership the next join goes through.
    for k in $(seq 2 "$n"); do join_node "$k"; done
  fi
  wait_swarm_ready
  print_nodes
  log "the lab is up ($((SECONDS - started))s); next: scripts/lab.sh load, scripts/lab.sh deploy"
}

cmd_load() {
  need_root
  load_lab
  read_images
  local alive
  mapfile -t alive < <(alive_numbers)
  [ ${#alive[@]} -gt 0 ] || die "no node is alive"
  copy_images "${alive[@]}"
  log "images on nodes ${alive[*]}: ${IMAGES[*]}"
}

# Services of the stack that publish ENTRY_PORT: the gateways.
gateway_services() { # $1 = manager K
  local svc
  for svc in $(ndocker "$1" service ls -q --filter "label=com.docker.stack.namespace=$STACK_NAME"); do
    ndocker "$1" service inspect -f \
      '{{.Spec.Name}}{{with .Spec.EndpointSpec}}{{range .Ports}} {{.PublishedPort}}{{end}}{{end}}' "$svc" |
      awk -v p="$ENTRY_PORT" '{for (i = 2; i <= NF; i++) if ($i == p) {print $1; exit}}'
  done
}

# Converged: every service of the stack has as many tasks running as it wants (replicated and global alike, healthy
# where it has a health check), all on its spec's image, no update under way, none rolled back off our images.
# Not `service ls`'s x/y alone: x counts a task still "Running" on a dead node (nobody hears from it) after its
# replacement started, so x/y reads 4/3 for as long as a killed node stays in the swarm. y is what the service wants.
stack_converged() { # $1 = manager K
  local m=$1 name replicas want state image repo running others
  while read -r name replicas; do
    [[ $replicas =~ ^[0-9]+/([0-9]+) ]] || return 1
    want=${BASH_REMATCH[1]}
    read -r state image < <(ndocker "$m" service inspect -f \
      '{{with .UpdateStatus}}{{.State}}{{else}}none{{end}} {{.Spec.TaskTemplate.ContainerSpec.Image}}' "$name")
    case $state in
      paused) die "the update of $name is paused" ;;
      updating|rollback_started) return 1 ;;
    esac
    for repo in "$GATEWAY_IMAGE" "$HOSTNAME_IMAGE"; do
      [[ $image == "${repo%:*}:"* && $image != "$repo" ]] && die "$name is back on $image instead of $repo: its update failed"
    done
    read -r running others < <(ndocker "$m" service ps "$name" --filter desired-state=running \
      --format '{{.Image}} {{.CurrentState}}' | awk -v img="$image" '$1 == img && $2 == "Running" {r++; next} NF {o++} END {print r+0, o+0}')
    [ "$running" = "$want" ] && [ "$others" = 0 ] || return 1
  done < <(ndocker "$m" service ls --filter "label=com.docker.stack.namespace=$STACK_NAME" --format '{{.Name}} {{.Replicas}}')
  return 0
}

# The distinct answers of $2 requests to node $1's entry port, one per line.
answers_of() { # $1 = K, $2 = requests
  local body
  for _ in $(seq 1 "$2"); do
    body=$(curl -fsS --max-time 2 "http://$(ip_of "$1"):$ENTRY_PORT/" 2>/dev/null) || continue
    [ -z "$body" ] || echo "$body"
  done | sort -u
}

# The compose file that `deploy --acme` adds to stack.yml (`docker stack deploy -c stack.yml -c it`): the same ACME
# settings, TLS port and trusted root for both gateway services, as README's "Certificates from ACME" shows. The root
# is a swarm config, immutable, so its name carries a hash of its content. stack.yml itself is left as users have it.
write_acme_compose() { # $1 = directory URL, $2 = root PEM, $3 = the file to write
  local hash
  hash=$(sha256sum "$2" | cut -c1-12)
  cat >"$3" <<EOF
version: "3.8"
x-acme: &acme
  environment:
    Ingress__Tls__Ports__0__Port: "$TLS_PORT"
    Ingress__Acme__DirectoryUrl: "$1"
    Ingress__Acme__AcceptTermsOfService: "true"
    Ingress__Acme__Contacts__0: mailto:lab@ingress.test
    Ingress__Acme__TrustedRootFile: /etc/ingress/acme-root.pem
  configs:
    - source: acme-root
      target: /etc/ingress/acme-root.pem
      mode: 0444
  ports:
    - target: $TLS_PORT
      published: $TLS_PORT
      protocol: tcp
      mode: host
services:
  gateway: *acme
  gateway-worker: *acme
configs:
  acme-root:
    name: ingress-lab-acme-root-$hash
    file: $2
EOF
}

cmd_deploy() {
  local expect_all=1 m k svc deadline replicas acme_url='' acme_root='' compose=()
  while [ $# -gt 0 ]; do
    case $1 in
      --expect-all-nodes) expect_all=1 ;;
      --no-expect-all-nodes) expect_all=0 ;;
      --acme) [ $# -ge 3 ] || usage; acme_url=$2 acme_root=$3; shift 2 ;;
      *) usage ;;
    esac
    shift
  done
  need_root
  load_lab
  read_images
  m=$(first_manager)
  for k in $(alive_numbers); do
    ndocker "$k" image inspect "$GATEWAY_IMAGE" "$HOSTNAME_IMAGE" >/dev/null 2>&1 ||
      die "node $k lacks $GATEWAY_IMAGE or $HOSTNAME_IMAGE: run scripts/lab.sh load"
  done
  ensure_control_secret "$DOCKER" -H "$(sock_of "$m")"
  compose=(-c "$REPO_ROOT/stack.yml")
  if [ -n "$acme_url" ]; then
    [ -r "$acme_root" ] || die "--acme: cannot read the root $acme_root"
    [[ $acme_root == /* ]] || acme_root=$PWD/$acme_root
    write_acme_compose "$acme_url" "$acme_root" "$LAB_DIR/acme.yml"
    compose+=(-c "$LAB_DIR/acme.yml")
    log "with ACME from $acme_url on TLS port $TLS_PORT"
  fi
  log "deploying stack.yml as $STACK_NAME through node $m"
  ndocker "$m" stack deploy --prune --resolve-image never "${compose[@]}" "$STACK_NAME" | sed "s/^/[lab]   /" >&2

  deadline=$((SECONDS + WAIT_SECONDS))
  log "waiting up to ${WAIT_SECONDS}s for every service of the stack to have all its tasks running"
  until stack_converged "$m"; do
    [ "$SECONDS" -lt "$deadline" ] || { ndocker "$m" service ls >&2; die "the stack did not converge within ${WAIT_SECONDS}s"; }
    sleep 2
  done

  # The nodes that must answer: those that run a gateway task (a service publishing ENTRY_PORT); every live node
  # when --expect-all-nodes is on (the default) and a gateway service may run on workers (no node.role == manager
  # constraint): then a node without a running gateway is a failure, not a node to skip.
  local gateways=() expected=() on_workers=0 nodes_with_task
  mapfile -t gateways < <(gateway_services "$m")
  [ ${#gateways[@]} -gt 0 ] || die "no service of the stack publishes port $ENTRY_PORT"
  for svc in "${gateways[@]}"; do
    ndocker "$m" service inspect -f '{{with .Spec.TaskTemplate.Placement}}{{range .Constraints}}{{.}};{{end}}{{end}}' "$svc" |
      tr -d ' ' | grep -Eq 'node.role==manager|node.role!=worker' || on_workers=1
  done
  nodes_with_task=$(ndocker "$m" service ps "${gateways[@]}" --filter desired-state=running --format '{{.Node}}' | sort -u)
  for k in $(alive_numbers); do
    if { [ "$expect_all" = 1 ] && [ "$on_workers" = 1 ]; } || grep -qx "$(name_of "$k")" <<<"$nodes_with_task"; then
      expected+=("$k")
    fi
  done
  replicas=$(ndocker "$m" service inspect -f '{{with .Spec.Mode.Replicated}}{{.Replicas}}{{end}}' "${STACK_NAME}_hostname" 2>/dev/null || echo 1)
  [ "${replicas:-0}" -ge 1 ] 2>/dev/null || replicas=1
  log "waiting for nodes ${expected[*]} to answer on $ENTRY_PORT with all $replicas hostname replicas"
  for k in "${expected[@]}"; do
    until [ "$(answers_of "$k" $((replicas * 4)) | wc -l)" -ge "$replicas" ]; do
      [ "$SECONDS" -lt "$deadline" ] ||
        die "node $k ($(ip_of "$k")) answers $(answers_of "$k" $((replicas * 4)) | wc -l) of $replicas replicas on $ENTRY_PORT after ${WAIT_SECONDS}s"
      sleep 2
    done
  done
  for k in $(alive_numbers); do
    local seen
    seen=$(answers_of "$k" $((replicas * 4)) | tr '\n' ' ')
    log "node $k $(ip_of "$k"):$ENTRY_PORT $([ -n "$seen" ] && echo "answers: $seen" || echo "does not answer")"
  done
  log "stack $STACK_NAME is up on the lab"
}

cmd_scene() {
  load_lab
  local m k out ok lines
  m=$(first_manager)
  echo "\$ docker node ls"
  ndocker "$m" node ls
  echo
  echo "\$ docker service ps ${STACK_NAME}_hostname"
  ndocker "$m" service ps --filter desired-state=running \
    --format 'table {{.Name}}\t{{.Node}}\t{{.CurrentState}}' "${STACK_NAME}_hostname"
  for k in $(alive_numbers); do
    echo
    echo "\$ for i in \$(seq 1 6); do curl -s $(ip_of "$k"):$ENTRY_PORT; echo; done    # node $k, $(role_of "$k")"
    ok=0 lines=()
    for _ in $(seq 1 6); do
      if out=$(curl -fsS --max-time 2 "http://$(ip_of "$k"):$ENTRY_PORT/" 2>&1); then ok=$((ok + 1)); lines+=("${out:-(empty)}")
      else lines+=("$out"); fi
    done
    # A node without a gateway refuses all six: one line says so.
    if [ "$ok" = 0 ]; then echo "no answer, 6 times: ${lines[0]}"; else printf '%s\n' "${lines[@]}"; fi
  done
}

cmd_kill_node() {
  local k=${1:-} name dir t count
  need_root
  load_lab
  check_node "$k"
  name=$(name_of "$k") dir=$(dir_of "$k")
  case $(state_of "$k") in
    killed) log "node $k is already off"; cat "$dir/killed"; return 0 ;;
    stopped) die "node $k has no dockerd running (a failed up?): scripts/lab.sh down" ;;
  esac
  # The cable first: nothing the node does after this, not even the kernel's RSTs and FINs when its processes die,
  # reaches anyone, as with a real power-off.
  ip link set "$name" down
  t=$(date +%s.%3N)
  echo "$t" >"$dir/killed"
  count=$(kill_processes "$name")
  remove_node_runtime "$k"
  log "node $k ($name, $(ip_of "$k")) is off: link down at $t, $count processes killed"
  echo "$t"
}

cmd_add_node() { # $1 = worker | manager
  need_root
  load_lab
  local k role=$1 started=$SECONDS
  k=$(( $(node_numbers | tail -1) + 1 ))
  [ "$k" -le 89 ] || die "no address left for node $k"
  log "adding node $k as a $role"
  start_node "$k" "$role"
  wait_node "$k"
  # Images before the join, so that a global task scheduled on it at once finds them.
  if [ -f "$ARTIFACTS/images.env" ]; then read_images; copy_images "$k"
  else log "warning: no $ARTIFACTS/images.env: node $k gets no images"; fi
  join_node "$k"
  wait_swarm_ready
  print_nodes
  log "node $k ($(ip_of "$k")) joined ($((SECONDS - started))s)"
}

# Node $1 becomes a $2 (manager | worker), through a live manager other than itself where there is one, so that the
# leader can be demoted; the role file follows, so that the commands above pick their manager right.
cmd_set_role() { # $1 = K, $2 = manager | worker
  local k=$1 role=$2 m='' n deadline want
  need_root
  load_lab
  check_node "$k"
  [ "$(state_of "$k")" = alive ] || die "node $k is not alive"
  for n in $(alive_numbers); do
    [ "$n" != "$k" ] && [ "$(role_of "$n")" = manager ] && { m=$n; break; }
  done
  [ -n "$m" ] || { [ "$role" = manager ] || die "node $k is the only manager: promote another node first"; m=$(first_manager); }
  ndocker "$m" node "$([ "$role" = manager ] && echo promote || echo demote)" "$(name_of "$k")" >/dev/null
  echo "$role" >"$(dir_of "$k")/role"
  # Until the swarm says so, asked through a manager: reachable (or the leader) for a manager, no manager status for a
  # worker.
  [ "$role" = manager ] && want='reachable' || want='^$'
  deadline=$((SECONDS + WAIT_SECONDS))
  until ndocker "$m" node inspect -f '{{with .ManagerStatus}}{{.Reachability}}{{end}}' "$(name_of "$k")" 2>/dev/null |
      grep -Eq "$want"; do
    [ "$SECONDS" -lt "$deadline" ] || die "node $k is not a $role after ${WAIT_SECONDS}s"
    sleep 0.5
  done
  # A new manager's own engine refuses manager commands ("Manager is being prepared") a while longer; the next command
  # may go through it.
  while [ "$role" = manager ] && ! ndocker "$k" node ls >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "node $k's engine does not act as a manager after ${WAIT_SECONDS}s"
    sleep 0.5
  done
  log "node $k ($(name_of "$k")) is a $role"
}

cmd_down() {
  need_root
  local name k any=0
  case $LAB_DIR in /*) ;; *) die "LAB_DIR must be an absolute path: $LAB_DIR" ;; esac
  # Processes first (the mount namespaces and everything mounted in them go with them), then the network, the
  # cgroups, the files. Found by prefix as well as by state, so that a failed up is cleaned too.
  for name in $( { ls "$FREEZER" 2>/dev/null; ip netns list | awk '{print $1}'; } | grep -E "^${PREFIX}[0-9]+$" | sort -u); do
    any=1
    log "removing $name"
    [ -d "$FREEZER/$name" ] && kill_processes "$name" >/dev/null
    ip netns del "$name" 2>/dev/null || true
  done
  for name in $(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E "^${PREFIX}[0-9]+$|^${BRIDGE}$" || true); do
    any=1
    ip link del "$name" 2>/dev/null || true
  done
  while iptables -C FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null; do
    any=1
    iptables -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
  done
  remove_cgroups "$PREFIX"
  if [ -f "$LAB_DIR/lab.env" ] && grep -qx NETNS_DIR_OURS=1 "$LAB_DIR/lab.env" && [ -d /run/netns ] &&
    [ -z "$(ls -A /run/netns)" ]; then
    while mountpoint -q /run/netns; do umount /run/netns; done
    rmdir /run/netns
  fi
  if [ -d "$LAB_DIR" ]; then
    [ -f "$LAB_DIR/$MARKER" ] || die "$LAB_DIR is not a lab dir (no $MARKER in it): not removed"
    # Nothing of the lab is ever mounted in the host's namespace; if something is, stop rather than delete through it.
    local mounted
    mounted=$(awk -v d="$LAB_DIR" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/mounts | head -3)
    [ -z "$mounted" ] || die "something is mounted under $LAB_DIR, not removed: $mounted"
    any=1
    rm -rf --one-file-system "$LAB_DIR"
  fi
  if [ "$any" = 1 ]; then log "the lab is down"; else log "no lab: nothing to remove"; fi
}

cmd_status() {
  if ! lab_exists; then log "no lab in $LAB_DIR"; return 0; fi
  load_lab
  echo "lab: $LAB_DIR, bridge $BRIDGE $SUBNET_BASE.0/24"
  print_nodes
  local m
  m=$(first_manager 2>/dev/null) || return 0
  echo
  ndocker "$m" node ls
  echo
  ndocker "$m" service ls --filter "label=com.docker.stack.namespace=$STACK_NAME"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
  up) cmd_up "$@" ;;
  load) [ $# = 0 ] || usage; cmd_load ;;
  deploy) cmd_deploy "$@" ;;
  scene) [ $# = 0 ] || usage; cmd_scene ;;
  kill-node) [ $# = 1 ] || usage; cmd_kill_node "$1" ;;
  add-node)
    case "${1:-}" in
      "") cmd_add_node worker ;;
      --manager) [ $# = 1 ] || usage; cmd_add_node manager ;;
      *) usage ;;
    esac ;;
  promote) [ $# = 1 ] || usage; cmd_set_role "$1" manager ;;
  demote) [ $# = 1 ] || usage; cmd_set_role "$1" worker ;;
  down) [ $# = 0 ] || usage; cmd_down ;;
  ip) [ $# = 1 ] || usage; load_lab; check_node "$1"; ip_of "$1" ;;
  docker) [ $# -ge 1 ] || usage; load_lab; check_node "$1"; k=$1; shift; exec "$DOCKER" -H "$(sock_of "$k")" "$@" ;;
  nodes) [ $# = 0 ] || usage; load_lab; print_nodes ;;
  status) [ $# = 0 ] || usage; cmd_status ;;
  *) usage ;;
esac
