package harness

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/peerlab/peerlab/routers"
	"github.com/peerlab/peerlab/topologies"
)

// nodesPeerGroup is the peer group a router uses for the cluster's nodes.
const nodesPeerGroup = "nodes"

// nodesRouteMapIn is the inbound route-map of the nodes' peer group in labs
// with IPv6.
const nodesRouteMapIn = "nodes-in"

// routerSpec turns a topology router into FRR configuration, from the
// lab's plan. A router that peers with the nodes names each node a MetalLB
// peer of it selects as a neighbor of one peer group (routers start after
// the cluster, so the addresses are known). A listen range would be simpler
// but deadlocks with BFD: the router creates the BFD session of a dynamic
// neighbor only once BGP is up, and the speaker's FRR holds BGP in Idle
// while its BFD session is down.
func routerSpec(p *Plan, name string) (routers.Spec, error) {
	t := p.Topology
	rp, ok := p.Routers[name]
	if !ok {
		return routers.Spec{}, fmt.Errorf("no router %q in the topology", name)
	}
	r := rp.Router
	fams := t.Cluster.IPFamily.Families()
	var afs []routers.AddressFamily
	for _, f := range fams {
		if f == topologies.IPv6 {
			afs = append(afs, routers.IPv6Unicast)
		} else {
			afs = append(afs, routers.IPv4Unicast)
		}
	}
	s := routers.Spec{Hostname: r.Name, ASN: r.ASN, RouterID: r.RouterID}
	if r.ECMP {
		s.MaximumPaths = r.MaxPaths
		s.MaximumPathsIBGP = r.MaxPaths
		// Paths from nodes in different ASes (a per-node ASN setup) are
		// only multipath candidates with relaxed AS-path comparison.
		s.MultipathRelax = true
	}
	for _, rt := range r.Routes {
		s.StaticRoutes = append(s.StaticRoutes, routers.StaticRoute{Prefix: rt.Prefix, NextHop: rt.Via})
	}
	for _, o := range r.Originate {
		if slices.Contains(fams, topologies.FamilyOf(o.Addr())) {
			s.Originate = append(s.Originate, o)
		}
	}
	for i, peer := range r.Peers {
		switch {
		case peer.Nodes:
			pg := routers.PeerGroup{Name: nodesPeerGroup, PeerSettings: routers.PeerSettings{
				RemoteASN:       peer.ASN,
				Description:     "cluster nodes (MetalLB speakers)",
				ConnectRetry:    routers.DefaultConnectRetry,
				AddressFamilies: afs,
				Password:        peer.Password,
			}}
			pg.Hold, pg.Keepalive = bgpTimers(peer)
			if peer.MultiHop && !rp.IBGP {
				pg.EBGPMultihop = 255
			}
			if b := rp.BFD; peer.BFD && b != nil {
				s.BFDProfiles = append(s.BFDProfiles, routers.BFDProfile{
					Name:             "nodes-" + b.Name,
					DetectMultiplier: int(b.DetectMultiplier),
					ReceiveInterval:  time.Duration(b.ReceiveInterval) * time.Millisecond,
					TransmitInterval: time.Duration(b.TransmitInterval) * time.Millisecond,
				})
				pg.BFD = true
				pg.BFDProfile = "nodes-" + b.Name
			}
			if t.Cluster.IPFamily.HasIPv6() {
				// A node on the router's own network sends its IPv6 routes with
				// its link-local next hop besides the global one, and FRR
				// installs the link-local one: the RIB and kernel would name
				// fe80:: addresses instead of the nodes. Prefer the global
				// next hop, as most IPv6 edge configurations do, so next hops
				// are the node addresses in both families.
				s.RouteMaps = append(s.RouteMaps, routers.RouteMap{Name: nodesRouteMapIn, Entries: []routers.RouteMapEntry{
					{Seq: 10, Action: routers.Permit, Set: routers.RouteMapSet{IPv6NextHopPreferGlobal: true}},
				}})
				pg.RouteMapIn = nodesRouteMapIn
			}
			s.PeerGroups = append(s.PeerGroups, pg)
			for _, ns := range rp.NodeSessions {
				s.Neighbors = append(s.Neighbors, routers.Neighbor{Address: ns.Addr, PeerGroup: nodesPeerGroup})
			}
		case peer.Router != "":
			q, ok := t.Router(peer.Router)
			if !ok {
				return s, fmt.Errorf("router %s: peers[%d]: unknown router %q", r.Name, i, peer.Router)
			}
			att, ok := q.Interface(peer.Network)
			if !ok {
				return s, fmt.Errorf("router %s: peers[%d]: router %s is not on network %q", r.Name, i, q.Name, peer.Network)
			}
			for _, f := range fams {
				addr := att.Addr(f)
				if !addr.IsValid() {
					continue
				}
				af := routers.IPv4Unicast
				if addr.Is6() {
					af = routers.IPv6Unicast
				}
				s.Neighbors = append(s.Neighbors, routers.Neighbor{Address: addr, PeerSettings: routers.PeerSettings{
					RemoteASN:         peer.ASN,
					Description:       "router " + q.Name,
					ConnectRetry:      routers.DefaultConnectRetry,
					AddressFamilies:   []routers.AddressFamily{af},
					AddPathTxAllPaths: peer.AddPathAll,
					Password:          peer.Password,
				}})
				n := &s.Neighbors[len(s.Neighbors)-1]
				n.Hold, n.Keepalive = bgpTimers(peer)
			}
		}
	}
	return s, nil
}

// bgpTimers completes a peer's timers the way FRR wants them (both or
// neither): a lone hold time gets a third of it as keepalive, a lone
// keepalive three times it as hold time.
func bgpTimers(p topologies.Peer) (hold, keepalive time.Duration) {
	hold, keepalive = p.HoldTime.Std(), p.KeepaliveTime.Std()
	switch {
	case hold > 0 && keepalive == 0:
		keepalive = (hold / 3).Truncate(time.Second)
	case keepalive > 0 && hold == 0:
		hold = 3 * keepalive
	}
	return hold, keepalive
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}
