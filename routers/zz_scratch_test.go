package routers

import (
	"context"
	"net/netip"
	"testing"
	"time"
)

func TestScratchChain(t *testing.T) {
	stuck := 0
	for i := range 6 {
		t.Run("iter", func(t *testing.T) {
			lab := newLab(t)
			n12, n23 := lab.network("n12", false), lab.network("n23", false)
			r1a, r2a, r2b, r3a := n12.ip4(2), n12.ip4(3), n23.ip4(2), n23.ip4(3)
			end := func(hostname string, asn, remote uint32, local, nbr, via netip.Addr, far netip.Prefix, loop netip.Prefix) Spec {
				return Spec{
					Hostname: hostname, ASN: asn,
					BFDProfiles: []BFDProfile{fastBFD},
					Neighbors: []Neighbor{{Address: nbr, PeerSettings: PeerSettings{
						RemoteASN: remote, EBGPMultihop: 2, UpdateSource: local.String(), BFD: true, BFDProfile: "fast",
					}}},
					StaticRoutes: []StaticRoute{{Prefix: far, NextHop: via}},
					Originate:    []netip.Prefix{loop},
				}
			}
			rs := lab.start(map[string]Spec{
				"r1": end("r1", 65001, 65003, r1a, r3a, r2a, n23.V4, r1Loop),
				"r2": {Hostname: "r2"},
				"r3": end("r3", 65003, 65001, r3a, r1a, r2b, n12.V4, r3Loop),
			}, map[string][]Option{"r1": {on(n12, 2)}, "r2": {on(n12, 3), on(n23, 2)}, "r3": {on(n23, 3)}})
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			if err := rs["r1"].Await(ctx, 200*time.Millisecond, NeighborsEstablished(r3a)); err != nil {
				stuck++
				t.Logf("iteration %d stuck: %v", i, err)
			}
		})
	}
	t.Logf("stuck %d of 6", stuck)
}
