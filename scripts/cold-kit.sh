#!/usr/bin/env bash
# Measures the image kit cold, as on a fresh machine: removes every cache the
# kit and its build use, then times the peerlab binary's build and
# `peerlab images build --images offline`, and prints each step of the kit
# by duration.
#
# The caches it clears (all of them, so only with --yes):
#   - Docker: every image labelled io.peerlab.kit (the kit's builds),
#     dangling images and Docker's build cache;
#   - ~/.cache/peerlab (Go binaries and Debian root file systems by hash);
#   - Go's build cache (go clean -cache) and module cache (go clean -modcache).
# Labs must be down (it refuses while one runs). Output: the log and a
# summary under ${PEERLAB_COLD_DIR:-/tmp/peerlab-cold-kit}.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--yes" ]; then
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  echo "cold-kit.sh: pass --yes to clear those caches and measure" >&2
  exit 2
fi
if [ -n "$(docker ps -q --filter label=io.peerlab.lab)" ]; then
  echo "cold-kit.sh: a lab is running; 'peerlab down --all' first" >&2
  exit 1
fi
out=${PEERLAB_COLD_DIR:-/tmp/peerlab-cold-kit}
mkdir -p "$out"
log=$out/kit.log

echo "cold-kit.sh: clearing caches"
# Children first: a parent image refuses removal while a child exists, so
# repeat until none is left.
for _ in 1 2 3 4 5; do
  ids=$(docker images -q --filter label=io.peerlab.kit | sort -u)
  [ -z "$ids" ] && break
  docker rmi -f $ids >/dev/null 2>&1 || true
done
if [ -n "$(docker images -q --filter label=io.peerlab.kit)" ]; then
  echo "cold-kit.sh: could not remove every kit image:" >&2
  docker images --filter label=io.peerlab.kit >&2
  exit 1
fi
docker image prune -f >/dev/null
docker builder prune -af >/dev/null 2>&1 || true
rm -rf "${XDG_CACHE_HOME:-$HOME/.cache}/peerlab"
go clean -cache
go clean -modcache

start=$(date +%s)
go build -o "$out/peerlab" ./cmd/peerlab
built=$(date +%s)
echo "cold-kit.sh: peerlab binary built in $((built - start)) s (module downloads included)"
"$out/peerlab" images build --images offline 2>&1 | tee "$log" | grep -E 'done in|FAILED' || true
end=$(date +%s)
kit=$((end - built))

{
  echo "peerlab binary (go build, cold module cache): $((built - start)) s"
  echo "image kit (peerlab images build --images offline): ${kit} s ($((kit / 60))m$((kit % 60))s)"
  echo "total: $((end - start)) s"
  echo
  echo "steps, longest first (they overlap: Debian roots download while Go compiles):"
  grep -E '^images: .* done in' "$log" | sed -E 's/^images: (.*) done in (.*)$/\2\t\1/' |
    awk -F'\t' '{ d = $1; s = 0
      if (d ~ /ms$/) { s = (d + 0) / 1000 } else {
        if (d ~ /h/) { split(d, a, "h"); s += a[1] * 3600; d = a[2] }
        if (d ~ /m/) { split(d, a, "m"); s += a[1] * 60; d = a[2] }
        s += d + 0 }
      printf "%8.1fs  %s\n", s, $2 }' | sort -rn
} | tee "$out/summary.txt"
grep -q 'image(s) ready' "$log"
