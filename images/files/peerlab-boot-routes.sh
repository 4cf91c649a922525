#!/bin/sh
# Runs first in the node's entrypoint, before systemd, at every boot. After
# a node container restarts, its pods are gone but the other nodes' proxies
# still send traffic to their addresses for a while, and its own new pods
# may send before peerlab-cnid has put back the routes to the other nodes.
# Until then nothing covers the pod addresses, so those packets would follow
# the default route to the Docker host and out of the lab (the egress guard
# counted both). So the cluster's pod subnets (from kind's kubeadm config)
# and the node's own pod CIDR (from the pod network's config) are made
# unreachable here; cnid's more specific routes win once it runs. On a
# first boot neither file exists yet, and there are no pods.
for s in $(sed -n 's/^ *podSubnet: *//p' /kind/kubeadm.conf 2>/dev/null | tr -d '"' | tr ',' ' '); do
  ip route replace unreachable "$s" proto 118 || echo "peerlab: cannot cover pod subnet $s" >&2
done
conf=/etc/cni/net.d/10-peerlab.conflist
if [ -f "$conf" ]; then
  for s in $(sed -n 's/.*"subnet": *"\([^"]*\)".*/\1/p' "$conf"); do
    ip route replace unreachable "$s" proto 118 || echo "peerlab: cannot cover pod CIDR $s" >&2
  done
fi
# A node the harness restarts is started without its lab network, which is
# attached once the routes above are in (Lab.startNodeIsolated); kind's
# entrypoint needs the network, so wait for it (up to 30 s).
i=0
while ! ip -4 route show default | grep -q . && ! ip -6 route show default | grep -q . && [ $i -lt 300 ]; do
  sleep 0.1
  i=$((i+1))
done
exit 0
