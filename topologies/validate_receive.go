package topologies

import (
	"net/netip"
	"strconv"
	"strings"
)

// ---------------------------------------------------------------------------------------
// routes towards the nodes: routers[].originate and metallb.peers[].receive

func (v *validator) receive() {
	t := v.t
	// What a router announces towards the nodes must not shadow the lab's own address plan:
	// the pools (the oracle owns that space), the pod and service subnets, and the nodes'
	// network (a node would route its own neighbours through the router).
	var reserved []space
	for _, s := range v.spaces {
		if strings.HasPrefix(s.path, "metallb.pools") || strings.HasPrefix(s.path, "cluster.") {
			reserved = append(reserved, s)
		}
	}
	if n, ok := t.Network(t.Cluster.Network); ok {
		for _, f := range []IPFamily{IPv4, IPv6} {
			if p, ok := n.Subnet(f); ok {
				reserved = append(reserved, space{path: "cluster.network (" + n.Name + ")", r: PrefixRange(p), text: p.String()})
			}
		}
	}
	for i, r := range t.Routers {
		for j, p := range r.Originate {
			path := index(join(v.routerPath[i], "originate"), strconv.Itoa(j))
			if !v.prefixOK(path, p) {
				continue
			}
			for _, s := range reserved {
				if PrefixRange(p).Overlaps(s.r) {
					v.add(path, "%s overlaps %s (%s): announce a prefix outside the lab's own address plan", p, s.path, s.text)
				}
			}
		}
	}
	b := t.MetalLB.Backend
	for i, mp := range t.MetalLB.Peers {
		if len(mp.Receive) == 0 {
			continue
		}
		pp := join(v.mlbPeerPath[i], "receive")
		if b != "" && !b.ReceiveRoutes() {
			v.add(pp, "the %s backend cannot install routes on the nodes; use backend frr or frr-k8s", b)
			continue
		}
		for j, rp := range mp.Receive {
			ep := index(pp, strconv.Itoa(j))
			if !v.prefixOK(join(ep, "prefix"), rp.Prefix) {
				continue
			}
			max := rp.Prefix.Addr().BitLen()
			if rp.LE != 0 && (rp.LE < rp.Prefix.Bits() || rp.LE > max) {
				v.add(join(ep, "le"), "%d: must be %d..%d (the prefix's length up to the family's)", rp.LE, rp.Prefix.Bits(), max)
			}
		}
	}
}

// prefixOK checks a prefix is set and written masked. Entries of a family the cluster does
// not use are allowed and left unused, as for networks and static routes, so one file serves
// every family.
func (v *validator) prefixOK(path string, p netip.Prefix) bool {
	switch {
	case !p.IsValid():
		v.add(path, "not a prefix")
		return false
	case p != p.Masked():
		v.add(path, "%s has host bits set (did you mean %s?)", p, p.Masked())
		return false
	}
	return true
}
