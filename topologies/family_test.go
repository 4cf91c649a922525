package topologies

import (
	"net/netip"
	"reflect"
	"slices"
	"testing"
)

// Every builtin is valid in every family, and the conversion is idempotent.
func TestForFamilyBuiltins(t *testing.T) {
	for _, n := range Names() {
		for _, f := range []IPFamily{IPv4, IPv6, DualStack} {
			base, _ := Builtin(n)
			got, err := base.ForFamily(f)
			if err != nil {
				t.Fatalf("%s ForFamily(%s): %v", n, f, err)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("%s in %s is invalid: %v", n, f, err)
			}
			if got.Cluster.IPFamily != f {
				t.Errorf("%s ForFamily(%s): family %s", n, f, got.Cluster.IPFamily)
			}
			again, err := got.ForFamily(f)
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("%s ForFamily(%s) twice differs from once (err %v)", n, f, err)
			}
			for _, p := range got.MetalLB.Pools {
				for _, a := range p.Addresses {
					r, err := ParsePoolAddress(a)
					if err != nil {
						t.Fatal(err)
					}
					if r.Is6() && !f.HasIPv6() || !r.Is6() && !f.HasIPv4() {
						t.Errorf("%s in %s: pool %s has %s", n, f, p.Name, a)
					}
				}
			}
		}
	}
}

func TestForFamilyPools(t *testing.T) {
	base := SingleHop()
	base.MetalLB.Pools[0].Addresses = []string{"10.250.0.0/28", "10.250.1.1-10.250.1.5"}
	base.Services[0].IPs = []netip.Addr{netip.MustParseAddr("10.250.0.3")}
	dual, err := base.ForFamily(DualStack)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.250.0.0/28", "fd00:250::afa:0/124", "10.250.1.1-10.250.1.5", "fd00:250::afa:101-fd00:250::afa:105"}
	if got := dual.MetalLB.Pools[0].Addresses; !slices.Equal(got, want) {
		t.Errorf("dual pool %v, want %v", got, want)
	}
	if got := dual.Services[0].IPs; len(got) != 2 || got[1] != netip.MustParseAddr("fd00:250::afa:3") {
		t.Errorf("dual service IPs %v", got)
	}
	v6, err := base.ForFamily(IPv6)
	if err != nil {
		t.Fatal(err)
	}
	if got := v6.MetalLB.Pools[0].Addresses; !slices.Equal(got, []string{want[1], want[3]}) {
		t.Errorf("ipv6 pool %v", got)
	}
	if v6.Cluster.PodSubnet.IPv4.IsValid() || !v6.Cluster.PodSubnet.IPv6.IsValid() {
		t.Errorf("ipv6 pod subnet %+v", v6.Cluster.PodSubnet)
	}
	if _, err := v6.ForFamily(IPv4); err == nil {
		t.Error("an IPv6 topology turned into IPv4 without an error")
	}
	if _, err := base.ForFamily("ipv5"); err == nil {
		t.Error("ipv5 accepted")
	}
}
