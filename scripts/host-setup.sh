#!/usr/bin/env bash
# Prepares this host for peerlab: a Docker engine that answers, --privileged
# containers that start (kind needs them), kernel limits kind is known to trip
# over, and enough disk for the image kit. Idempotent: rerunning changes
# nothing that already works. Prints what it found and what it did.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
state_dir=/var/lib/peerlab
lib_dir=/usr/local/lib/peerlab
dockerd_log=/var/log/peerlab-dockerd.log
dockerd_pid=/run/peerlab-dockerd.pid
min_free_gb=${PEERLAB_MIN_FREE_GB:-25}

say()  { printf 'host-setup: %s\n' "$*"; }
fail() { printf 'host-setup: ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "must run as root (it installs packages and starts dockerd); rerun with sudo"
mkdir -p "$state_dir" "$lib_dir"

# --- disk ---------------------------------------------------------------
check_disk() {
  local dir=$1 free_kb
  mkdir -p "$dir"
  free_kb=$(df -Pk "$dir" | awk 'NR==2 {print $4}')
  if [ "$free_kb" -lt $((min_free_gb * 1024 * 1024)) ]; then
    fail "only $((free_kb / 1024 / 1024)) GB free under $dir; the image kit needs about ${min_free_gb} GB. Free space (docker system prune, go clean -cache) or set PEERLAB_MIN_FREE_GB to override"
  fi
  say "disk: $((free_kb / 1024 / 1024)) GB free under $dir (need ${min_free_gb})"
}
check_disk /var/lib
check_disk "${XDG_CACHE_HOME:-$HOME/.cache}"

# --- inotify: kind nodes run many systemd units and kubelets --------------
raise_sysctl() {
  local key=$1 want=$2 have
  have=$(sysctl -n "$key")
  if [ "$have" -lt "$want" ]; then
    sysctl -qw "$key=$want" || fail "cannot set $key=$want (kind nodes fail with 'too many open files'); set it by hand"
    say "raised $key from $have to $want"
  else
    say "$key=$have (ok)"
  fi
}
raise_sysctl fs.inotify.max_user_watches 524288
raise_sysctl fs.inotify.max_user_instances 512

# --- packages ------------------------------------------------------------
# debootstrap builds the Debian root filesystems, libseccomp-dev lets runc be
# built with seccomp, pigz/xz speed up image tarballs; graphviz's dot checks
# (and renders) what `peerlab graph -o dot` writes.
need_pkgs=()
command -v dockerd >/dev/null || need_pkgs+=(docker.io)
command -v debootstrap >/dev/null || need_pkgs+=(debootstrap)
[ -e /usr/include/seccomp.h ] || need_pkgs+=(libseccomp-dev)
command -v jq >/dev/null || need_pkgs+=(jq)
command -v ip6tables >/dev/null || need_pkgs+=(iptables)
command -v dot >/dev/null || need_pkgs+=(graphviz)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  say "installing ${need_pkgs[*]} with apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || fail "apt-get update failed: this host needs Debian's package archive (check /etc/apt/sources.list and the network)"
  apt-get install -y -qq "${need_pkgs[@]}" >/dev/null || fail "apt-get install ${need_pkgs[*]} failed; run it by hand to see why"
else
  say "packages: dockerd, debootstrap, libseccomp-dev, jq, iptables, graphviz present"
fi

# --- docker engine -------------------------------------------------------
docker_up() { docker info >/dev/null 2>&1; }

wait_docker() {
  for _ in $(seq 1 60); do
    docker_up && return 0
    sleep 0.5
  done
  fail "dockerd did not answer within 30 s; see $dockerd_log"
}

we_own_dockerd() { [ -f "$dockerd_pid" ] && kill -0 "$(cat "$dockerd_pid")" 2>/dev/null; }

start_dockerd() {
  say "starting dockerd in the background (log: $dockerd_log)"
  # setsid: the daemon must outlive this script and the shell that ran it.
  setsid dockerd --pidfile "$dockerd_pid" >>"$dockerd_log" 2>&1 < /dev/null &
  wait_docker
  say "dockerd answers: $(docker version --format '{{.Server.Version}}')"
}

stop_our_dockerd() {
  local pid
  pid=$(cat "$dockerd_pid")
  say "restarting our dockerd (pid $pid) to load the new runtime"
  kill "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  fail "dockerd (pid $pid) did not stop within 30 s"
}

if docker_up; then
  say "docker daemon answers (server $(docker version --format '{{.Server.Version}}')); using it as it is"
else
  if pgrep -x dockerd >/dev/null && ! we_own_dockerd; then
    fail "a dockerd process runs but does not answer; check it (its log, /var/run/docker.sock) or stop it"
  fi
  start_dockerd
fi

# --- privileged probe ----------------------------------------------------
# The probe image holds one static binary (the runtime wrapper, which answers
# "probe" with ok), so probing needs no registry.
probe_image=peerlab/host-probe:1
wrapper_bin=$lib_dir/peerlab-runc
build_wrapper() {
  local tmp
  tmp=$(mktemp -d)
  (cd "$here" && CGO_ENABLED=0 go build -trimpath -o "$tmp/peerlab-runc" ./cmd/peerlab-runc) \
    || fail "building cmd/peerlab-runc failed (is Go installed?)"
  if ! cmp -s "$tmp/peerlab-runc" "$wrapper_bin"; then
    install -m 0755 "$tmp/peerlab-runc" "$wrapper_bin.new" && mv -f "$wrapper_bin.new" "$wrapper_bin"
    docker image rm -f "$probe_image" >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
build_wrapper
if ! docker image inspect "$probe_image" >/dev/null 2>&1; then
  tmp=$(mktemp -d)
  cp "$wrapper_bin" "$tmp/probe"
  tar -C "$tmp" -cf "$tmp/probe.tar" probe
  docker import -c 'ENTRYPOINT ["/probe"]' "$tmp/probe.tar" "$probe_image" >/dev/null
  rm -rf "$tmp"
fi

privileged_ok() { docker run --rm --privileged --network none "$probe_image" probe >/dev/null 2>"$state_dir/probe.err"; }

if privileged_ok; then
  if docker info --format '{{.DefaultRuntime}}' 2>/dev/null | grep -qx peerlab-runc; then
    say "docker run --privileged works (through the peerlab-runc runtime wrapper, already registered)"
  else
    say "docker run --privileged works; no runtime wrapper needed"
  fi
else
  reason=$(tr '\n' ' ' < "$state_dir/probe.err")
  say "docker run --privileged fails: $reason"
  case "$reason" in
    *"unable to apply caps"*|*"operation not permitted"*) ;;
    *) fail "--privileged fails for a reason the runtime wrapper does not fix: $reason" ;;
  esac
  if ! we_own_dockerd; then
    fail "dockerd here is not one host-setup started, so it will not reconfigure it. Register $wrapper_bin as the default runtime yourself (daemon.json: \"runtimes\": {\"peerlab-runc\": {\"path\": \"$wrapper_bin\"}}, \"default-runtime\": \"peerlab-runc\") and restart dockerd"
  fi
  say "registering $wrapper_bin as dockerd's default runtime (drops capabilities missing from the host's bounding set $(awk '/CapBnd/ {print $2}' /proc/self/status))"
  mkdir -p /etc/docker
  if [ -s /etc/docker/daemon.json ]; then
    cp /etc/docker/daemon.json /etc/docker/daemon.json.peerlab-backup
    jq --arg p "$wrapper_bin" '.runtimes["peerlab-runc"] = {path: $p} | .["default-runtime"] = "peerlab-runc"' \
      /etc/docker/daemon.json.peerlab-backup > /etc/docker/daemon.json
  else
    printf '{\n  "runtimes": {"peerlab-runc": {"path": "%s"}},\n  "default-runtime": "peerlab-runc"\n}\n' "$wrapper_bin" > /etc/docker/daemon.json
  fi
  stop_our_dockerd
  start_dockerd
  privileged_ok || fail "--privileged still fails with the wrapper: $(cat "$state_dir/probe.err")"
  say "docker run --privileged works through the wrapper"
fi
say "host ready"
