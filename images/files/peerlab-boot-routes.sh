#!/bin/sh
# Runs first in the node's entrypoint, before systemd, at every boot. After
# a node container restarts, its pods are gone but the other nodes' proxies
# still send traffic to their addresses for a while. Until peerlab-cnid runs
# again, nothing on the node covers its own pod CIDR, so those packets would
# follow the default route to the Docker host and out of the lab (the egress
# guard counted exactly that while a probe ran through a node stop). The
# CIDR is read from the pod network's config, which survives the restart;
# on a first boot there is none and no pod yet.
conf=/etc/cni/net.d/10-peerlab.conflist
[ -f "$conf" ] || exit 0
for s in $(sed -n 's/.*"subnet": *"\([^"]*\)".*/\1/p' "$conf"); do
  ip route replace unreachable "$s" proto 118 || echo "peerlab: cannot cover pod CIDR $s" >&2
done
exit 0
