package topologies

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

func addr(s string) netip.Addr     { return netip.MustParseAddr(s) }
func dualStack() Topology          { return dual().WithDefaults() }
func prefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// TestValidateRejects changes one thing in a valid builtin, applies the defaults again (as
// Prepare does) and expects an error naming the element and field, with a message that says
// what is wrong.
func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name   string
		base   func() Topology
		mutate func(*Topology)
		path   string
		msg    string
	}{
		// Topology and names.
		{"missing topology name", SingleHop, func(t *Topology) { t.Name = "" }, "name", "required"},
		{"invalid name", SingleHop, func(t *Topology) {
			t.Routers[0].Name = "Edge_1"
			t.Clients[0].Via = "Edge_1"
			t.MetalLB.Peers[0].Router = "Edge_1"
		},
			"routers[Edge_1].name", "lowercase letters"},
		{"name too long", SingleHop, func(t *Topology) { t.Name = strings.Repeat("a", 33) }, "name", "longer than 32"},
		{"duplicate network name", SingleHop, func(t *Topology) { t.Networks[1].Name = "nodes" }, "networks[1].name", `duplicate network name "nodes" (also networks[0])`},
		{"duplicate router name", MultiHop, func(t *Topology) { t.Routers[1].Name = "transit" }, "routers[1].name", `duplicate router name "transit"`},
		{"client named like a router", SingleHop, func(t *Topology) { t.Clients[0].Name = "edge" }, "clients[edge].name", "already used by routers[edge]"},
		{"duplicate pool name", SingleHop, func(t *Topology) {
			t.MetalLB.Pools = append(t.MetalLB.Pools, Pool{Name: "default", Addresses: []string{"10.250.1.0/28"}})
		}, "metallb.pools[1].name", "duplicate pool name"},

		// Cluster.
		{"several control planes", SingleHop, func(t *Topology) { t.Cluster.ControlPlanes = 3 }, "cluster.controlPlanes", "only 1"},
		{"negative workers", SingleHop, func(t *Topology) { t.Cluster.Workers = -1 }, "cluster.workers", "negative"},
		{"nobody announces", SingleHop, func(t *Topology) { t.Cluster.Workers = 0 }, "cluster.controlPlaneAnnounces", "no node announces"},
		{"bad kubernetes version", SingleHop, func(t *Topology) { t.Cluster.KubernetesVersion = "1.34" }, "cluster.kubernetesVersion", "not a version"},
		{"bad ip family", SingleHop, func(t *Topology) { t.Cluster.IPFamily = "ipv5" }, "cluster.ipFamily", "must be ipv4, ipv6 or dual"},
		{"unknown cluster network", SingleHop, func(t *Topology) { t.Cluster.Network = "nodez" }, "cluster.network", `unknown network "nodez" (known: clients, nodes)`},
		{"pod subnet of the wrong family", SingleHop, func(t *Topology) { t.Cluster.PodSubnet.IPv4 = prefix("fd00:1::/56") }, "cluster.podSubnet.ipv4", "not an IPv4 prefix"},
		{"pod subnet not a network address", SingleHop, func(t *Topology) { t.Cluster.PodSubnet.IPv4 = prefix("10.244.1.0/16") }, "cluster.podSubnet.ipv4", "did you mean 10.244.0.0/16"},
		{"pod subnet too small for the nodes", SingleHop, func(t *Topology) { t.Cluster.PodSubnet.IPv4 = prefix("10.244.0.0/23") }, "cluster.podSubnet.ipv4", "too small for 3 nodes"},
		{"service subnet too large", SingleHop, func(t *Topology) { t.Cluster.ServiceSubnet.IPv4 = prefix("10.96.0.0/11") }, "cluster.serviceSubnet.ipv4", "2^20"},
		{"IPv6 subnet in an IPv4 cluster", SingleHop, func(t *Topology) { t.Cluster.ServiceSubnet.IPv6 = prefix("fd00:10:96::/112") }, "cluster.serviceSubnet.ipv6", "set, but cluster.ipFamily is ipv4"},
		{"node route via a non-router", SingleHop, func(t *Topology) { t.Cluster.Routes[0].Via = addr("172.30.0.3") }, "cluster.routes[0].via", `not the address of a lab router on network "nodes"`},
		{"node route via a router on another network", MultiHop, func(t *Topology) { t.Cluster.Routes[0].Via = addr("172.29.0.3") }, "cluster.routes[0].via", "not the address of a lab router"},
		{"route of mixed families", SingleHop, func(t *Topology) { t.Cluster.Routes[0].Via = addr("fd00:30::2") }, "cluster.routes[0].via", "not of the same family"},
		{"route prefix not a network address", SingleHop, func(t *Topology) { t.Cluster.Routes[0].Prefix = prefix("172.31.0.1/24") }, "cluster.routes[0].prefix", "did you mean 172.31.0.0/24"},
		{"route via a client", SingleHop, func(t *Topology) {
			t.Clients = append(t.Clients, client("other", "nodes", "172.30.0.10", "fd00:30::10", "edge"))
			t.Cluster.Routes[0].Via = addr("172.30.0.10")
		}, "cluster.routes[0].via", "a client's address"},

		// Networks and overlaps.
		{"no networks", SingleHop, func(t *Topology) { t.Networks = nil }, "networks", "at least one"},
		{"network without subnet", SingleHop, func(t *Topology) { t.Networks[1] = Network{Name: "clients"} }, "networks[clients]", "needs an ipv4 or ipv6 subnet"},
		{"network without the cluster's family", SingleHop, func(t *Topology) { t.Cluster.IPFamily = DualStack; t.Networks[1].IPv6 = netip.Prefix{} }, "networks[clients].ipv6", "required (cluster.ipFamily is dual)"},
		{"subnet too small", SingleHop, func(t *Topology) { t.Networks[1].IPv4 = prefix("172.31.0.0/30") }, "networks[clients].ipv4", "smaller than /29"},
		{"nodes do not fit the dynamic range", SingleHop, func(t *Topology) {
			t.Networks[0].IPv4 = prefix("172.30.0.0/29")
			t.Cluster.Workers = 5
		}, "networks[nodes].ipv4", "the dynamic range 172.30.0.4/30 holds 3 nodes, the cluster has 6"},
		{"loopback network", SingleHop, func(t *Topology) { t.Networks[1].IPv4 = prefix("127.0.0.0/24") }, "networks[clients].ipv4", "not a unicast range"},
		{"overlapping networks", SingleHop, func(t *Topology) { t.Networks[1].IPv4 = prefix("172.30.0.0/23") }, "networks[clients].ipv4", "overlaps networks[nodes].ipv4 (172.30.0.0/24)"},
		{"overlapping IPv6 networks", SingleHop, func(t *Topology) { t.Networks[1].IPv6 = prefix("fd00:30::/56") }, "networks[clients].ipv6", "overlaps networks[nodes].ipv6"},
		{"network overlaps the service subnet", SingleHop, func(t *Topology) { t.Cluster.ServiceSubnet.IPv4 = prefix("172.31.0.0/16") }, "cluster.serviceSubnet.ipv4", "overlaps networks[clients].ipv4"},
		{"pod and service subnets overlap", SingleHop, func(t *Topology) { t.Cluster.ServiceSubnet.IPv4 = prefix("10.244.128.0/20") }, "cluster.serviceSubnet.ipv4", "overlaps cluster.podSubnet.ipv4"},
		{"pool overlaps a network", SingleHop, func(t *Topology) { t.MetalLB.Pools[0].Addresses = []string{"172.31.0.64/28"} }, "metallb.pools[default].addresses[0]", "overlaps networks[clients].ipv4"},
		{"pool overlaps the pod subnet", SingleHop, func(t *Topology) { t.MetalLB.Pools[0].Addresses = []string{"10.244.1.1-10.244.1.5"} }, "metallb.pools[default].addresses[0]", "overlaps cluster.podSubnet.ipv4"},
		{"pools overlap each other", SingleHop, func(t *Topology) {
			t.MetalLB.Pools = append(t.MetalLB.Pools, Pool{Name: "more", Addresses: []string{"10.250.0.8-10.250.0.20"}})
			t.MetalLB.Advertisements[0].Pools = nil
		}, "metallb.pools[more].addresses[0]", "overlaps metallb.pools[default].addresses[0]"},

		// Static addresses.
		{"address outside its subnet", SingleHop, func(t *Topology) { t.Routers[0].Interfaces[0].IPv4 = addr("172.31.0.5") }, "routers[edge].interfaces[0].ipv4", `outside network "nodes" (172.30.0.0/24)`},
		{"address in the dynamic upper half", SingleHop, func(t *Topology) { t.Clients[0].IPv4 = addr("172.31.0.200") }, "clients[client].ipv4", "upper half of 172.31.0.0/24 (172.31.0.128/25)"},
		{"IPv6 address in the dynamic upper half", SingleHop, func(t *Topology) { t.Clients[0].IPv6 = addr("fd00:31::8000:0:0:1") }, "clients[client].ipv6", "upper half"},
		{"network address", SingleHop, func(t *Topology) { t.Clients[0].IPv4 = addr("172.31.0.0") }, "clients[client].ipv4", "network address"},
		{"gateway address", SingleHop, func(t *Topology) { t.Routers[0].Interfaces[1].IPv4 = addr("172.31.0.1") }, "routers[edge].interfaces[1].ipv4", "Docker gives the gateway"},
		{"IPv6 gateway address", SingleHop, func(t *Topology) { t.Routers[0].Interfaces[1].IPv6 = addr("fd00:31::1") }, "routers[edge].interfaces[1].ipv6", "Docker gives the gateway"},
		{"broadcast address", SingleHop, func(t *Topology) { t.Clients[0].IPv4 = addr("172.31.0.255") }, "clients[client].ipv4", "broadcast"},
		{"duplicate address", SingleHop, func(t *Topology) { t.Clients[0].IPv4 = addr("172.31.0.2") }, "clients[client].ipv4", "also used by routers[edge].interfaces[1].ipv4"},
		{"IPv6 in the IPv4 field", SingleHop, func(t *Topology) { t.Clients[0].IPv4 = addr("fd00:31::10") }, "clients[client].ipv4", "not an IPv4 address"},
		{"address on a network without that family", SingleHop, func(t *Topology) { t.Networks[1].IPv6 = netip.Prefix{} }, "clients[client].ipv6", `network "clients" has no ipv6 subnet`},
		{"attachment without address", SingleHop, func(t *Topology) { t.Routers[0].Interfaces[1] = Attachment{Network: "clients"} }, "routers[edge].interfaces[1]", "needs an ipv4 or ipv6 address"},
		{"IPv6 address missing in a dual cluster", dualStack, func(t *Topology) { t.Clients[0].IPv6 = netip.Addr{} }, "clients[client].ipv6", "required (cluster.ipFamily is dual)"},
		{"IPv6 router address missing in a dual cluster", dualStack, func(t *Topology) { t.Routers[0].Interfaces[0].IPv6 = netip.Addr{} }, "routers[edge].interfaces[0].ipv6", "required"},
		{"IPv4 address missing in a dual cluster", dualStack, func(t *Topology) { t.Clients[0].IPv4 = netip.Addr{} }, "clients[client].ipv4", "required"},

		// Routers.
		{"unknown interface network", SingleHop, func(t *Topology) { t.Routers[0].Interfaces[1].Network = "clinets" }, "routers[edge].interfaces[1].network", `unknown network "clinets"`},
		{"two interfaces on one network", SingleHop, func(t *Topology) {
			t.Routers[0].Interfaces = append(t.Routers[0].Interfaces, attach("nodes", "172.30.0.3", "fd00:30::3"))
		}, "routers[edge].interfaces[2].network", `already on network "nodes"`},
		{"router without interfaces", SingleHop, func(t *Topology) { t.Routers[0].Interfaces = nil }, "routers[edge].interfaces", "at least one"},
		{"ASN 0", SingleHop, func(t *Topology) { t.Routers[0].ASN = 0 }, "routers[edge].asn", "required"},
		{"ASN 4294967295", SingleHop, func(t *Topology) { t.Routers[0].ASN = 4294967295 }, "routers[edge].asn", "reserved"},
		{"ASN AS_TRANS", SingleHop, func(t *Topology) { t.Routers[0].ASN = 23456 }, "routers[edge].asn", "AS_TRANS"},
		{"MetalLB ASN 0", SingleHop, func(t *Topology) { t.MetalLB.ASN = 0 }, "metallb.asn", "required"},
		{"MetalLB ASN AS_TRANS", SingleHop, func(t *Topology) { t.MetalLB.ASN = 23456 }, "metallb.asn", "AS_TRANS"},
		{"peer ASN AS_TRANS", MultiHop, func(t *Topology) { t.Routers[1].Peers[1].ASN = 23456 }, "routers[edge].peers[1].asn", "AS_TRANS"},
		{"peer ASN does not match the router", MultiHop, func(t *Topology) { t.Routers[1].Peers[1].ASN = 65000 }, "routers[edge].peers[1].asn", `65000, but router "transit" has asn 64513`},
		{"nodes peer ASN does not match MetalLB", SingleHop, func(t *Topology) { t.Routers[0].Peers[0].ASN = 65000 }, "routers[edge].peers[0].asn", "but metallb.asn is 64512"},
		{"bad role", SingleHop, func(t *Topology) { t.Routers[0].Role = "core" }, "routers[edge].role", "must be edge or transit"},
		{"router ID of the wrong family", SingleHop, func(t *Topology) { t.Routers[0].RouterID = addr("fd00::1") }, "routers[edge].routerID", "IPv4"},
		{"IPv6-only router without router ID", SingleHop, func(t *Topology) {
			t.Routers[0].RouterID = netip.Addr{}
			for i := range t.Routers[0].Interfaces {
				t.Routers[0].Interfaces[i].IPv4 = netip.Addr{}
			}
		}, "routers[edge].routerID", "no IPv4 address"},
		{"duplicate router ID", MultiHop, func(t *Topology) { t.Routers[1].RouterID = t.Routers[0].RouterID }, "routers[edge].routerID", "also the router ID of routers[transit]"},
		{"maxPaths without ECMP", SingleHop, func(t *Topology) { t.Routers[0].ECMP = false }, "routers[edge].maxPaths", "ecmp is false"},
		{"maxPaths out of range", SingleHop, func(t *Topology) { t.Routers[0].MaxPaths = 1 }, "routers[edge].maxPaths", "2..128"},
		{"peer with neither nodes nor router", SingleHop, func(t *Topology) { t.Routers[0].Peers = append(t.Routers[0].Peers, Peer{BFD: true}) }, "routers[edge].peers[1]", "set nodes: true or router"},
		{"peer with both nodes and router", SingleHop, func(t *Topology) { t.Routers[0].Peers[0].Router = "edge" }, "routers[edge].peers[0]", "not both"},
		{"unknown peer router", SingleHop, func(t *Topology) { t.Routers[0].Peers = append(t.Routers[0].Peers, Peer{Router: "egde"}) }, "routers[edge].peers[1].router", `unknown router "egde" (known: edge)`},
		{"peer with itself", SingleHop, func(t *Topology) { t.Routers[0].Peers = append(t.Routers[0].Peers, Peer{Router: "edge"}) }, "routers[edge].peers[1].router", "itself"},
		{"nodes twice", SingleHop, func(t *Topology) { t.Routers[0].Peers = append(t.Routers[0].Peers, Peer{Nodes: true}) }, "routers[edge].peers[1].nodes", "already peers with the nodes"},
		{"one-sided router peering", MultiHop, func(t *Topology) { t.Routers[0].Peers = nil }, "routers[edge].peers[1].router", `router "transit" has no peer for "edge"`},
		{"BFD on one side only", MultiHop, func(t *Topology) { t.Routers[1].Peers[1].BFD = true }, "routers[edge].peers[1].bfd", `"transit"'s peer for "edge" has bfd false`},
		{"peer network the other router is not on", MultiHop, func(t *Topology) { t.Routers[1].Peers[1].Network = "clients" }, "routers[edge].peers[1].network", `router "transit" is not on network "clients"`},
		{"routers sharing no network without a network", MultiHop, func(t *Topology) {
			t.Routers[0].Interfaces = t.Routers[0].Interfaces[:1] // transit leaves core
			t.Routers[0].Routes = nil
			t.Routers[1].Routes = nil
			t.Routers[1].Peers[1].Network = ""
		}, "routers[edge].peers[1].network", "share no network"},
		{"router peer across networks without multiHop", MultiHop, func(t *Topology) {
			t.Routers[1].Peers[1].Network = "nodes" // transit's nodes address, which edge is not on
		}, "routers[edge].peers[1].multiHop", `router "edge" is not on network "nodes"`},
		{"transit peers with the nodes", MultiHop, func(t *Topology) { t.Routers[0].Peers = append(t.Routers[0].Peers, Peer{Nodes: true}) }, "routers[transit].peers[1].nodes", "a transit router does not peer with the nodes"},
		{"router peers with the nodes but is not a MetalLB peer", SingleHop, func(t *Topology) {
			t.Routers = append(t.Routers, Router{Name: "edge2", ASN: 64514, Interfaces: []Attachment{attach("nodes", "172.30.0.3", "fd00:30::3")}, Peers: []Peer{{Nodes: true}}})
		}, "routers[edge2].peers[0].nodes", `router "edge2" peers with the nodes but is not in metallb.peers`},
		{"nodes peer from another network without multiHop", MultiHop, func(t *Topology) { t.Routers[1].Peers[0].MultiHop = false }, "routers[edge].peers[0].multiHop", `not on the nodes' network "nodes"`},
		{"add-path towards the nodes", SingleHop, func(t *Topology) { t.Routers[0].Peers[0].AddPathAll = true }, "routers[edge].peers[0].addPathAll", "only for router peers"},
		{"route via an unknown next hop", MultiHop, func(t *Topology) { t.Routers[1].Routes[0].Via = addr("172.29.0.9") }, "routers[edge].routes[0].via", `not the address of a lab router on networks "core", "clients"`},
		{"route via own address", MultiHop, func(t *Topology) { t.Routers[1].Routes[0].Via = addr("172.29.0.3") }, "routers[edge].routes[0].via", "own address"},
		{"route via a router on an unattached network", MultiHop, func(t *Topology) { t.Routers[1].Routes[0].Via = addr("172.30.0.2") }, "routers[edge].routes[0].via", `networks "core", "clients"`},
		{"route without next hop", SingleHop, func(t *Topology) { t.Routers[0].Routes = []StaticRoute{{Prefix: prefix("10.0.0.0/8")}} }, "routers[edge].routes[0].via", "required"},
		{"multi-hop router without route to the nodes", MultiHop, func(t *Topology) { t.Routers[1].Routes = nil }, "routers[edge].routes", `no route to the nodes' network "nodes" (172.30.0.0/24)`},

		// Clients.
		{"client via an unknown router", SingleHop, func(t *Topology) { t.Clients[0].Via = "egde" }, "clients[client].via", `unknown router "egde"`},
		{"client without via", SingleHop, func(t *Topology) { t.Clients[0].Via = "" }, "clients[client].via", "required"},
		{"client on an unknown network", SingleHop, func(t *Topology) { t.Clients[0].Network = "clinets" }, "clients[client].network", `unknown network "clinets"`},
		{"client via a router not on its network", MultiHop, func(t *Topology) { t.Clients[0].Via = "transit" }, "clients[client].via", `router "transit" is not on the client's network "clients"`},
		{"client with no path to the pools", SingleHop, func(t *Topology) {
			t.Routers = append(t.Routers, Router{Name: "lonely", ASN: 64520, Interfaces: []Attachment{attach("clients", "172.31.0.3", "fd00:31::3")}})
			t.Clients[0].Via = "lonely"
		}, "clients[client].via", "no path to the pools"},

		// MetalLB pools.
		{"no pools", SingleHop, func(t *Topology) { t.MetalLB.Pools = nil; t.MetalLB.Advertisements = nil }, "metallb.pools", "at least one pool"},
		{"pool without addresses", SingleHop, func(t *Topology) { t.MetalLB.Pools[0].Addresses = nil }, "metallb.pools[default].addresses", "at least one"},
		{"unparsable pool address", SingleHop, func(t *Topology) { t.MetalLB.Pools[0].Addresses = []string{"10.250.0.0"} }, "metallb.pools[default].addresses[0]", "neither a CIDR nor a range"},
		{"reversed pool range", SingleHop, func(t *Topology) { t.MetalLB.Pools[0].Addresses = []string{"10.250.0.9-10.250.0.1"} }, "metallb.pools[default].addresses[0]", "ends before it starts"},
		{"IPv6 pool in an IPv4 cluster", SingleHop, func(t *Topology) {
			t.MetalLB.Pools[0].Addresses = append(t.MetalLB.Pools[0].Addresses, "fd00:250::/124")
		}, "metallb.pools[default].addresses[1]", "IPv6 addresses, but cluster.ipFamily is ipv4"},
		{"no IPv6 pool in a dual cluster", SingleHop, func(t *Topology) { t.Cluster.IPFamily = DualStack }, "metallb.pools", "no ipv6 addresses, but cluster.ipFamily is dual"},
		{"multicast pool", SingleHop, func(t *Topology) { t.MetalLB.Pools[0].Addresses = []string{"224.0.0.0/28"} }, "metallb.pools[default].addresses[0]", "not a unicast range"},

		// MetalLB BFD profiles.
		{"BFD receive interval too short", SingleHop, func(t *Topology) { t.MetalLB.BFDProfiles[0].ReceiveInterval = 5 }, "metallb.bfdProfiles[fast].receiveInterval", "5 ms: must be 10..60000"},
		{"BFD transmit interval too long", SingleHop, func(t *Topology) { t.MetalLB.BFDProfiles[0].TransmitInterval = 60001 }, "metallb.bfdProfiles[fast].transmitInterval", "must be 10..60000"},
		{"BFD multiplier too small", SingleHop, func(t *Topology) { t.MetalLB.BFDProfiles[0].DetectMultiplier = 1 }, "metallb.bfdProfiles[fast].detectMultiplier", "must be 2..255"},
		{"BFD multiplier too large", SingleHop, func(t *Topology) { t.MetalLB.BFDProfiles[0].DetectMultiplier = 256 }, "metallb.bfdProfiles[fast].detectMultiplier", "must be 2..255"},
		{"duplicate BFD profile", SingleHop, func(t *Topology) { t.MetalLB.BFDProfiles = append(t.MetalLB.BFDProfiles, fastBFD()) }, "metallb.bfdProfiles[1].name", "duplicate BFD profile name"},

		// MetalLB peers.
		{"no MetalLB peers", SingleHop, func(t *Topology) { t.MetalLB.Peers = nil }, "metallb.peers", "at least one peer"},
		{"MetalLB peer with an unknown router", SingleHop, func(t *Topology) { t.MetalLB.Peers[0].Router = "egde" }, "metallb.peers[0].router", `unknown router "egde"`},
		{"MetalLB peer whose router does not peer with the nodes", SingleHop, func(t *Topology) { t.Routers[0].Peers = nil }, "metallb.peers[0].router", `router "edge" does not peer with the nodes`},
		{"MetalLB peer with an unknown BFD profile", SingleHop, func(t *Topology) { t.MetalLB.Peers[0].BFDProfile = "slow" }, "metallb.peers[0].bfdProfile", `unknown BFD profile "slow" (known: fast)`},
		{"MetalLB peer without BFD against a router with BFD", SingleHop, func(t *Topology) { t.MetalLB.Peers[0].BFDProfile = "" }, "metallb.peers[0].bfdProfile", "BFD would never come up"},
		{"MetalLB peer with BFD against a router without", SingleHop, func(t *Topology) { t.Routers[0].Peers[0].BFD = false }, "metallb.peers[0].bfdProfile", "bfd: false"},
		{"MetalLB peer ASN mismatch", SingleHop, func(t *Topology) { t.MetalLB.Peers[0].ASN = 64999 }, "metallb.peers[0].asn", `64999, but router "edge" has asn 64513`},
		{"MetalLB peer address not the router's", SingleHop, func(t *Topology) { t.MetalLB.Peers[0].IPv4 = addr("172.30.0.3") }, "metallb.peers[0].ipv4", `not router "edge"'s ipv4 address on "nodes"`},
		{"MetalLB peer IPv6 address in an IPv4 cluster", SingleHop, func(t *Topology) { t.MetalLB.Peers[0].IPv6 = addr("fd00:30::2") }, "metallb.peers[0].ipv6", "set, but cluster.ipFamily is ipv4"},
		{"MetalLB peer network unknown", SingleHop, func(t *Topology) { t.MetalLB.Peers[0].Network = "nodez" }, "metallb.peers[0].network", `unknown network "nodez"`},
		{"MetalLB peer network the router is not on", MultiHop, func(t *Topology) { t.MetalLB.Peers[0].Network = "nodes" }, "metallb.peers[0].network", `router "edge" is not on network "nodes"`},
		{"multi-hop MetalLB peer without network", MultiHop, func(t *Topology) { t.MetalLB.Peers[0].Network = ""; t.MetalLB.Peers[0].IPv4 = netip.Addr{} }, "metallb.peers[0].network", `required: router "edge" is not on the nodes' network "nodes"`},
		{"multi-hop MetalLB peer without ebgpMultiHop", MultiHop, func(t *Topology) { t.MetalLB.Peers[0].EBGPMultiHop = false }, "metallb.peers[0].ebgpMultiHop", "set ebgpMultiHop: true"},
		{"ebgpMultiHop against a single-hop router peer", SingleHop, func(t *Topology) { t.MetalLB.Peers[0].EBGPMultiHop = true }, "metallb.peers[0].ebgpMultiHop", "multiHop false"},
		{"ebgpMultiHop for iBGP", MultiHop, func(t *Topology) {
			t.MetalLB.ASN = 64513
			t.Routers[1].Peers[0].ASN = 64513
		}, "metallb.peers[0].ebgpMultiHop", "not allowed for an iBGP peer"},
		{"nodes cannot reach the multi-hop peer", MultiHop, func(t *Topology) { t.Cluster.Routes = t.Cluster.Routes[1:] }, "metallb.peers[0].ipv4", "the nodes have no route to 172.29.0.3"},
		{"echo mode on a multi-hop session", MultiHop, func(t *Topology) { t.MetalLB.BFDProfiles[0].EchoMode = true }, "metallb.peers[0].bfdProfile", "single-hop sessions only"},
		{"echo mode with IPv6 pools", dualStack, func(t *Topology) { t.MetalLB.BFDProfiles[0].EchoMode = true }, "metallb.peers[0].bfdProfile", "IPv6 pools"},
		{"connect time below a second", SingleHop, func(t *Topology) { t.MetalLB.Peers[0].ConnectTime = Duration(500 * time.Millisecond) }, "metallb.peers[0].connectTime", "1s..65535s"},
		{"connect time not whole seconds", SingleHop, func(t *Topology) { t.MetalLB.Peers[0].ConnectTime = Duration(1500 * time.Millisecond) }, "metallb.peers[0].connectTime", "whole seconds"},
		{"hold time too short", SingleHop, func(t *Topology) { t.MetalLB.Peers[0].HoldTime = Duration(2 * time.Second) }, "metallb.peers[0].holdTime", "3s..65535s"},
		{"keepalive longer than hold time", SingleHop, func(t *Topology) {
			t.MetalLB.Peers[0].HoldTime = Duration(9 * time.Second)
			t.MetalLB.Peers[0].KeepaliveTime = Duration(10 * time.Second)
		}, "metallb.peers[0].keepaliveTime", "longer than holdTime 9s"},
		{"duplicate MetalLB peer", SingleHop, func(t *Topology) { t.MetalLB.Peers = append(t.MetalLB.Peers, t.MetalLB.Peers[0]) }, "metallb.peers[1]", "duplicate of metallb.peers[0]"},

		// Advertisements.
		{"advertisement of an unknown pool", SingleHop, func(t *Topology) { t.MetalLB.Advertisements[0].Pools = []string{"defualt"} }, "metallb.advertisements[0].pools[0]", `unknown pool "defualt" (known: default)`},
		{"pool nobody advertises", SingleHop, func(t *Topology) {
			t.MetalLB.Pools = append(t.MetalLB.Pools, Pool{Name: "quiet", Addresses: []string{"10.250.1.0/28"}})
		}, "metallb.pools[quiet]", "no advertisement announces this pool"},
		{"bad community", SingleHop, func(t *Topology) { t.MetalLB.Advertisements[0].Communities = []string{"64512-100"} }, "metallb.advertisements[0].communities[0]", `want "ASN:value"`},
		{"community part out of range", SingleHop, func(t *Topology) { t.MetalLB.Advertisements[0].Communities = []string{"65536:1"} }, "metallb.advertisements[0].communities[0]", "0..65535"},
		{"large community part out of range", SingleHop, func(t *Topology) { t.MetalLB.Advertisements[0].Communities = []string{"large:1:2:4294967296"} }, "metallb.advertisements[0].communities[0]", "0..4294967295"},

		// Workload.
		{"negative replicas", SingleHop, func(t *Topology) { t.Workload.Replicas = -1 }, "workload.replicas", "at least 1"},
		{"bad traffic policy", SingleHop, func(t *Topology) { t.Workload.ExternalTrafficPolicy = "local" }, "workload.externalTrafficPolicy", "must be Cluster or Local"},
		{"port out of range", SingleHop, func(t *Topology) { t.Workload.Port = 70000 }, "workload.port", "1..65535"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		if seen[tt.name] {
			t.Fatalf("duplicate test name %q", tt.name)
		}
		seen[tt.name] = true
		t.Run(tt.name, func(t *testing.T) {
			in := tt.base()
			if err := in.Validate(); err != nil {
				t.Fatalf("the base topology does not validate: %v", err)
			}
			tt.mutate(&in)
			_, err := in.Prepare()
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Prepare() = %v, want Errors", err)
			}
			if !hasPath(errs, tt.path, tt.msg) {
				t.Errorf("want %s: ...%s..., got:\n%v", tt.path, tt.msg, err)
			}
		})
	}
}

