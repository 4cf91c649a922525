package routers

import (
	"net/netip"
	"reflect"
	"testing"
)

// A clone shares no list with its original at any depth: editing a peer
// group's address families or a route-map's communities in one leaves the
// other as it was.
func TestSpecCloneIsDeep(t *testing.T) {
	orig := Spec{
		Hostname:   "r1",
		ASN:        65001,
		PeerGroups: []PeerGroup{{Name: "nodes", PeerSettings: PeerSettings{RemoteASN: 64512, AddressFamilies: []AddressFamily{IPv4Unicast}}}},
		Neighbors:  []Neighbor{{Address: netip.MustParseAddr("172.30.0.3"), PeerSettings: PeerSettings{RemoteASN: 64512}}},
		RouteMaps:  []RouteMap{{Name: "tag", Entries: []RouteMapEntry{{Action: Permit, Set: RouteMapSet{Communities: []string{"64512:1"}}}}}},
	}
	want := Spec{
		Hostname:   "r1",
		ASN:        65001,
		PeerGroups: []PeerGroup{{Name: "nodes", PeerSettings: PeerSettings{RemoteASN: 64512, AddressFamilies: []AddressFamily{IPv4Unicast}}}},
		Neighbors:  []Neighbor{{Address: netip.MustParseAddr("172.30.0.3"), PeerSettings: PeerSettings{RemoteASN: 64512}}},
		RouteMaps:  []RouteMap{{Name: "tag", Entries: []RouteMapEntry{{Action: Permit, Set: RouteMapSet{Communities: []string{"64512:1"}}}}}},
	}
	c := orig.Clone()
	if !reflect.DeepEqual(c, orig) {
		t.Fatalf("clone differs: %+v", c)
	}
	c.PeerGroups[0].RemoteASN = 64999
	c.PeerGroups[0].AddressFamilies[0] = IPv6Unicast
	c.Neighbors = append(c.Neighbors, Neighbor{Address: netip.MustParseAddr("172.30.0.99")})
	c.RouteMaps[0].Entries[0].Set.Communities[0] = "64512:2"
	if !reflect.DeepEqual(orig, want) {
		t.Errorf("editing the clone changed the original: %+v", orig)
	}
}
