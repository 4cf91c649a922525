package routers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
)

// AdvertisedRoutes lists the prefixes this router sends to a neighbor after
// outbound policy (`show bgp <afi> unicast neighbors <addr>
// advertised-routes json`), in the neighbor's own address family, sorted.
// What a MetalLB speaker announces to each peer is read this way.
func (q *Querier) AdvertisedRoutes(ctx context.Context, neighbor netip.Addr) ([]netip.Prefix, error) {
	afi := "ipv4"
	if neighbor.Is6() {
		afi = "ipv6"
	}
	var out []netip.Prefix
	err := q.vtyshJSON(ctx, fmt.Sprintf("show bgp %s unicast neighbors %s advertised-routes json", afi, neighbor), func(b []byte) error {
		var err error
		out, err = parseAdvertisedRoutes(b)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("routes advertised to %s: %w", neighbor, err)
	}
	return out, nil
}

// rawAdvertised is the JSON of advertised-routes; FRR answers a neighbor
// (or family) it does not have with only a "warning".
type rawAdvertised struct {
	Warning          string                     `json:"warning"`
	AdvertisedRoutes map[string]json.RawMessage `json:"advertisedRoutes"`
}

func parseAdvertisedRoutes(b []byte) ([]netip.Prefix, error) {
	var raw rawAdvertised
	if err := decodeJSON(b, &raw); err != nil {
		return nil, err
	}
	if raw.Warning != "" {
		return nil, fmt.Errorf("FRR: %s", raw.Warning)
	}
	out := make([]netip.Prefix, 0, len(raw.AdvertisedRoutes))
	for k := range raw.AdvertisedRoutes {
		p, err := netip.ParsePrefix(k)
		if err != nil {
			return nil, fmt.Errorf("advertised prefix %q: %w", k, err)
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return a.Bits() - b.Bits()
	})
	return out, nil
}
