#!/usr/bin/env bash
# The relay's request parser against llhttp (Node.js's HTTP parser), on many more cases than the test command runs:
# generated and mutated request heads; whatever the relay would relay, llhttp must read the same way
# (tests/Ingress.Gateway.Tests/Http1/LlhttpDifferentialTests.cs, README "Conformance"). Parsing only: no server, no
# network. Bounded by a count and a time, per seed.
#
#   scripts/differential.sh                          # 1,000,000 cases for each of 3 seeds, at most 300 s each
#   CASES=200000 SECONDS_PER_SEED=60 SEEDS="7 8" scripts/differential.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

command -v node >/dev/null || die "node (Node.js 18 or later) is needed: llhttp is Node's parser"
CASES=${CASES:-1000000}
SECONDS_PER_SEED=${SECONDS_PER_SEED:-300}
SEEDS=${SEEDS:-"1 2 3"}

dotnet build tests/Ingress.Gateway.Tests -c Release -v q -nologo >/dev/null
status=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for seed in $SEEDS; do
  log "seed $seed: up to $CASES cases, at most $SECONDS_PER_SEED s"
  if ! INGRESS_DIFFERENTIAL_CASES=$CASES INGRESS_DIFFERENTIAL_SECONDS=$SECONDS_PER_SEED INGRESS_DIFFERENTIAL_SEED=$seed \
    dotnet test tests/Ingress.Gateway.Tests -c Release --no-build --nologo \
      --filter "FullyQualifiedName~LlhttpDifferentialTests.Parse_GeneratedAndMutatedHeads" \
      --logger "console;verbosity=detailed" >"$out" 2>&1; then
    status=1
  fi
  grep -E 'seed [0-9]+:|divergences|llhttp:|body:|headers:|request line:' "$out" | sort -u || true
done
exit "$status"