// Validate reports every problem, not just the first.
func TestValidateReportsAllProblems(t *testing.T) {
	in := SingleHop()
	in.Routers[0].ASN = 23456
	in.Clients[0].IPv4 = addr("172.31.0.200")
	in.MetalLB.BFDProfiles[0].DetectMultiplier = 1
	in.Workload.Port = -1
	err := in.Validate()
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Validate() = %v, want Errors", err)
	}
	// In the order of the file's sections, whatever order the checks run in.
	want := []string{"routers[edge].asn", "clients[client].ipv4", "metallb.bfdProfiles[fast].detectMultiplier", "workload.port"}
	var got []string
	for _, e := range errs {
		got = append(got, e.Path)
	}
	if !slices.Equal(got, want) {
		t.Errorf("error paths = %v, want %v:\n%v", got, want, err)
	}
	if !strings.HasPrefix(err.Error(), "4 problems:\n  routers[edge].asn: ") {
		t.Errorf("error text = %q", err)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Path != "routers[edge].asn" {
		t.Errorf("errors.As(*FieldError) = %v, want the first problem", fe)
	}
}

func TestValidateNilWhenValid(t *testing.T) {
	// A nil Errors in an error interface would be non-nil: Validate must return a true nil.
	if err := SingleHop().Validate(); err != nil {
		t.Fatalf("Validate() = %#v", err)
	}
}

