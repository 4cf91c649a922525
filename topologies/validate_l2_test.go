package topologies

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// l2Lab is single-hop (IPv4) with a pool "l2" announced in L2 mode.
func l2Lab() Topology {
	t := SingleHop()
	t.Cluster.IPFamily = IPv4
	t.MetalLB.Pools = append(t.MetalLB.Pools, Pool{Name: "l2", Addresses: []string{"172.30.0.100-172.30.0.109"}})
	t.MetalLB.L2Advertisements = []L2Advertisement{{Pools: []string{"l2"}}}
	t.MetalLB.Advertisements = nil // the builtin's names no pools: WithDefaults makes one
	t.Services = []Service{{Name: "backend"}, {Name: "web", Pool: "l2"}}
	return t
}

func TestL2Defaults(t *testing.T) {
	got := l2Lab().WithDefaults()
	if err := got.Validate(); err != nil {
		t.Fatalf("l2 lab: %v", err)
	}
	if n := got.MetalLB.L2Advertisements[0].Name; n != "l2advertisement-0" {
		t.Errorf("L2 advertisement name %q, want l2advertisement-0", n)
	}
	// The default BGP advertisement names the other pools: an empty list
	// would announce the L2 pool by BGP too.
	ads := got.MetalLB.Advertisements
	if len(ads) != 1 || strings.Join(ads[0].Pools, ",") != "default" {
		t.Errorf("default BGP advertisements %+v, want one naming pool default only", ads)
	}
	if !got.MetalLB.L2Pool("l2") || got.MetalLB.L2Pool("default") {
		t.Errorf("L2Pool: l2 %v, default %v; want true, false", got.MetalLB.L2Pool("l2"), got.MetalLB.L2Pool("default"))
	}
	// Moved to another slot, the L2 pool moves with the nodes' network.
	moved, err := got.Shift(1)
	if err != nil {
		t.Fatal(err)
	}
	net, _ := moved.Network("nodes")
	for _, a := range moved.MetalLB.Pools[1].Addresses {
		r, err := ParsePoolAddress(a)
		if err != nil || !net.IPv4.Contains(r.From) || !net.IPv4.Contains(r.To) {
			t.Errorf("shifted L2 pool address %q not inside the shifted nodes' network %s (%v)", a, net.IPv4, err)
		}
	}
	if moved.MetalLB.Pools[0].Addresses[0] != got.MetalLB.Pools[0].Addresses[0] {
		t.Errorf("the BGP pool moved: %v", moved.MetalLB.Pools[0].Addresses)
	}
}

// dualWithL2Entry runs the l2 lab in dual stack with one more entry in pool
// l2.
func dualWithL2Entry(entry string) func(*Topology) {
	return func(t *Topology) {
		t.Cluster.IPFamily = DualStack
		t.MetalLB.Pools[1].Addresses = append(t.MetalLB.Pools[1].Addresses, entry)
	}
}

