#!/bin/sh
# Runs before every kubelet start (a systemd drop-in). It gives the cluster's
# service subnets an on-link route on the node's lab interface. Without it, a
# packet to a ClusterIP sent before kube-proxy has synced follows the node's
# default route to the Docker host and out of the lab. With it, such a packet
# only triggers an ARP/ND query on the lab network that nobody answers, and
# is dropped on the node. Once kube-proxy has synced, NAT rewrites the
# destination before (pods) or right after (host-network processes) the
# routing decision, so this route never carries real traffic. (An
# unreachable route would break host-network clients: connect() fails on
# the first route lookup, before NAT.)
conf=/kind/kubeadm.conf
[ -f "$conf" ] || exit 0
dev=$(ip -o route show default | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n 1)
[ -n "$dev" ] || dev=eth0
for cidr in $(sed -n 's/^ *serviceSubnet: *//p' "$conf" | tr -d '"' | tr ',' ' '); do
  ip route replace "$cidr" dev "$dev" || echo "peerlab: cannot add on-link route for $cidr" >&2
done
exit 0
