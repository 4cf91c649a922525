package scenarios

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/routers"
)

// ReceivedRoutes: every node's kernel holds, via its router, exactly the
// prefixes its MetalLB peers' Receive accepts of what those routers
// originate, and none of the rest: MetalLB's default is to deny everything
// a peer sends, so a router's prefixes with no Receive entry must be absent
// (the default deny, proven). A lab whose routers originate nothing passes.
func ReceivedRoutes(ctx context.Context, lab *harness.Lab) error {
	p, err := lab.Plan(ctx)
	if err != nil {
		return err
	}
	errs := make([]error, len(p.Nodes))
	for i, n := range p.Nodes {
		errs[i] = lab.OnNode(ctx, n.Name, func(e routers.Executor) error {
			return nodeReceives(ctx, routers.NewQuerier(e), p, n)
		})
	}
	return errors.Join(errs...)
}

func nodeReceives(ctx context.Context, q *routers.Querier, p *harness.Plan, n harness.Node) error {
	// Per prefix some router of this node originates: which of the node's
	// sessions carry it, and which of those let it in.
	type offer struct {
		from, receiving []harness.PlannedPeer
	}
	offers := map[netip.Prefix]*offer{}
	var order []netip.Prefix
	for _, pp := range p.SpeakerPeers(n.Short()) {
		r, _ := p.Topology.Router(pp.Router)
		for _, pfx := range r.Originate {
			if pfx.Addr().Is4() != pp.Address.Is4() {
				continue
			}
			o, ok := offers[pfx]
			if !ok {
				o = &offer{}
				offers[pfx] = o
				order = append(order, pfx)
			}
			o.from = append(o.from, pp)
			if pp.Receives(pfx) {
				o.receiving = append(o.receiving, pp)
			}
		}
	}
	var errs []error
	for _, pfx := range order {
		o := offers[pfx]
		got, err := q.KernelRoute(ctx, pfx)
		if err != nil {
			errs = append(errs, fmt.Errorf("node %s: %w", n.Short(), err))
			continue
		}
		var gws []netip.Addr
		for _, kr := range got {
			if kr.Protocol == "bgp" {
				gws = append(gws, kr.Gateways()...)
			}
		}
		switch {
		case len(o.receiving) > 0 && len(gws) == 0:
			errs = append(errs, fmt.Errorf("node %s: no BGP route for %s in the kernel, but peer %s receives it from router %s (kernel: %v)", n.Short(), pfx, o.receiving[0].Name, o.receiving[0].Router, got))
		case len(o.receiving) > 0:
			// A single-hop session's next hop is its router's address (over
			// IPv6 FRR may prefer the router's link-local one).
			for _, gw := range gws {
				if !slices.ContainsFunc(o.receiving, func(pp harness.PlannedPeer) bool {
					return pp.MultiHop || pp.Address == gw || gw.Is6() && gw.IsLinkLocalUnicast()
				}) {
					errs = append(errs, fmt.Errorf("node %s: %s via %s, which is none of the routers that send it and are received (%s)", n.Short(), pfx, gw, peerNames(o.receiving)))
				}
			}
		case len(gws) > 0:
			errs = append(errs, fmt.Errorf("node %s: %s installed via %v, but no peer receives it (%s send it; MetalLB's default is to deny)", n.Short(), pfx, gws, peerNames(o.from)))
		}
	}
	return errors.Join(errs...)
}

func peerNames(pps []harness.PlannedPeer) string {
	var s []string
	for _, pp := range pps {
		s = append(s, pp.Name)
	}
	return strings.Join(s, ", ")
}
