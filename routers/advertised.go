package routers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
)

// AdvertisedRoutes lists the prefixes this router sends to a neighbor after
// outbound policy (`show bgp <afi> unicast neighbors <addr>
// advertised-routes json`), in the neighbor's own address family, sorted.
// What a MetalLB speaker announces to each peer is read this way.
func (q *Querier) AdvertisedRoutes(ctx context.Context, neighbor netip.Addr) ([]netip.Prefix, error) {
	var out []netip.Prefix
	err := q.vtyshJSON(ctx, advertisedCommand(neighbor), func(b []byte) error {
		var err error
		out, err = parseAdvertisedRoutes(b)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("routes advertised to %s: %w", neighbor, err)
	}
	return out, nil
}

// AdvertisedRoutesTo is AdvertisedRoutes for several neighbors in one
// vtysh run (one -c each; vtysh prints their JSON documents one after
// another): a speaker with four peers is asked once, not four times. A
// neighbor FRR does not know gets an error of its own; when the output
// cannot be split, each neighbor is asked alone.
func (q *Querier) AdvertisedRoutesTo(ctx context.Context, neighbors ...netip.Addr) (map[netip.Addr][]netip.Prefix, map[netip.Addr]error, error) {
	routes, errs := map[netip.Addr][]netip.Prefix{}, map[netip.Addr]error{}
	if len(neighbors) == 0 {
		return routes, errs, nil
	}
	cmd := []string{"vtysh"}
	for _, n := range neighbors {
		cmd = append(cmd, "-c", advertisedCommand(n))
	}
	out, _, err := q.exec.Exec(ctx, cmd)
	if err != nil {
		return nil, nil, fmt.Errorf("routes advertised to %v: %w", neighbors, err)
	}
	docs, err := splitJSON(out, len(neighbors))
	if err != nil {
		for _, n := range neighbors {
			routes[n], errs[n] = q.AdvertisedRoutes(ctx, n)
		}
		return routes, errs, nil
	}
	for i, n := range neighbors {
		rs, err := parseAdvertisedRoutes(docs[i])
		if err != nil {
			errs[n] = fmt.Errorf("routes advertised to %s: %w", n, err)
			continue
		}
		routes[n] = rs
	}
	return routes, errs, nil
}

func advertisedCommand(neighbor netip.Addr) string {
	afi := "ipv4"
	if neighbor.Is6() {
		afi = "ipv6"
	}
	return fmt.Sprintf("show bgp %s unicast neighbors %s advertised-routes json", afi, neighbor)
}

// splitJSON splits output made of exactly n JSON documents.
func splitJSON(b []byte, n int) ([]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var docs []json.RawMessage
	for {
		var d json.RawMessage
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	if len(docs) != n {
		return nil, fmt.Errorf("%d JSON documents, want %d", len(docs), n)
	}
	return docs, nil
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
