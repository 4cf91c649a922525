package routers

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Check is a condition on a router's state: nil means it holds now, an
// error says what was expected and what was seen. Run one with
// Querier.Verify, or wait for it with Querier.Await or any poll loop.
type Check func(ctx context.Context, q *Querier) error

// NeighborsEstablished holds when the BGP sessions to every given address
// are Established; with no address, when the router has at least one
// neighbor and all of them are.
func NeighborsEstablished(addrs ...netip.Addr) Check {
	return func(ctx context.Context, q *Querier) error {
		ns, err := q.Neighbors(ctx)
		if err != nil {
			return err
		}
		selected, err := selectNeighbors(ns, addrs)
		if err != nil {
			return err
		}
		var errs []error
		for _, n := range selected {
			if n.State != BGPEstablished {
				errs = append(errs, fmt.Errorf("neighbor %s: state %s, want Established%s", n.Address, n.State, resetDetail(n)))
			}
		}
		return errors.Join(errs...)
	}
}

// NeighborPrefixes holds when the session to addr is Established and has
// accepted at least min prefixes in family.
func NeighborPrefixes(addr netip.Addr, family AddressFamily, min int) Check {
	return func(ctx context.Context, q *Querier) error {
		ns, err := q.Neighbors(ctx)
		if err != nil {
			return err
		}
		selected, err := selectNeighbors(ns, []netip.Addr{addr})
		if err != nil {
			return err
		}
		n := selected[0]
		if n.State != BGPEstablished {
			return fmt.Errorf("neighbor %s: state %s, want Established%s", addr, n.State, resetDetail(n))
		}
		if got := n.Families[family].Accepted; got < min {
			return fmt.Errorf("neighbor %s: %d %s prefixes accepted, want at least %d", addr, got, family, min)
		}
		return nil
	}
}

func selectNeighbors(ns []BGPNeighbor, addrs []netip.Addr) ([]BGPNeighbor, error) {
	if len(addrs) == 0 {
		if len(ns) == 0 {
			return nil, errors.New("no BGP neighbors configured")
		}
		return ns, nil
	}
	var out []BGPNeighbor
	var errs []error
	for _, a := range addrs {
		i := slices.IndexFunc(ns, func(n BGPNeighbor) bool { return n.Address == a })
		if i < 0 {
			errs = append(errs, fmt.Errorf("neighbor %s: not known to the router (neighbors: %s)", a, neighborList(ns)))
			continue
		}
		out = append(out, ns[i])
	}
	return out, errors.Join(errs...)
}

func resetDetail(n BGPNeighbor) string {
	var b strings.Builder
	if n.LastReset != "" {
		fmt.Fprintf(&b, "; last reset %s ago: %s", n.LastResetAgo.Round(100*time.Millisecond), n.LastReset)
	}
	if n.LastNotification != "" {
		fmt.Fprintf(&b, "; last notification: %s", n.LastNotification)
	}
	if n.BFD != nil && n.BFD.Status != "" && !strings.EqualFold(n.BFD.Status, "up") {
		fmt.Fprintf(&b, "; BFD %s", n.BFD.Status)
	}
	// What FRR's fields alone say (Querier.Diagnose, 'peerlab diagnose',
	// also asks the kernel: routes, ARP, MD5 counters).
	switch d := diagnose(n, Reachability{}); d.Cause {
	case CauseBadPeerAS, CauseHoldTimer:
		fmt.Fprintf(&b, "; diagnosis: %s: %s", d.Cause, d.Explain)
	case CauseEstablished:
	default:
		fmt.Fprintf(&b, "; diagnosis: %s", d.Cause)
	}
	return b.String()
}

func neighborList(ns []BGPNeighbor) string {
	if len(ns) == 0 {
		return "none"
	}
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = n.Address.String()
	}
	return strings.Join(s, ", ")
}

// BFDPeersUp holds when the BFD sessions to every given address are up;
// with no address, when there is at least one session and all are up.
func BFDPeersUp(addrs ...netip.Addr) Check {
	return bfdStatus("up", addrs)
}

// BFDPeersDown holds when the BFD sessions to every given address exist
// and are not up (down, init or shutdown): a fault has been detected.
func BFDPeersDown(addrs ...netip.Addr) Check {
	return bfdStatus("down", addrs)
}

func bfdStatus(want string, addrs []netip.Addr) Check {
	return func(ctx context.Context, q *Querier) error {
		ps, err := q.BFDPeers(ctx)
		if err != nil {
			return err
		}
		return BFDStatusIn(ps, want, addrs...)
	}
}

