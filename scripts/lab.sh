#!/usr/bin/env bash
# The README's main-job command: on a fresh machine, sets up the host, builds
# or finds every lab image, and brings up a lab that stays up for poking.
# Arguments go to `peerlab up` (default: the single-hop topology).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "lab.sh: run as root (sudo -E scripts/lab.sh): it installs Docker and the lab edits iptables" >&2
  exit 1
fi
bash scripts/host-setup.sh
export TESTCONTAINERS_RYUK_DISABLED=true
go build -o bin/peerlab ./cmd/peerlab
exec bin/peerlab up "$@"
