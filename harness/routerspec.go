package harness

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/peerlab/peerlab/routers"
	"github.com/peerlab/peerlab/topologies"
)

// nodesPeerGroup is the peer group a router uses for the cluster's nodes.
const nodesPeerGroup = "nodes"

// routerSpec turns a topology router into FRR configuration. A router that
// peers with the nodes names each node as a neighbor of one peer group
// (routers start after the cluster, so the addresses are known). A listen
// range would be simpler but deadlocks with BFD: the router creates the BFD
// session of a dynamic neighbor only once BGP is up, and the speaker's FRR
// holds BGP in Idle while its BFD session is down.
func routerSpec(t topologies.Topology, r topologies.Router, nodes []Node) (routers.Spec, error) {
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
	for i, p := range r.Peers {
		switch {
		case p.Nodes:
			if len(nodes) == 0 {
				return s, fmt.Errorf("router %s peers with the nodes, but the cluster has no nodes yet", r.Name)
			}
			pg := routers.PeerGroup{Name: nodesPeerGroup, PeerSettings: routers.PeerSettings{
				RemoteASN:       p.ASN,
				Description:     "cluster nodes (MetalLB speakers)",
				ConnectRetry:    routers.DefaultConnectRetry,
				AddressFamilies: afs,
			}}
			if p.MultiHop {
				pg.EBGPMultihop = 255
			}
			if p.BFD {
				prof, err := nodesBFDProfile(t, r)
				if err != nil {
					return s, err
				}
				s.BFDProfiles = append(s.BFDProfiles, prof)
				pg.BFD = true
				pg.BFDProfile = prof.Name
			}
			s.PeerGroups = append(s.PeerGroups, pg)
			for _, n := range nodes {
				for _, f := range fams {
					addr := n.IPv4
					if f == topologies.IPv6 {
						addr = n.IPv6
					}
					if addr.IsValid() {
						s.Neighbors = append(s.Neighbors, routers.Neighbor{Address: addr, PeerGroup: nodesPeerGroup})
					}
				}
			}
		case p.Router != "":
			q, ok := t.Router(p.Router)
			if !ok {
				return s, fmt.Errorf("router %s: peers[%d]: unknown router %q", r.Name, i, p.Router)
			}
			att, ok := q.Interface(p.Network)
			if !ok {
				return s, fmt.Errorf("router %s: peers[%d]: router %s is not on network %q", r.Name, i, q.Name, p.Network)
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
					RemoteASN:         p.ASN,
					Description:       "router " + q.Name,
					ConnectRetry:      routers.DefaultConnectRetry,
					AddressFamilies:   []routers.AddressFamily{af},
					AddPathTxAllPaths: p.AddPathAll,
				}})
			}
		}
	}
	return s, nil
}

// nodesBFDProfile gives the router's side of the nodes' BFD sessions the
// timers of the BFD profile MetalLB uses towards this router, so both ends
// negotiate the same detection time.
func nodesBFDProfile(t topologies.Topology, r topologies.Router) (routers.BFDProfile, error) {
	for _, p := range t.MetalLB.Peers {
		if p.Router != r.Name || p.BFDProfile == "" {
			continue
		}
		for _, b := range t.MetalLB.BFDProfiles {
			if b.Name == p.BFDProfile {
				return routers.BFDProfile{
					Name:             "nodes-" + b.Name,
					DetectMultiplier: int(b.DetectMultiplier),
					ReceiveInterval:  time.Duration(b.ReceiveInterval) * time.Millisecond,
					TransmitInterval: time.Duration(b.TransmitInterval) * time.Millisecond,
				}, nil
			}
		}
	}
	return routers.BFDProfile{}, fmt.Errorf("router %s peers with the nodes with BFD, but no MetalLB peer of it names a BFD profile", r.Name)
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}