func TestL2Refusals(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Topology)
		want   string
	}{
		{"outside the nodes' network", func(t *Topology) { t.MetalLB.Pools[1].Addresses = []string{"10.251.0.0/28"} },
			"metallb.pools[l2].addresses[0]: 10.251.0.0/28: an L2 pool must lie inside the nodes' network nodes (172.30.0.0/24)"},
		{"in Docker's half", func(t *Topology) { t.MetalLB.Pools[1].Addresses = []string{"172.30.0.200-172.30.0.210"} },
			"reaches into 172.30.0.128/25, the range Docker gives the kind nodes"},
		{"on a router's address", func(t *Topology) { t.MetalLB.Pools[1].Addresses = []string{"172.30.0.0/29"} },
			"the network's own address"},
		{"on edge", func(t *Topology) { t.MetalLB.Pools[1].Addresses = []string{"172.30.0.2-172.30.0.9"} },
			"holds static addresses of the lab: 172.30.0.2 (routers[edge].interfaces[0].ipv4)"},
		{"an interface no node has", func(t *Topology) { t.MetalLB.L2Advertisements[0].Interfaces = []string{"eth1"} },
			`metallb.l2Advertisements[l2advertisement-0].interfaces[0]: "eth1": no node has it`},
		{"no pools", func(t *Topology) { t.MetalLB.L2Advertisements[0].Pools = nil },
			"metallb.l2Advertisements[l2advertisement-0].pools: required"},
		{"an unknown pool", func(t *Topology) { t.MetalLB.L2Advertisements[0].Pools = []string{"l2", "nope"} },
			`metallb.l2Advertisements[l2advertisement-0].pools[1]: unknown pool "nope"`},
		{"BGP for every pool", func(t *Topology) { t.MetalLB.Advertisements = []BGPAdvertisement{{Name: "all"}} },
			"metallb.advertisements[all].pools: empty, which announces every pool by BGP, the L2 pools (l2) too"},
		{"BGP for the L2 pool", func(t *Topology) {
			t.MetalLB.Advertisements = []BGPAdvertisement{{Name: "both", Pools: []string{"default", "l2"}}}
		}, `metallb.advertisements[both].pools[1]: "l2" is announced in L2 mode`},
		{"the control plane only", func(t *Topology) { t.MetalLB.L2Advertisements[0].Nodes = []string{"control-plane"} },
			"none of these nodes announces service IPs"},
		{"IPv6 outside the nodes' network", dualWithL2Entry("fd00:250::/124"), "metallb.pools[l2].addresses[1]: fd00:250::/124: an L2 pool must lie inside the nodes' network nodes (fd00:30::/64), where its neighbors ask for the address by NDP"},
		{"IPv6 in Docker's half", dualWithL2Entry("fd00:30::8000:0:0:0/124"), "reaches into fd00:30:0:0:8000::/112, the range Docker gives the kind nodes"},
		{"IPv6 on edge", dualWithL2Entry("fd00:30::1-fd00:30::9"), "holds static addresses of the lab: fd00:30::2 (routers[edge].interfaces[0].ipv6)"},
		{"IPv6 without a subnet", func(t *Topology) {
			t.Cluster.IPFamily = DualStack
			t.Networks[0].IPv6 = netip.Prefix{}
			t.MetalLB.Pools[1].Addresses = append(t.MetalLB.Pools[1].Addresses, "fd00:30::100-fd00:30::109")
		}, "an L2 pool's ipv6 addresses lie in the nodes' network, and network nodes has no ipv6 subnet"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topo := l2Lab()
			c.change(&topo)
			err := topo.WithDefaults().Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v\nwant an error containing %q", err, c.want)
			}
		})
	}
}

// In IPv6 the L2 pool's twin lies in the nodes' IPv6 subnet, at the IPv4
// address's offset, and the lab validates in both other families.
func TestL2Families(t *testing.T) {
	for _, c := range []struct {
		f    IPFamily
		want []string
	}{
		{DualStack, []string{"172.30.0.100-172.30.0.109", "fd00:30::64-fd00:30::6d"}},
		{IPv6, []string{"fd00:30::64-fd00:30::6d"}},
	} {
		got, err := l2Lab().ForFamily(c.f)
		if err != nil {
			t.Fatalf("%s: %v", c.f, err)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("%s: %v", c.f, err)
		}
		if a := got.MetalLB.Pools[1].Addresses; !slices.Equal(a, c.want) {
			t.Errorf("%s: L2 pool %v, want %v", c.f, a, c.want)
		}
		// A BGP pool's twin is still in the mapped prefix.
		if a := got.MetalLB.Pools[0].Addresses; !slices.Contains(a, "fd00:250::afa:0/124") {
			t.Errorf("%s: BGP pool %v", c.f, a)
		}
	}
	// A service that asks for an L2 address gets its twin in the same place.
	asks := l2Lab()
	asks.Services[1].IPs = []netip.Addr{netip.MustParseAddr("172.30.0.105")}
	for _, f := range []IPFamily{DualStack, IPv6} {
		got, err := asks.ForFamily(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if ips := got.Services[1].IPs; !slices.Contains(ips, netip.MustParseAddr("fd00:30::69")) {
			t.Errorf("%s: service web asks for %v, want fd00:30::69 among them", f, ips)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	noV6 := l2Lab()
	noV6.Networks[0].IPv6 = netip.Prefix{}
	if _, err := noV6.ForFamily(DualStack); err == nil || !strings.Contains(err.Error(), "network nodes needs both") {
		t.Errorf("an L2 pool without an IPv6 nodes' subnet: %v", err)
	}
}
