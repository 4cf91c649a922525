package harness

import (
	"context"
	"net/netip"
	"slices"
	"strings"

	"github.com/peerlab/peerlab/topologies"
)

// Plan is what a topology implies for a running lab, resolved once from the
// topology and the live facts it cannot know (the nodes' addresses). The
// harness renders routers and MetalLB objects from it, and the checks read
// their expectations from it, so neither derives them on its own.
type Plan struct {
	Topology topologies.Topology
	// Nodes are the cluster's nodes, sorted by name.
	Nodes []Node
	// Peers are MetalLB's BGPPeers, one per router address in each family.
	Peers []PlannedPeer
	// Routers holds, by router name, the sessions each router should have.
	Routers map[string]RouterPlan
}

// PlannedPeer is one BGPPeer: the session every selected node opens to one
// router address.
type PlannedPeer struct {
	// Name is the BGPPeer object's name.
	Name    string
	Router  string
	Address netip.Addr
	ASN     uint32
	// Nodes are the short names of the nodes that open this session.
	Nodes []string
	// BFD is the profile of these sessions, nil without BFD.
	BFD      *topologies.BFDProfile
	MultiHop bool
	IBGP     bool
	Spec     topologies.MetalLBPeer
}

// RouterPlan is what one router should see.
type RouterPlan struct {
	Router topologies.Router
	// NodeSessions are the node addresses it peers with (one per node and
	// family, only nodes some MetalLB peer of this router selects).
	NodeSessions []NodeSession
	// RouterSessions are the addresses of other lab routers it peers with.
	RouterSessions []netip.Addr
	// BFD is the profile its node sessions run (mirrored from MetalLB), nil
	// without BFD.
	BFD *topologies.BFDProfile
	// IBGP is set when the router is in MetalLB's AS.
	IBGP bool
}

// NodeSession is one BGP session between a router and a node.
type NodeSession struct {
	Node string // short name (topologies.Cluster.NodeNames)
	Addr netip.Addr
	// Peer is the BGPPeer the node uses for it.
	Peer string
}

// Short is the node's name as topologies name nodes ("worker2").
func (n Node) Short() string { return n.short }

// Addr is the node's address in the family of like (IPv4 or IPv6).
func (n Node) Addr(ipv6 bool) netip.Addr {
	if ipv6 {
		return n.IPv6
	}
	return n.IPv4
}

// Plan resolves the lab's topology against its live nodes.
func (l *Lab) Plan(ctx context.Context) (*Plan, error) {
	nodes, err := l.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	return NewPlan(l.topo, nodes), nil
}

// NewPlan resolves a prepared topology against the given nodes.
func NewPlan(t topologies.Topology, nodes []Node) *Plan {
	p := &Plan{Topology: t, Nodes: nodes, Routers: map[string]RouterPlan{}}
	fams := t.Cluster.IPFamily.Families()
	for _, mp := range t.MetalLB.Peers {
		var bfd *topologies.BFDProfile
		if mp.BFDProfile != "" {
			for _, b := range t.MetalLB.BFDProfiles {
				if b.Name == mp.BFDProfile {
					bfd = &b
				}
			}
		}
		selected := mp.Nodes
		if len(selected) == 0 {
			selected = t.Cluster.NodeNames()
		}
		for _, f := range fams {
			addr := mp.IPv4
			if f == topologies.IPv6 {
				addr = mp.IPv6
			}
			if !addr.IsValid() {
				continue
			}
			p.Peers = append(p.Peers, PlannedPeer{
				Name:     peerObjectName(mp.Router, addr),
				Router:   mp.Router,
				Address:  addr,
				ASN:      mp.ASN,
				Nodes:    slices.Clone(selected),
				BFD:      bfd,
				MultiHop: mp.Network != t.Cluster.Network,
				IBGP:     mp.ASN == t.MetalLB.ASN,
				Spec:     mp,
			})
		}
	}
	for _, r := range t.Routers {
		rp := RouterPlan{Router: r, IBGP: r.ASN == t.MetalLB.ASN}
		if np, ok := r.NodesPeer(); ok {
			for _, pp := range p.Peers {
				if pp.Router != r.Name {
					continue
				}
				if np.BFD && pp.BFD != nil {
					rp.BFD = pp.BFD
				}
				for _, n := range nodes {
					if !slices.Contains(pp.Nodes, n.short) {
						continue
					}
					a := n.Addr(pp.Address.Is6())
					if a.IsValid() {
						rp.NodeSessions = append(rp.NodeSessions, NodeSession{Node: n.short, Addr: a, Peer: pp.Name})
					}
				}
			}
		}
		for _, peer := range r.Peers {
			if peer.Router == "" {
				continue
			}
			other, _ := t.Router(peer.Router)
			att, _ := other.Interface(peer.Network)
			for _, f := range fams {
				if a := att.Addr(f); a.IsValid() {
					rp.RouterSessions = append(rp.RouterSessions, a)
				}
			}
		}
		p.Routers[r.Name] = rp
	}
	return p
}

// NodeAddrs are the addresses of a router's node sessions.
func (rp RouterPlan) NodeAddrs() []netip.Addr {
	out := make([]netip.Addr, 0, len(rp.NodeSessions))
	for _, s := range rp.NodeSessions {
		out = append(out, s.Addr)
	}
	return out
}

// Node returns the node with the given short name.
func (p *Plan) Node(short string) (Node, bool) {
	for _, n := range p.Nodes {
		if n.short == short {
			return n, true
		}
	}
	return Node{}, false
}

// SpeakerPeers are the router addresses the speaker on a node should have
// sessions with, with the peer each belongs to.
func (p *Plan) SpeakerPeers(short string) []PlannedPeer {
	var out []PlannedPeer
	for _, pp := range p.Peers {
		if slices.Contains(pp.Nodes, short) {
			out = append(out, pp)
		}
	}
	return out
}

// PeersOf are the BGPPeers towards one router.
func (p *Plan) PeersOf(router string) []PlannedPeer {
	var out []PlannedPeer
	for _, pp := range p.Peers {
		if pp.Router == router {
			out = append(out, pp)
		}
	}
	return out
}

// peerObjectName names the BGPPeer for one router address.
func peerObjectName(router string, addr netip.Addr) string {
	return strings.Trim(router+"-"+strings.NewReplacer(".", "-", ":", "-").Replace(addr.String()), "-")
}

// shortNodeName turns a kind node name into the topology's node name.
func shortNodeName(cluster, node string) string {
	if s, ok := strings.CutPrefix(node, cluster+"-"); ok {
		return s
	}
	return node
}

// MakeNode describes a node without a cluster, for plans computed offline
// (tests of the checks, tools): short is its topology name ("worker2").
func MakeNode(name, short string, ipv4, ipv6 netip.Addr, announces bool) Node {
	return Node{Name: name, short: short, IPv4: ipv4, IPv6: ipv6, Announces: announces}
}