// BFDStatusIn is BFDPeersUp (want "up") or BFDPeersDown (want "down") on
// peers already read, for callers that check more than the status in one
// read of the daemon.
func BFDStatusIn(ps []BFDPeer, want string, addrs ...netip.Addr) error {
	targets := addrs
	if len(targets) == 0 {
		if len(ps) == 0 {
			return errors.New("no BFD peers")
		}
		for _, p := range ps {
			targets = append(targets, p.Peer)
		}
	}
	var errs []error
	for _, a := range targets {
		i := slices.IndexFunc(ps, func(p BFDPeer) bool { return p.Peer == a })
		if i < 0 {
			errs = append(errs, fmt.Errorf("bfd peer %s: no session (peers: %s)", a, bfdList(ps)))
			continue
		}
		p := ps[i]
		if up := p.Status == "up"; up != (want == "up") {
			msg := fmt.Sprintf("bfd peer %s: status %s, want %s", a, p.Status, want)
			if p.Diagnostic != "" && p.Diagnostic != "ok" {
				msg += "; diagnostic: " + p.Diagnostic
			}
			if p.RemoteDiagnostic != "" && p.RemoteDiagnostic != "ok" {
				msg += "; remote diagnostic: " + p.RemoteDiagnostic
			}
			errs = append(errs, errors.New(msg))
		}
	}
	return errors.Join(errs...)
}

func bfdList(ps []BFDPeer) string {
	if len(ps) == 0 {
		return "none"
	}
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.Peer.String() + " " + p.Status
	}
	return strings.Join(s, ", ")
}

// RouteNextHops holds when zebra's selected route for prefix is installed
// in the kernel with exactly the given next hops (as the protocol gave them:
// a BGP next hop reached recursively is compared unresolved). With no next
// hop given it holds when the RIB has no selected route for prefix.
func RouteNextHops(prefix netip.Prefix, want ...netip.Addr) Check {
	want = sortedUnique(slices.Clone(want))
	return func(ctx context.Context, q *Querier) error {
		rs, err := q.Route(ctx, prefix)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(rs, func(r Route) bool { return r.Selected })
		if len(want) == 0 {
			if i >= 0 {
				return fmt.Errorf("route %s (RIB): present via %s (%s), want absent", prefix, addrList(rs[i].Gateways()), rs[i].Protocol)
			}
			return nil
		}
		if i < 0 {
			if len(rs) > 0 {
				return fmt.Errorf("route %s (RIB): no selected route (%d candidates), want next hops %s", prefix, len(rs), addrList(want))
			}
			return fmt.Errorf("route %s (RIB): absent, want next hops %s", prefix, addrList(want))
		}
		r := rs[i]
		got := r.Gateways()
		if !slices.Equal(got, want) {
			return fmt.Errorf("route %s (RIB, %s): next hops %s, want %s", prefix, r.Protocol, addrList(got), addrList(want))
		}
		if !r.Installed {
			return fmt.Errorf("route %s (RIB, %s): selected but not installed in the kernel", prefix, r.Protocol)
		}
		return nil
	}
}

// RouteAbsent holds when the RIB has no selected route for prefix.
func RouteAbsent(prefix netip.Prefix) Check { return RouteNextHops(prefix) }

// KernelRouteNextHops holds when the kernel's main table routes prefix
// through exactly the given gateways (all paths of a multipath route). With
// no gateway given it holds when the kernel has no route for prefix.
func KernelRouteNextHops(prefix netip.Prefix, want ...netip.Addr) Check {
	want = sortedUnique(slices.Clone(want))
	return func(ctx context.Context, q *Querier) error {
		rs, err := q.KernelRoute(ctx, prefix)
		if err != nil {
			return err
		}
		var got []netip.Addr
		for _, r := range rs {
			got = append(got, r.Gateways()...)
		}
		got = sortedUnique(got)
		switch {
		case len(want) == 0 && len(rs) > 0:
			return fmt.Errorf("route %s (kernel): present via %s, want absent", prefix, addrList(got))
		case len(want) > 0 && len(rs) == 0:
			return fmt.Errorf("route %s (kernel): absent, want next hops %s", prefix, addrList(want))
		case !slices.Equal(got, want):
			return fmt.Errorf("route %s (kernel): next hops %s, want %s", prefix, addrList(got), addrList(want))
		}
		return nil
	}
}

// KernelRouteAbsent holds when the kernel has no route for prefix.
func KernelRouteAbsent(prefix netip.Prefix) Check { return KernelRouteNextHops(prefix) }

// All combines checks into one that reports every failure.
func All(checks ...Check) Check {
	return func(ctx context.Context, q *Querier) error { return q.Verify(ctx, checks...) }
}

func addrList(as []netip.Addr) string {
	if len(as) == 0 {
		return "[]"
	}
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return "[" + strings.Join(s, " ") + "]"
}
