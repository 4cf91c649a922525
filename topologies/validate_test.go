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
		{"kubernetes version that cannot be built", SingleHop, func(t *Topology) { t.Cluster.KubernetesVersion = "v1.33.4" }, "cluster.kubernetesVersion", "v1.33.4 cannot be built here: only v1.34.10 can; use v1.34.10, or set cluster.nodeImage"},
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
		}, "networks[nodes].ipv4", "the dynamic range 172.30.0.4/30 holds 2 nodes, the cluster has 6"},
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
		{"the gateway", SingleHop, func(t *Topology) { t.Clients[0].IPv4 = addr("172.31.0.254") }, "clients[client].ipv4", "upper half"},
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
		{"router peer password with a space", SingleHop, func(t *Topology) { t.Routers[0].Peers[0].Password = "peer lab" }, "routers[edge].peers[0].password", "printable ASCII without spaces"},
		{"router peer password not ASCII", SingleHop, func(t *Topology) { t.Routers[0].Peers[0].Password = "pässword" }, "routers[edge].peers[0].password", `contains 'ä'`},
		{"router peer password too long", SingleHop, func(t *Topology) { t.Routers[0].Peers[0].Password = strings.Repeat("p", 81) }, "routers[edge].peers[0].password", "81 characters: TCP MD5 takes at most 80"},
		{"router peers with different passwords", MultiHop, func(t *Topology) {
			t.Routers[0].Peers[0].Password = "one"
			t.Routers[1].Peers[1].Password = "two"
		}, "routers[edge].peers[1].password", "differs from routers[transit].peers[0].password"},
		{"router peer hold time too short", SingleHop, func(t *Topology) { t.Routers[0].Peers[0].HoldTime = Duration(2 * time.Second) }, "routers[edge].peers[0].holdTime", "must be 0 (FRR's default: 180s) or whole seconds, 3s..65535s"},
		{"router peer hold time not whole seconds", SingleHop, func(t *Topology) { t.Routers[0].Peers[0].HoldTime = Duration(4500 * time.Millisecond) }, "routers[edge].peers[0].holdTime", "whole seconds"},
		{"router peer hold time too long", SingleHop, func(t *Topology) { t.Routers[0].Peers[0].HoldTime = Duration(65536 * time.Second) }, "routers[edge].peers[0].holdTime", "3s..65535s"},
		{"router peer keepalive not whole seconds", SingleHop, func(t *Topology) { t.Routers[0].Peers[0].KeepaliveTime = Duration(500 * time.Millisecond) }, "routers[edge].peers[0].keepaliveTime", "whole seconds, 1s..65535s"},
		{"router peer keepalive longer than hold time", MultiHop, func(t *Topology) {
			t.Routers[1].Peers[1].HoldTime = Duration(9 * time.Second)
			t.Routers[1].Peers[1].KeepaliveTime = Duration(10 * time.Second)
		}, "routers[edge].peers[1].keepaliveTime", "10s is longer than holdTime 9s"},

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
		{"pool with only addresses avoidBuggyIPs skips", SingleHop, func(t *Topology) {
			t.MetalLB.Pools[0].Addresses = []string{"10.250.0.255-10.250.1.0"}
			t.MetalLB.Pools[0].AvoidBuggyIPs = true
		}, "metallb.pools[default].avoidBuggyIPs", "no usable address"},

		// MetalLB BFD profiles.
		{"BFD receive interval too short", SingleHop, func(t *Topology) { t.MetalLB.BFDProfiles[0].ReceiveInterval = 5 }, "metallb.bfdProfiles[fast].receiveInterval", "5 ms: must be 10..60000"},
		{"BFD transmit interval too long", SingleHop, func(t *Topology) { t.MetalLB.BFDProfiles[0].TransmitInterval = 60001 }, "metallb.bfdProfiles[fast].transmitInterval", "must be 10..60000"},
		{"BFD multiplier too small", SingleHop, func(t *Topology) { t.MetalLB.BFDProfiles[0].DetectMultiplier = 1 }, "metallb.bfdProfiles[fast].detectMultiplier", "must be 2..255"},
		{"BFD multiplier too large", SingleHop, func(t *Topology) { t.MetalLB.BFDProfiles[0].DetectMultiplier = 256 }, "metallb.bfdProfiles[fast].detectMultiplier", "must be 2..255"},
		{"duplicate BFD profile", SingleHop, func(t *Topology) { t.MetalLB.BFDProfiles = append(t.MetalLB.BFDProfiles, fastBFD()) }, "metallb.bfdProfiles[1].name", "duplicate BFD profile name"},
		{"BFD echo interval without echo mode", SingleHop, func(t *Topology) { t.MetalLB.BFDProfiles[0].EchoInterval = 50 }, "metallb.bfdProfiles[fast].echoInterval", "echoMode is false"},
		{"BFD echo interval too short", SingleHop, func(t *Topology) {
			t.MetalLB.BFDProfiles[0].EchoMode = true
			t.MetalLB.BFDProfiles[0].EchoInterval = 9
		}, "metallb.bfdProfiles[fast].echoInterval", "9 ms: must be 10..60000"},
		{"BFD echo interval too long", SingleHop, func(t *Topology) {
			t.MetalLB.BFDProfiles[0].EchoMode = true
			t.MetalLB.BFDProfiles[0].EchoInterval = 60001
		}, "metallb.bfdProfiles[fast].echoInterval", "must be 10..60000"},
		{"BFD minimum TTL too large", SingleHop, func(t *Topology) { t.MetalLB.BFDProfiles[0].MinimumTTL = 255 }, "metallb.bfdProfiles[fast].minimumTtl", "255: must be 1..254"},

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
		{"MetalLB peer password with a space", SingleHop, func(t *Topology) {
			t.MetalLB.Peers[0].Password = "a b"
			t.Routers[0].Peers[0].Password = "a b"
		}, "metallb.peers[0].password", "printable ASCII without spaces"},
		{"MetalLB peer password too long", SingleHop, func(t *Topology) {
			t.MetalLB.Peers[0].Password = strings.Repeat("x", 81)
			t.Routers[0].Peers[0].Password = strings.Repeat("x", 81)
		}, "metallb.peers[0].password", "at most 80"},
		{"MetalLB and router passwords differ", SingleHop, func(t *Topology) {
			t.MetalLB.Peers[0].Password = "one"
			t.Routers[0].Peers[0].Password = "two"
		}, "metallb.peers[0].password", "differs from routers[edge].peers[0].password"},
		{"MetalLB peer password without the router's", SingleHop, func(t *Topology) { t.MetalLB.Peers[0].Password = "one" }, "metallb.peers[0].password", "set, but routers[edge].peers[0].password is not"},
		{"router password without the MetalLB peer's", SingleHop, func(t *Topology) { t.Routers[0].Peers[0].Password = "one" }, "metallb.peers[0].password", "not set, but routers[edge].peers[0].password is"},
		{"one of a router's MetalLB peers without its password", dualPeers, func(t *Topology) { t.MetalLB.Peers[1].Password = "" }, "metallb.peers[1].password", "not set, but routers[edge].peers[0].password is"},
		{"MetalLB peer on an unknown node", SingleHop, func(t *Topology) { t.MetalLB.Peers[0].Nodes = []string{"worker3"} }, "metallb.peers[0].nodes[0]", `unknown node "worker3" (nodes: control-plane, worker, worker2)`},
		{"MetalLB peer on a node listed twice", SingleHop, func(t *Topology) { t.MetalLB.Peers[0].Nodes = []string{"worker", "worker"} }, "metallb.peers[0].nodes[1]", `"worker" is already listed (metallb.peers[0].nodes[0])`},
		{"MetalLB peer on non-announcing nodes only", SingleHop, func(t *Topology) { t.MetalLB.Peers[0].Nodes = []string{"control-plane"} }, "metallb.peers[0].nodes", "none of these nodes announces service IPs (announcing: worker, worker2"},

		// Advertisements.
		{"advertisement of an unknown pool", SingleHop, func(t *Topology) { t.MetalLB.Advertisements[0].Pools = []string{"defualt"} }, "metallb.advertisements[advertisement-0].pools[0]", `unknown pool "defualt" (known: default)`},
		{"pool nobody advertises", SingleHop, func(t *Topology) {
			t.MetalLB.Pools = append(t.MetalLB.Pools, Pool{Name: "quiet", Addresses: []string{"10.250.1.0/28"}})
			t.MetalLB.Advertisements[0].Pools = []string{"default"}
		}, "metallb.pools[quiet]", "no advertisement announces this pool"},
		{"bad community", SingleHop, func(t *Topology) { t.MetalLB.Advertisements[0].Communities = []string{"64512-100"} }, "metallb.advertisements[advertisement-0].communities[0]", `want "ASN:value"`},
		{"community part out of range", SingleHop, func(t *Topology) { t.MetalLB.Advertisements[0].Communities = []string{"65536:1"} }, "metallb.advertisements[advertisement-0].communities[0]", "0..65535"},
		{"large community part out of range", SingleHop, func(t *Topology) { t.MetalLB.Advertisements[0].Communities = []string{"large:1:2:4294967296"} }, "metallb.advertisements[advertisement-0].communities[0]", "0..4294967295"},
		{"unknown well-known community", SingleHop, func(t *Topology) { t.MetalLB.Advertisements[0].Communities = []string{"no-exprot"} }, "metallb.advertisements[advertisement-0].communities[0]", "a well-known name (accept-own, blackhole, graceful-shutdown"},
		{"duplicate community", SingleHop, func(t *Topology) { t.MetalLB.Advertisements[0].Communities = []string{"64512:1", "64512:1"} }, "metallb.advertisements[advertisement-0].communities[1]", "already listed (communities[0])"},
		{"duplicate pool in an advertisement", SingleHop, func(t *Topology) { t.MetalLB.Advertisements[0].Pools = []string{"default", "default"} }, "metallb.advertisements[advertisement-0].pools[1]", "already listed (pools[0])"},
		{"duplicate advertisement name", SingleHop, func(t *Topology) {
			t.MetalLB.Advertisements = append(t.MetalLB.Advertisements, t.MetalLB.Advertisements[0])
		}, "metallb.advertisements[1].name", `duplicate advertisement name "advertisement-0" (also metallb.advertisements[0])`},
		{"advertisement name not a DNS subdomain", SingleHop, func(t *Topology) { t.MetalLB.Advertisements[0].Name = "Tagged_1" }, "metallb.advertisements[Tagged_1].name", "must be a DNS subdomain"},
		{"advertisement name too long", SingleHop, func(t *Topology) { t.MetalLB.Advertisements[0].Name = strings.Repeat("a", 254) }, "metallb.advertisements[" + strings.Repeat("a", 254) + "].name", "at most 253"},
		{"aggregation length too long", SingleHop, func(t *Topology) { t.MetalLB.Advertisements[0].AggregationLength = 33 }, "metallb.advertisements[advertisement-0].aggregationLength", "33: must be 0 (no aggregation) or 1..32"},
		{"negative aggregation length", SingleHop, func(t *Topology) { t.MetalLB.Advertisements[0].AggregationLength = -1 }, "metallb.advertisements[advertisement-0].aggregationLength", "1..32"},
		{"IPv6 aggregation length too long", SingleHop, func(t *Topology) { t.MetalLB.Advertisements[0].AggregationLengthV6 = 129 }, "metallb.advertisements[advertisement-0].aggregationLengthV6", "1..128"},
		{"aggregation shorter than the pool prefix", SingleHop, func(t *Topology) { t.MetalLB.Advertisements[0].AggregationLength = 24 }, "metallb.advertisements[advertisement-0].aggregationLength",
			"24 is shorter than the /28 in metallb.pools[default].addresses[0] (10.250.0.0/28): MetalLB refuses a pool prefix more specific than the aggregation length; use 28 or more"},
		{"aggregation shorter than a range's widest prefix", SingleHop, func(t *Topology) {
			t.MetalLB.Pools[0].Addresses = []string{"10.250.0.1-10.250.0.9"} // .1/32 .2/31 .4/30 .8/31
			t.MetalLB.Advertisements[0].AggregationLength = 29
		}, "metallb.advertisements[advertisement-0].aggregationLength", "29 is shorter than the /30"},
		{"aggregation applies to every pool when none is named", SingleHop, func(t *Topology) {
			t.MetalLB.Advertisements[0].Pools = nil
			t.MetalLB.Advertisements[0].AggregationLength = 27
		}, "metallb.advertisements[advertisement-0].aggregationLength", "27 is shorter than the /28"},
		{"IPv6 aggregation shorter than the pool prefix", dualStack, func(t *Topology) { t.MetalLB.Advertisements[0].AggregationLengthV6 = 120 }, "metallb.advertisements[advertisement-0].aggregationLengthV6", "120 is shorter than the /124 in metallb.pools[default].addresses[1]"},
		{"advertisement from an unknown node", SingleHop, func(t *Topology) { t.MetalLB.Advertisements[0].Nodes = []string{"worker9"} }, "metallb.advertisements[advertisement-0].nodes[0]", `unknown node "worker9" (nodes: control-plane, worker, worker2)`},
		{"advertisement from non-announcing nodes only", SingleHop, func(t *Topology) { t.MetalLB.Advertisements[0].Nodes = []string{"control-plane"} }, "metallb.advertisements[advertisement-0].nodes", "none of these nodes announces service IPs"},
		{"advertisement to an unknown router", SingleHop, func(t *Topology) { t.MetalLB.Advertisements[0].Peers = []string{"egde"} }, "metallb.advertisements[advertisement-0].peers[0]", `unknown router "egde" is not in metallb.peers (peers: edge)`},
		{"advertisement to a router MetalLB does not peer with", MultiHop, func(t *Topology) { t.MetalLB.Advertisements[0].Peers = []string{"transit"} }, "metallb.advertisements[advertisement-0].peers[0]", `router "transit" is not in metallb.peers (peers: edge)`},
		{"advertisement to a router listed twice", SingleHop, func(t *Topology) { t.MetalLB.Advertisements[0].Peers = []string{"edge", "edge"} }, "metallb.advertisements[advertisement-0].peers[1]", "already listed (peers[0])"},
		{"two local preferences for one route", SingleHop, func(t *Topology) {
			t.MetalLB.Advertisements = append(t.MetalLB.Advertisements, BGPAdvertisement{Name: "preferred", LocalPref: 200})
		}, "metallb.advertisements[preferred].localPref", `200, but metallb.advertisements[advertisement-0] announces pool "default" with localPref 0 to the same peers from the same nodes`},

		// Services.
		{"negative replicas", SingleHop, func(t *Topology) { t.Services[0].Replicas = -1 }, "services[backend].replicas", "at least 1"},
		{"bad traffic policy", SingleHop, func(t *Topology) { t.Services[0].ExternalTrafficPolicy = "local" }, "services[backend].externalTrafficPolicy", "must be Cluster or Local"},
		{"port out of range", SingleHop, func(t *Topology) { t.Services[0].Port = 70000 }, "services[backend].port", "1..65535"},
		{"duplicate service name", twoServices, func(t *Topology) { t.Services[1].Name = "web" }, "services[1].name", `duplicate service name "web" (also services[0])`},
		{"service name with capitals", twoServices, func(t *Topology) { t.Services[0].Name = "Web" }, "services[Web].name", "must be a DNS label"},
		{"service name starting with a digit", twoServices, func(t *Topology) { t.Services[0].Name = "1web" }, "services[1web].name", "starting with a letter"},
		{"service name too long", twoServices, func(t *Topology) { t.Services[0].Name = strings.Repeat("w", 64) }, "services[" + strings.Repeat("w", 64) + "].name", "longer than 63"},
		{"service without name", twoServices, func(t *Topology) { t.Services[0].Name = "" }, "services[0].name", "required"},
		{"service asks for an unknown pool", twoServices, func(t *Topology) { t.Services[0].Pool = "reserve" }, "services[web].pool", `unknown pool "reserve" (known: default, reserved)`},
		{"service requests an address of an unused family", twoServices, func(t *Topology) { t.Services[1].IPs = []netip.Addr{addr("fd00:250::5")} }, "services[api].ips[0]", "fd00:250::5 is an IPv6 address, but cluster.ipFamily is ipv4"},
		{"service requests two addresses of one family", twoServices, func(t *Topology) { t.Services[1].IPs = append(t.Services[1].IPs, addr("10.250.0.6")) }, "services[api].ips[1]", "a second IPv4 address (ips[0] is one)"},
		{"service requests an address in no pool", twoServices, func(t *Topology) { t.Services[1].IPs = []netip.Addr{addr("10.251.0.5")} }, "services[api].ips[0]", "10.251.0.5 is in no pool of metallb.pools"},
		{"service requests an address outside its pool", twoServices, func(t *Topology) { t.Services[0].IPs = []netip.Addr{addr("10.250.0.5")} }, "services[web].ips[0]", `10.250.0.5 is in pool "default", not in pool "reserved" that the service asks for`},
		{"service requests an address avoidBuggyIPs skips", twoServices, func(t *Topology) { t.Services[1].IPs = []netip.Addr{addr("10.250.1.255")} }, "services[api].ips[0]", `10.250.1.255 ends in .0 or .255, which pool "reserved" never hands out`},
		{"dual-stack service requests one address", dualStack, func(t *Topology) { t.Services[0].IPs = []netip.Addr{addr("10.250.0.5")} }, "services[backend].ips", "one address, but cluster.ipFamily is dual"},
		{"dual-stack service requests addresses of two pools", dualStack, func(t *Topology) {
			t.MetalLB.Pools = append(t.MetalLB.Pools, Pool{Name: "v6", Addresses: []string{"fd00:251::/124"}})
			t.MetalLB.Pools[0].Addresses = t.MetalLB.Pools[0].Addresses[:1]
			t.MetalLB.Advertisements[0].Pools = nil
			t.Services[0].IPs = []netip.Addr{addr("10.250.0.5"), addr("fd00:251::5")}
		}, "services[backend].ips", `10.250.0.5 in pool "default", fd00:251::5 in pool "v6": MetalLB takes a service's requested addresses from one pool`},
		{"service on an unknown node", twoServices, func(t *Topology) { t.Services[0].Nodes = []string{"worker3"} }, "services[web].nodes[0]", `unknown node "worker3" (nodes: control-plane, worker, worker2)`},
		{"service on a node listed twice", twoServices, func(t *Topology) { t.Services[0].Nodes = []string{"worker", "worker"} }, "services[web].nodes[1]", "already listed"},
		{"local service on non-announcing nodes only", twoServices, func(t *Topology) { t.Services[0].Nodes = []string{"control-plane"} }, "services[web].nodes", "with externalTrafficPolicy Local only nodes with a backend announce"},
		{"service without an auto-assigning pool", SingleHop, func(t *Topology) { t.MetalLB.Pools[0].AutoAssign = new(false) }, "services[backend]", "sets neither pool nor ips, and no pool with autoAssign has ipv4 addresses"},
		{"dual-stack service without an auto-assigning IPv6 pool", dualStack, func(t *Topology) {
			t.MetalLB.Pools[0].Addresses = t.MetalLB.Pools[0].Addresses[:1]
			t.MetalLB.Pools = append(t.MetalLB.Pools, Pool{Name: "v6", Addresses: []string{"fd00:251::/124"}, AutoAssign: new(false)})
			t.MetalLB.Advertisements[0].Pools = nil
		}, "services[backend]", "no pool with autoAssign has ipv6 addresses (cluster.ipFamily is dual)"},
		{"services sharing an address on one port", sharing, func(t *Topology) { t.Services[1].Port = 80 }, "services[web-tls].port", `80 is also the port of services[web], which shares the address (sharedIP "web")`},
		{"services sharing an address request different ones", sharing, func(t *Topology) { t.Services[1].IPs = []netip.Addr{addr("10.250.0.6")} }, "services[web-tls].ips", `[10.250.0.6], but services[web], with the same sharedIP key "web", requests [10.250.0.5]`},
		{"one of two services sharing an address requests none", sharing, func(t *Topology) { t.Services[1].IPs = nil }, "services[web-tls].ips", "no ips, but services[web]"},
		{"services sharing an address from different pools", sharing, func(t *Topology) {
			t.Services[0].IPs, t.Services[1].IPs = nil, nil
			t.Services[0].Pool, t.Services[1].Pool = "default", "reserved"
		}, "services[web-tls].pool", `"reserved", but services[web], with the same sharedIP key "web", asks for pool "default"`},
		{"local services sharing an address", sharing, func(t *Topology) { t.Services[0].ExternalTrafficPolicy = ETPLocal }, "services[web].externalTrafficPolicy", `Local, but the service shares an address with services[web-tls] (sharedIP "web")`},
		{"services request one address without a sharing key", sharing, func(t *Topology) { t.Services[1].SharedIP = "" }, "services[web-tls].ips[0]", "10.250.0.5 is also requested by services[web]: two services get one address only when both set the same sharedIP key"},
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
	in.Services[0].Port = -1
	err := in.Validate()
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Validate() = %v, want Errors", err)
	}
	// In the order of the file's sections, whatever order the checks run in.
	want := []string{"routers[edge].asn", "clients[client].ipv4", "metallb.bfdProfiles[fast].detectMultiplier", "services[backend].port"}
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
	if hasPath(errs, "cluster.kubernetesVersion", "") || hasPath(errs, "services[backend].port", "") {
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
			t.Services[0].ExternalTrafficPolicy = ETPLocal
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
		"another kubernetes version with its node image": func() Topology {
			t := SingleHop()
			t.Cluster.KubernetesVersion = "v1.33.4"
			t.Cluster.NodeImage = "kindest/node:v1.33.4"
			return t
		},
		"iBGP single-hop": func() Topology {
			t := SingleHop()
			t.Routers[0].ASN = 64512
			t.Routers[0].Peers[0].ASN = 0
			t.MetalLB.Peers[0].ASN = 0
			return t
		},
		"iBGP multi-hop without ebgpMultiHop": func() Topology {
			t := MultiHop()
			t.MetalLB.ASN = 64513 // edge's own AS
			t.Routers[1].Peers[0].ASN = 0
			t.MetalLB.Peers[0].EBGPMultiHop = false
			return t
		},
		"transit router without peers": func() Topology {
			t := Reference()
			for i := range t.Routers {
				t.Routers[i].Peers = slices.DeleteFunc(t.Routers[i].Peers, func(p Peer) bool { return p.Router != "" })
			}
			return t
		},
		"every well-known community": func() Topology {
			t := SingleHop()
			for n := range WellKnownCommunities() {
				t.MetalLB.Advertisements[0].Communities = append(t.MetalLB.Advertisements[0].Communities, n)
			}
			slices.Sort(t.MetalLB.Advertisements[0].Communities)
			return t
		},
		"aggregation as long as the pool prefix": func() Topology {
			t := dualStack()
			t.MetalLB.Advertisements[0].AggregationLength = 28
			t.MetalLB.Advertisements[0].AggregationLengthV6 = 124
			return t
		},
		"aggregation of a range": func() Topology {
			t := SingleHop()
			t.MetalLB.Pools[0].Addresses = []string{"10.250.0.1-10.250.0.9"}
			t.MetalLB.Advertisements[0].AggregationLength = 30
			return t
		},
		"two local preferences to different peers": func() Topology {
			t := Reference()
			t.MetalLB.Advertisements = []BGPAdvertisement{
				{Name: "to-ibgp", LocalPref: 200, Peers: []string{"ibgp", "ibgp-mh"}},
				{Name: "to-ebgp", LocalPref: 100, Peers: []string{"ebgp", "ebgp-mh"}},
			}
			return t
		},
		"two local preferences from different nodes": func() Topology {
			t := SingleHop()
			t.MetalLB.Advertisements = []BGPAdvertisement{
				{Name: "first", LocalPref: 200, Nodes: []string{"worker"}},
				{Name: "second", LocalPref: 100, Nodes: []string{"worker2"}},
			}
			return t
		},
		"two local preferences with different aggregation": func() Topology {
			t := SingleHop()
			t.MetalLB.Advertisements = []BGPAdvertisement{
				{Name: "hosts", LocalPref: 200},
				{Name: "aggregate", LocalPref: 100, AggregationLength: 28},
			}
			return t
		},
		"pools and services":          twoServices,
		"services sharing an address": sharing,
		"a requested address of a pool that does not auto-assign": func() Topology {
			t := twoServices()
			t.Services[1].IPs = []netip.Addr{addr("10.250.1.5")}
			return t
		},
		"dual-stack service requesting both families": func() Topology {
			t := dualStack()
			t.Services[0].IPs = []netip.Addr{addr("fd00:250::5"), addr("10.250.0.5")}
			return t
		},
		"passwords and timers": func() Topology {
			t := dualPeers()
			t.Routers[0].Peers[0].Password = strings.Repeat("~", 80)
			for i := range t.MetalLB.Peers {
				t.MetalLB.Peers[i].Password = strings.Repeat("~", 80)
			}
			t.Routers[0].Peers[0].HoldTime = Duration(3 * time.Second)
			t.Routers[0].Peers[0].KeepaliveTime = Duration(time.Second)
			return t
		},
		"BFD echo and minimum TTL": func() Topology {
			t := SingleHop()
			t.MetalLB.BFDProfiles[0].EchoMode = true
			t.MetalLB.BFDProfiles[0].EchoInterval = 10
			t.MetalLB.BFDProfiles[0].MinimumTTL = 254
			return t
		},
		"node selections": func() Topology {
			t := SingleHop()
			t.Cluster.ControlPlaneAnnounces = true
			t.MetalLB.Peers[0].Nodes = []string{"control-plane", "worker"}
			t.MetalLB.Advertisements[0].Nodes = []string{"control-plane"}
			t.Services[0].Nodes = []string{"worker2"}
			t.Services[0].Replicas = 0
			return t
		},
	}
	for name, f := range tests {
		if _, err := f().Prepare(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// twoServices is the single-hop lab with a second pool that does not auto-assign and two
// services with externalTrafficPolicy Local: web asks for that pool, api requests an
// address of the default one.
func twoServices() Topology {
	t := SingleHop()
	t.MetalLB.Pools = append(t.MetalLB.Pools, Pool{Name: "reserved", Addresses: []string{"10.250.1.0/24"}, AutoAssign: new(false), AvoidBuggyIPs: true})
	// The default advertisement names no pool: it announces every pool.
	t.Services = []Service{
		{Name: "web", Pool: "reserved", ExternalTrafficPolicy: ETPLocal},
		{Name: "api", IPs: []netip.Addr{addr("10.250.0.5")}, ExternalTrafficPolicy: ETPLocal, Port: 8080},
	}
	return t.WithDefaults()
}

// sharing is twoServices with two services that share one requested address on two ports.
func sharing() Topology {
	t := twoServices()
	ip := []netip.Addr{addr("10.250.0.5")}
	t.Services = []Service{
		{Name: "web", IPs: ip, SharedIP: "web", ExternalTrafficPolicy: ETPCluster, Replicas: 2, Port: 80},
		{Name: "web-tls", IPs: slices.Clone(ip), SharedIP: "web", ExternalTrafficPolicy: ETPCluster, Replicas: 2, Port: 443},
	}
	return t
}

// dualPeers is the single-hop lab with TCP MD5 and two MetalLB peers for edge (one per
// network it is on, the second a multi-hop session to its clients address).
func dualPeers() Topology {
	t := SingleHop()
	t.Routers[0].Peers[0].Password = "secret"
	t.MetalLB.Peers[0].Password = "secret"
	t.MetalLB.Peers = append(t.MetalLB.Peers, MetalLBPeer{Router: "edge", Network: "clients", EBGPMultiHop: true, Password: "secret", BFDProfile: "fast"})
	t.Routers[0].Peers[0].MultiHop = true
	return t.WithDefaults()
}
