#!/usr/bin/env bash
# The README's test command. On a fresh machine it does all set-up (Docker
# engine, privileged-container fix, Debian tools), builds or finds every lab
# image, then runs every test: unit tests, the routers' container tests and
# the end-to-end labs. Afterwards it checks that nothing of peerlab is left
# in Docker or iptables.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "test.sh: run as root (sudo -E scripts/test.sh): it installs Docker and the labs edit iptables" >&2
  exit 1
fi

step() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "host setup"
bash scripts/host-setup.sh

export TESTCONTAINERS_RYUK_DISABLED=true
step "image kit (mode ${PEERLAB_IMAGES:-auto})"
go run ./cmd/peerlab images build

if command -v npm >/dev/null; then
  step "Mermaid's parser for the graph test (npm ci in tools/mermaid-check)"
  (cd tools/mermaid-check && npm ci --silent --no-audit --no-fund) || echo "test.sh: npm ci failed; the Mermaid check will be skipped" >&2
fi

step "vet"
go vet ./...

step "lint the CI workflow"
# actionlint from the Go module proxy (tools/go.mod), as the workflow's
# own validity is part of the build.
go tool -modfile=tools/go.mod actionlint .github/workflows/*.yml

step "tests: the default lanes of the matrix (peerlab matrix --all runs all of them)"
# The same runner the nightly matrix uses: each lane through gotestsum
# (JUnit XML, go test -json, output and dumps under peerlab-matrix/LANE),
# results appended to peerlab-matrix/history.jsonl, or to
# $PEERLAB_MATRIX_HISTORY: one file kept across clones holds the record of
# the default set's runs (peerlab matrix --record --history FILE). Lanes run
# go test with -p 1 (labs use fixed subnets; the machine has two cores) and
# -count=1 (a lab test's result never comes from cache).
status=0
dir=${PEERLAB_MATRIX_DIR:-peerlab-matrix}
go run ./cmd/peerlab matrix --dir "$dir" --history "${PEERLAB_MATRIX_HISTORY:-$dir/history.jsonl}" || status=$?

step "leftovers"
left=$(docker ps -a --filter label=io.peerlab.lab --format '{{.Names}}'; \
       docker ps -a --format '{{.Names}}' | grep '^peerlab-.*-\(control-plane\|worker[0-9]*\)$' || true; \
       docker network ls --filter label=io.peerlab.lab --format '{{.Name}}'; \
       iptables -S 2>/dev/null | grep -o 'PEERLAB-[A-F0-9]*' | sort -u || true)
if [ -n "$left" ]; then
  echo "test.sh: the tests left these behind:" >&2
  echo "$left" >&2
  status=1
else
  echo "nothing left behind"
fi
exit $status