// The zero topology names every required field instead of panicking.
func TestValidateZeroTopology(t *testing.T) {
	err := Topology{}.Validate()
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Validate() = %v, want Errors", err)
	}
	for _, p := range []string{"name", "cluster.network", "networks", "metallb.asn", "metallb.pools", "metallb.peers"} {
		if !hasPath(errs, p, "") {
			t.Errorf("no error for %s in:\n%v", p, err)
		}
	}
	// And with defaults, the defaulted fields are no longer reported.
	_, err = Topology{}.Prepare()
	errors.As(err, &errs)
	if hasPath(errs, "cluster.kubernetesVersion", "") || hasPath(errs, "workload.port", "") {
		t.Errorf("Prepare still reports defaulted fields:\n%v", err)
	}
}

// A few valid variants that Validate must accept.
func TestValidateAccepts(t *testing.T) {
	tests := map[string]func() Topology{
		"dual stack": dual,
		"IPv6 only": func() Topology {
			t := SingleHop()
			t.Cluster.IPFamily = IPv6
			t.Cluster.PodSubnet.IPv4 = netip.Prefix{}
			t.Cluster.ServiceSubnet.IPv4 = netip.Prefix{}
			t.MetalLB.Pools[0].Addresses = []string{"fd00:250::/124"}
			t.MetalLB.Peers[0].IPv4 = netip.Addr{}
			return t
		},
		"single node that announces": func() Topology {
			t := SingleHop()
			t.Cluster.Workers = 0
			t.Cluster.ControlPlaneAnnounces = true
			return t
		},
		"ETP local with a range pool": func() Topology {
			t := SingleHop()
			t.Workload.ExternalTrafficPolicy = ETPLocal
			t.MetalLB.Pools[0].Addresses = []string{"10.250.0.1-10.250.0.9"}
			return t
		},
		"client via transit reaches the nodes over BGP": func() Topology {
			t := MultiHop()
			t.Routers[0].Interfaces = append(t.Routers[0].Interfaces, attach("clients", "172.31.0.3", "fd00:31::3"))
			t.Clients[0].Via = "transit"
			return t
		},
		"no clients": func() Topology {
			t := SingleHop()
			t.Clients = nil
			return t
		},
	}
	for name, f := range tests {
		if _, err := f().Prepare(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
