#!/bin/sh
# Runs before every kubelet start (a systemd drop-in). It makes the cluster's
# service subnets unreachable on this node: a packet to a ClusterIP that
# kube-proxy has translated never sees this route (NAT happens before the
# routing decision), but one sent before kube-proxy has synced would
# otherwise follow the node's default route out of the lab.
conf=/kind/kubeadm.conf
[ -f "$conf" ] || exit 0
for cidr in $(sed -n 's/^ *serviceSubnet: *//p' "$conf" | tr -d '"' | tr ',' ' '); do
  ip route replace unreachable "$cidr" || echo "peerlab: cannot add unreachable route for $cidr" >&2
done
exit 0
