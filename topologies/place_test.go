package topologies

import (
	"net/netip"
	"testing"
)

func TestShift(t *testing.T) {
	for _, n := range Names() {
		base, _ := Builtin(n)
		for _, f := range []IPFamily{IPv4, IPv6, DualStack} {
			tf, err := base.ForFamily(f)
			if err != nil {
				t.Fatal(err)
			}
			for slot := 1; slot <= 3; slot++ {
				got, err := tf.Shift(slot)
				if err != nil {
					t.Fatalf("%s %s slot %d: %v", n, f, slot, err)
				}
				for i, nw := range got.Networks {
					if nw.IPv4 == tf.Networks[i].IPv4 || nw.IPv6 == tf.Networks[i].IPv6 {
						t.Errorf("%s slot %d: network %s did not move: %v %v", n, slot, nw.Name, nw.IPv4, nw.IPv6)
					}
				}
			}
		}
	}
	one, err := SingleHop().Shift(1)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]netip.Addr{
		"nodes":  netip.MustParseAddr("172.30.16.0"),
		"edge":   netip.MustParseAddr("172.30.16.2"),
		"client": netip.MustParseAddr("172.31.16.10"),
		"via":    netip.MustParseAddr("172.30.16.2"),
		"v6":     netip.MustParseAddr("fd00:30:0:10::2"),
	}
	got := map[string]netip.Addr{
		"nodes":  one.Networks[0].IPv4.Addr(),
		"edge":   one.Routers[0].Interfaces[0].IPv4,
		"client": one.Clients[0].IPv4,
		"via":    one.Cluster.Routes[0].Via,
		"v6":     one.Routers[0].Interfaces[0].IPv6,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %s, want %s", k, got[k], w)
		}
	}
	if one.Routers[0].RouterID != netip.MustParseAddr("172.30.16.2") {
		t.Errorf("router ID %s did not move with its address", one.Routers[0].RouterID)
	}
	if one.Cluster.Routes[0].Prefix != netip.MustParsePrefix("172.31.16.0/24") {
		t.Errorf("route %s did not move with its network", one.Cluster.Routes[0].Prefix)
	}
	if one.MetalLB.Pools[0].Addresses[0] != "10.250.0.0/28" || one.Cluster.PodSubnet != SingleHop().Cluster.PodSubnet {
		t.Errorf("pools and pod subnets are the lab's own and stay: %v %v", one.MetalLB.Pools[0].Addresses, one.Cluster.PodSubnet)
	}
	if _, err := SingleHop().Shift(1 << 20); err == nil {
		t.Error("a slot past the address space gave no error")
	}
}
