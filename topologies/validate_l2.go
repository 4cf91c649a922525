package topologies

import (
	"slices"
	"strconv"
	"strings"
)

// NodeInterface is the one interface a kind node has: its attachment to the nodes' network,
// the only interface an L2Advertisement can name.
const NodeInterface = "eth0"

// l2 checks the L2 advertisements and their pools. In L2 mode the node that owns a service
// IP answers ARP (IPv4) or NDP (IPv6) for it on the nodes' network, so a neighbor there (a
// router, a client) reaches it directly: the pool must lie inside that network's subnet of
// its family, in the static half (Docker hands the upper half to the kind nodes), clear of
// every static address. A lab checks a pool in one mode: no BGP advertisement may announce
// an L2 pool.
func (v *validator) l2() {
	m := v.t.MetalLB
	if len(m.L2Advertisements) == 0 {
		return
	}
	paths := paths("metallb.l2Advertisements", mapSlice(m.L2Advertisements, func(a L2Advertisement) string { return a.Name }))
	names := map[string]int{}
	for i, a := range m.L2Advertisements {
		ap := paths[i]
		np := join(ap, "name")
		switch {
		case a.Name == "":
			v.add(np, "not set (WithDefaults sets l2advertisement-%d)", i)
		case len(a.Name) > maxSubdomainLen || !subdomainRE.MatchString(a.Name):
			v.add(np, "%q must be a DNS subdomain of at most %d characters: lowercase letters, digits, '-' and '.'", a.Name, maxSubdomainLen)
		default:
			if k, dup := names[a.Name]; dup {
				v.add(np, "duplicate L2 advertisement name %q (also %s)", a.Name, paths[k])
			} else {
				names[a.Name] = i
			}
		}
		if len(a.Pools) == 0 {
			v.add(join(ap, "pools"), "required: name the pools announced in L2 mode (a lab checks each pool in one mode, so there is no 'every pool' here)")
		}
		v.poolRefs(join(ap, "pools"), a.Pools)
		if len(a.Nodes) > 0 {
			v.announcingNodeRefs(join(ap, "nodes"), a.Nodes, "nobody would answer for the pools' IPs")
		}
		for j, ifc := range a.Interfaces {
			if ifc != NodeInterface {
				v.add(index(join(ap, "interfaces"), strconv.Itoa(j)), "%q: no node has it (a kind node has one interface, %s, on network %s)", ifc, NodeInterface, v.t.Cluster.Network)
			}
		}
	}

	nodesNet, ok := v.t.Network(v.t.Cluster.Network)
	if !ok {
		return // reported with the cluster
	}
	for i, p := range m.Pools {
		if !m.L2Pool(p.Name) {
			continue
		}
		for j, s := range p.Addresses {
			ap := index(join(v.poolPath[i], "addresses"), strconv.Itoa(j))
			r, err := ParsePoolAddress(s)
			if err != nil {
				continue // reported with the pools
			}
			fam, ask := IPv4, "ARP"
			if r.Is6() {
				fam, ask = IPv6, "NDP"
			}
			subnet, ok := nodesNet.Subnet(fam)
			if !ok {
				v.add(ap, "%s: an L2 pool's %s addresses lie in the nodes' network, and network %s has no %s subnet", s, fam, v.t.Cluster.Network, fam)
				continue
			}
			subnet = subnet.Masked()
			dyn, _ := DynamicRange(subnet)
			switch {
			case !subnet.Contains(r.From) || !subnet.Contains(r.To):
				v.add(ap, "%s: an L2 pool must lie inside the nodes' network %s (%s), where its neighbors ask for the address by %s; outside it, no client could reach it", s, v.t.Cluster.Network, subnet, ask)
			case r.From == subnet.Addr():
				v.add(ap, "%s holds %s, the network's own address", s, subnet.Addr())
			case r.Overlaps(PrefixRange(dyn)):
				v.add(ap, "%s reaches into %s, the range Docker gives the kind nodes; keep an L2 pool in the static half, below %s", s, dyn, dyn.Addr())
			default:
				var taken []string
				for a, o := range v.addrs {
					if r.Contains(a) {
						taken = append(taken, a.String()+" ("+o.path+")")
					}
				}
				if len(taken) > 0 {
					slices.Sort(taken)
					v.add(ap, "%s holds static addresses of the lab: %s", s, strings.Join(taken, ", "))
				}
			}
		}
	}

	// BGP advertisements keep off the L2 pools.
	var l2 []string
	for _, p := range m.Pools {
		if m.L2Pool(p.Name) {
			l2 = append(l2, p.Name)
		}
	}
	for i, a := range m.Advertisements {
		if len(a.Pools) == 0 {
			v.add(join(v.advPath[i], "pools"), "empty, which announces every pool by BGP, the L2 pools (%s) too; name the pools it announces (%s)", strings.Join(l2, ", "), strings.Join(m.BGPPools(), ", "))
			continue
		}
		for j, name := range a.Pools {
			if m.L2Pool(name) {
				v.add(index(join(v.advPath[i], "pools"), strconv.Itoa(j)), "%q is announced in L2 mode (metallb.l2Advertisements): a lab checks each pool in one mode", name)
			}
		}
	}
}
