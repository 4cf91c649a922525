package topologies

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Addressing shared by the builtins. All lab ranges are private and avoid Docker's default
// bridge (172.17.0.0/16), kind's own network (172.18.0.0/16) and the cluster's pod and
// service subnets (10.244.0.0/16, 10.96.0.0/16). Every network is dual-stack, as kind's own
// network is, so that a dual-stack variant only needs ipFamily and a pool; the builtins
// themselves run IPv4. Routers take .2, .3, ...; clients .10 and up: all in the static
// lower half.
//
//	nodes    172.30.0.0/24  fd00:30::/64   the kind nodes (dynamic: 172.30.0.128/25)
//	core     172.29.0.0/24  fd00:29::/64   between transit and edge (multi-hop only)
//	clients  172.31.0.0/24  fd00:31::/64   the external client
//	pool     10.250.0.0/28                 the LoadBalancer IPs
const (
	metalLBASN = 64512
	routerASN  = 64513
)

var builtins = map[string]func() Topology{
	"single-hop": SingleHop,
	"multi-hop":  MultiHop,
	"reference":  Reference,
}

// ReferencePassword is the TCP MD5 password of every BGP session of the reference lab.
const ReferencePassword = "peerlab-md5"

// Names returns the names of the builtin topologies, sorted.
func Names() []string {
	names := make([]string, 0, len(builtins))
	for n := range builtins {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Builtin returns the named builtin topology, with defaults applied.
func Builtin(name string) (Topology, error) {
	f, ok := builtins[name]
	if !ok {
		return Topology{}, fmt.Errorf("unknown topology %q (builtin topologies: %s)", name, strings.Join(Names(), ", "))
	}
	return f(), nil
}

// SingleHop is the basic lab: one control plane and two workers on network "nodes", and one
// FRR router "edge" on "nodes" and "clients". Every announcing node (the two workers) peers
// with edge by eBGP (64512 to 64513) with BFD at 300 ms x 3; edge installs one ECMP next hop
// per node; the client on "clients" reaches the pool through edge. The nodes route the
// client network back through edge. Defaults are applied.
func SingleHop() Topology {
	return Topology{
		Name: "single-hop",
		Cluster: Cluster{
			Workers: 2,
			Network: "nodes",
			// Return path to the client: the nodes' default route points at the Docker host.
			Routes: []StaticRoute{
				route("172.31.0.0/24", "172.30.0.2"),
				route("fd00:31::/64", "fd00:30::2"),
			},
		},
		Networks: []Network{
			network("nodes", "172.30.0.0/24", "fd00:30::/64"),
			network("clients", "172.31.0.0/24", "fd00:31::/64"),
		},
		Routers: []Router{{
			Name: "edge",
			ASN:  routerASN,
			Role: RoleEdge,
			Interfaces: []Attachment{
				attach("nodes", "172.30.0.2", "fd00:30::2"),
				attach("clients", "172.31.0.2", "fd00:31::2"),
			},
			Peers: []Peer{{Nodes: true, BFD: true}},
			ECMP:  true,
		}},
		Clients: []Client{client("client", "clients", "172.31.0.10", "fd00:31::10", "edge")},
		MetalLB: MetalLB{
			ASN:         metalLBASN,
			Pools:       []Pool{{Name: "default", Addresses: []string{"10.250.0.0/28"}}},
			Peers:       []MetalLBPeer{{Router: "edge", BFDProfile: "fast"}},
			BFDProfiles: []BFDProfile{fastBFD()},
		},
	}.WithDefaults()
}

// MultiHop puts a router between the nodes and the BGP speaker they peer with. The nodes sit
// on "nodes"; "transit" joins "nodes" and "core"; "edge" joins "core" and "clients". MetalLB
// peers with edge's core address by eBGP multi-hop (with BFD), the nodes reaching core
// through transit. edge passes every node's path to transit over iBGP (both are AS 64513)
// with add-path, leaving the next hops (the node addresses) unchanged, so transit, which is
// on "nodes", installs one ECMP next hop per node in its kernel. edge resolves those next
// hops with its static route to "nodes" via transit; transit routes "clients" via edge; the
// nodes route "core" and "clients" via transit. Defaults are applied.
func MultiHop() Topology {
	return Topology{
		Name: "multi-hop",
		Cluster: Cluster{
			Workers: 2,
			Network: "nodes",
			// The BGP sessions to edge and the return path to the client both go via transit.
			Routes: []StaticRoute{
				route("172.29.0.0/24", "172.30.0.2"),
				route("172.31.0.0/24", "172.30.0.2"),
				route("fd00:29::/64", "fd00:30::2"),
				route("fd00:31::/64", "fd00:30::2"),
			},
		},
		Networks: []Network{
			network("nodes", "172.30.0.0/24", "fd00:30::/64"),
			network("core", "172.29.0.0/24", "fd00:29::/64"),
			network("clients", "172.31.0.0/24", "fd00:31::/64"),
		},
		Routers: []Router{
			{
				Name: "transit",
				ASN:  routerASN,
				Role: RoleTransit,
				Interfaces: []Attachment{
					attach("nodes", "172.30.0.2", "fd00:30::2"),
					attach("core", "172.29.0.2", "fd00:29::2"),
				},
				Peers: []Peer{{Router: "edge"}},
				ECMP:  true,
				Routes: []StaticRoute{
					route("172.31.0.0/24", "172.29.0.3"),
					route("fd00:31::/64", "fd00:29::3"),
				},
			},
			{
				Name: "edge",
				ASN:  routerASN,
				Role: RoleEdge,
				Interfaces: []Attachment{
					attach("core", "172.29.0.3", "fd00:29::3"),
					attach("clients", "172.31.0.2", "fd00:31::2"),
				},
				Peers: []Peer{
					{Nodes: true, MultiHop: true, BFD: true},
					{Router: "transit", AddPathAll: true},
				},
				Routes: []StaticRoute{
					route("172.30.0.0/24", "172.29.0.2"),
					route("fd00:30::/64", "fd00:29::2"),
				},
			},
		},
		Clients: []Client{client("client", "clients", "172.31.0.10", "fd00:31::10", "edge")},
		MetalLB: MetalLB{
			ASN:   metalLBASN,
			Pools: []Pool{{Name: "default", Addresses: []string{"10.250.0.0/28"}}},
			Peers: []MetalLBPeer{{
				Router:       "edge",
				Network:      "core",
				EBGPMultiHop: true,
				BFDProfile:   "fast",
			}},
			BFDProfiles: []BFDProfile{fastBFD()},
		},
	}.WithDefaults()
}

// Reference is the four-router lab every catalog check runs against: each way MetalLB can
// peer, in one cluster (one control plane and two workers on "nodes"), all with BFD
// (300 ms x 3) and TCP MD5 (ReferencePassword):
//
//	ebgp      64513  on nodes and clients  eBGP single-hop; the client's router
//	ibgp      64512  on nodes              iBGP single-hop (MetalLB's own ASN)
//	transit   64514  on nodes and core     forwards between nodes and core; iBGP with ebgp-mh
//	ebgp-mh   64514  on core               eBGP multi-hop, through transit
//	ibgp-mh   64512  on core               iBGP multi-hop, through transit
//
// Every router that peers with the nodes does ECMP over them. The nodes route "core" via
// transit and "clients" via ebgp; the multi-hop routers route "nodes" via transit. iBGP
// needs no ebgpMultiHop on MetalLB's side, even multi-hop. Traffic from the multi-hop
// routers to a service leaves through transit, so transit must know the service routes
// too: ebgp-mh passes every node's path to it over iBGP with add-path, next hops unchanged
// (the nodes, on transit's own network), and transit does ECMP. Defaults are applied.
func Reference() Topology {
	nodesPeer := func(multiHop bool) []Peer {
		return []Peer{{Nodes: true, MultiHop: multiHop, BFD: true, Password: ReferencePassword}}
	}
	toNodes := []StaticRoute{
		route("172.30.0.0/24", "172.29.0.2"),
		route("fd00:30::/64", "fd00:29::2"),
	}
	// Only the workers open sessions: the control plane does not announce,
	// and its speaker shares the busiest node with the API server and etcd.
	// On 2 cores its bfdd ran its transmit timer up to 1.1 s late in the
	// dual-stack catalog, and all 8 of its sessions went down with BFD
	// after a step was green.
	mlbPeer := func(router, network string, ebgpMultiHop bool) MetalLBPeer {
		return MetalLBPeer{Router: router, Network: network, EBGPMultiHop: ebgpMultiHop, BFDProfile: "fast", Password: ReferencePassword,
			Nodes: []string{"worker", "worker2"}}
	}
	return Topology{
		Name: "reference",
		Cluster: Cluster{
			Workers: 2,
			Network: "nodes",
			Routes: []StaticRoute{
				// core (the multi-hop routers) via transit.
				route("172.29.0.0/24", "172.30.0.4"),
				route("fd00:29::/64", "fd00:30::4"),
				// clients (return traffic) via ebgp.
				route("172.31.0.0/24", "172.30.0.2"),
				route("fd00:31::/64", "fd00:30::2"),
			},
		},
		Networks: []Network{
			network("nodes", "172.30.0.0/24", "fd00:30::/64"),
			network("core", "172.29.0.0/24", "fd00:29::/64"),
			network("clients", "172.31.0.0/24", "fd00:31::/64"),
		},
		Routers: []Router{
			{
				Name: "ebgp",
				ASN:  routerASN,
				Role: RoleEdge,
				Interfaces: []Attachment{
					attach("nodes", "172.30.0.2", "fd00:30::2"),
					attach("clients", "172.31.0.2", "fd00:31::2"),
				},
				Peers: nodesPeer(false),
				ECMP:  true,
			},
			{
				Name:       "ibgp",
				ASN:        metalLBASN,
				Role:       RoleEdge,
				Interfaces: []Attachment{attach("nodes", "172.30.0.3", "fd00:30::3")},
				Peers:      nodesPeer(false),
				ECMP:       true,
			},
			{
				Name: "transit",
				ASN:  64514,
				Role: RoleTransit,
				Interfaces: []Attachment{
					attach("nodes", "172.30.0.4", "fd00:30::4"),
					attach("core", "172.29.0.2", "fd00:29::2"),
				},
				Peers: []Peer{{Router: "ebgp-mh"}},
				ECMP:  true,
			},
			{
				Name:       "ebgp-mh",
				ASN:        64514,
				Role:       RoleEdge,
				Interfaces: []Attachment{attach("core", "172.29.0.3", "fd00:29::3")},
				Peers:      append(nodesPeer(true), Peer{Router: "transit", AddPathAll: true}),
				ECMP:       true,
				Routes:     slices.Clone(toNodes),
			},
			{
				Name:       "ibgp-mh",
				ASN:        metalLBASN,
				Role:       RoleEdge,
				Interfaces: []Attachment{attach("core", "172.29.0.4", "fd00:29::4")},
				Peers:      nodesPeer(true),
				ECMP:       true,
				Routes:     slices.Clone(toNodes),
			},
		},
		Clients: []Client{client("client", "clients", "172.31.0.10", "fd00:31::10", "ebgp")},
		MetalLB: MetalLB{
			ASN:   metalLBASN,
			Pools: []Pool{{Name: "default", Addresses: []string{"10.250.0.0/28"}}},
			Peers: []MetalLBPeer{
				mlbPeer("ebgp", "nodes", false),
				mlbPeer("ibgp", "nodes", false),
				mlbPeer("ebgp-mh", "core", true),
				mlbPeer("ibgp-mh", "core", false), // iBGP: multi-hop without ebgpMultiHop
			},
			BFDProfiles: []BFDProfile{fastBFD()},
		},
	}.WithDefaults()
}

// fastBFD is the profile measured on the lab: a dead peer is detected in under a second.
func fastBFD() BFDProfile {
	return BFDProfile{Name: "fast", ReceiveInterval: 300, TransmitInterval: 300, DetectMultiplier: 3}
}

func network(name, v4, v6 string) Network {
	return Network{Name: name, IPv4: netip.MustParsePrefix(v4), IPv6: netip.MustParsePrefix(v6)}
}

func attach(network, v4, v6 string) Attachment {
	return Attachment{Network: network, IPv4: netip.MustParseAddr(v4), IPv6: netip.MustParseAddr(v6)}
}

func client(name, network, v4, v6, via string) Client {
	return Client{Name: name, Network: network, IPv4: netip.MustParseAddr(v4), IPv6: netip.MustParseAddr(v6), Via: via}
}

func route(prefix, via string) StaticRoute {
	return StaticRoute{Prefix: netip.MustParsePrefix(prefix), Via: netip.MustParseAddr(via)}
}
