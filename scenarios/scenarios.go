// Package scenarios holds the checks a network engineer makes on a lab, as
// functions over a *harness.Lab that return an error describing what was
// expected and what was seen. A check is a one-shot assertion; Eventually
// turns it into a wait with a deadline that reports the last state seen.
package scenarios

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/internal/wait"
	"github.com/peerlab/peerlab/routers"
	"github.com/peerlab/peerlab/topologies"
)

// Check is one question about a lab.
type Check func(ctx context.Context, lab *harness.Lab) error

// Eventually runs check every interval until it passes or timeout passes;
// the error then holds the check's last failure.
func Eventually(ctx context.Context, lab *harness.Lab, timeout, every time.Duration, check Check) error {
	return wait.Until(ctx, timeout, every, func() error { return check(ctx, lab) })
}

// EventuallyStable waits until check has passed on every poll for hold:
// a lab whose sessions come up and then flap once (MetalLB reloads its FRR
// configuration when it starts announcing) is not yet a green lab.
func EventuallyStable(ctx context.Context, lab *harness.Lab, timeout, every, hold time.Duration, check Check) error {
	var since time.Time
	return wait.Until(ctx, timeout, every, func() error {
		if err := check(ctx, lab); err != nil {
			since = time.Time{}
			return err
		}
		if since.IsZero() {
			since = time.Now()
		}
		if held := time.Since(since); held < hold {
			return fmt.Errorf("green for %s, want %s without a failure", held.Round(100*time.Millisecond), hold)
		}
		return nil
	})
}

// All runs every check once and joins their failures.
func All(checks ...Check) Check {
	return func(ctx context.Context, lab *harness.Lab) error {
		var errs []error
		for _, c := range checks {
			if err := c(ctx, lab); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
}

// families are the address families the cluster uses.
func families(t topologies.Topology) []topologies.IPFamily { return t.Cluster.IPFamily.Families() }

// nodeAddrs are the nodes' addresses in the cluster's families; announcing
// selects only nodes that may announce service IPs.
func nodeAddrs(nodes []harness.Node, t topologies.Topology, announcingOnly bool) []netip.Addr {
	var out []netip.Addr
	for _, n := range nodes {
		if announcingOnly && !n.Announces {
			continue
		}
		for _, f := range families(t) {
			if f == topologies.IPv6 && n.IPv6.IsValid() {
				out = append(out, n.IPv6)
			} else if f == topologies.IPv4 && n.IPv4.IsValid() {
				out = append(out, n.IPv4)
			}
		}
	}
	return out
}

// metallbPeerAddrs are the router addresses MetalLB's speakers peer with.
func metallbPeerAddrs(t topologies.Topology) []netip.Addr {
	var out []netip.Addr
	for _, p := range t.MetalLB.Peers {
		for _, a := range []netip.Addr{p.IPv4, p.IPv6} {
			if a.IsValid() && (a.Is4() && t.Cluster.IPFamily.HasIPv4() || a.Is6() && t.Cluster.IPFamily.HasIPv6()) {
				out = append(out, a)
			}
		}
	}
	return out
}

// routerQuerier returns typed queries for a lab router or client.
func routerQuerier(lab *harness.Lab, name string) (*routers.Querier, error) {
	e, err := lab.Exec(name)
	if err != nil {
		return nil, err
	}
	return routers.NewQuerier(e), nil
}

// onRouters runs fn for each router of the topology that matches keep and
// labels each failure with the router's name.
func onRouters(ctx context.Context, lab *harness.Lab, keep func(topologies.Router) bool, fn func(r topologies.Router, q *routers.Querier) error) error {
	var errs []error
	for _, r := range lab.Topology().Routers {
		if !keep(r) {
			continue
		}
		q, err := routerQuerier(lab, r.Name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := fn(r, q); err != nil {
			errs = append(errs, fmt.Errorf("router %s: %w", r.Name, err))
		}
	}
	return errors.Join(errs...)
}

// onSpeakers runs fn on the FRR of every MetalLB speaker, expecting one per
// node.
func onSpeakers(ctx context.Context, lab *harness.Lab, nodes []harness.Node, fn func(node string, q *routers.Querier) error) error {
	execs, err := lab.SpeakerExecutors(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range nodes {
		e, ok := execs[n.Name]
		if !ok {
			errs = append(errs, fmt.Errorf("node %s: no running MetalLB speaker pod", n.Name))
			continue
		}
		if err := fn(n.Name, routers.NewQuerier(e)); err != nil {
			errs = append(errs, fmt.Errorf("speaker on %s: %w", n.Name, err))
		}
	}
	return errors.Join(errs...)
}

func peersNodes(r topologies.Router) bool { _, ok := r.NodesPeer(); return ok }

// SessionsEstablished: every BGP session of the lab is Established, seen
// from both ends. A router that peers with the nodes has one session per
// node (every node runs a speaker, announcing or not); every speaker has a
// session with each MetalLB peer; router-to-router sessions are up.
func SessionsEstablished(ctx context.Context, lab *harness.Lab) error {
	t := lab.Topology()
	nodes, err := lab.Nodes(ctx)
	if err != nil {
		return err
	}
	all := nodeAddrs(nodes, t, false)
	errRouters := onRouters(ctx, lab, func(topologies.Router) bool { return true }, func(r topologies.Router, q *routers.Querier) error {
		var want []netip.Addr
		if peersNodes(r) {
			want = append(want, all...)
		}
		for _, p := range r.Peers {
			if p.Router == "" {
				continue
			}
			other, _ := t.Router(p.Router)
			att, _ := other.Interface(p.Network)
			for _, f := range families(t) {
				if a := att.Addr(f); a.IsValid() {
					want = append(want, a)
				}
			}
		}
		if len(want) == 0 {
			return nil
		}
		return routers.NeighborsEstablished(want...)(ctx, q)
	})
	peers := metallbPeerAddrs(t)
	errSpeakers := onSpeakers(ctx, lab, nodes, func(_ string, q *routers.Querier) error {
		return routers.NeighborsEstablished(peers...)(ctx, q)
	})
	return errors.Join(errRouters, errSpeakers)
}

// BFDUp: every BFD session between a router and the nodes is up on both
// ends, and each end runs the timers of the MetalLB BFD profile for that
// router.
func BFDUp(ctx context.Context, lab *harness.Lab) error {
	t := lab.Topology()
	nodes, err := lab.Nodes(ctx)
	if err != nil {
		return err
	}
	all := nodeAddrs(nodes, t, false)
	var errs []error
	errs = append(errs, onRouters(ctx, lab, func(r topologies.Router) bool {
		p, ok := r.NodesPeer()
		return ok && p.BFD
	}, func(r topologies.Router, q *routers.Querier) error {
		prof, ok := bfdProfileFor(t, r.Name)
		if !ok {
			return fmt.Errorf("no MetalLB BFD profile for this router")
		}
		return checkBFD(ctx, q, all, prof)
	}))
	for _, p := range t.MetalLB.Peers {
		if p.BFDProfile == "" {
			continue
		}
		prof, _ := bfdProfileFor(t, p.Router)
		var addrs []netip.Addr
		for _, a := range []netip.Addr{p.IPv4, p.IPv6} {
			if a.IsValid() && (a.Is4() && t.Cluster.IPFamily.HasIPv4() || a.Is6() && t.Cluster.IPFamily.HasIPv6()) {
				addrs = append(addrs, a)
			}
		}
		errs = append(errs, onSpeakers(ctx, lab, nodes, func(_ string, q *routers.Querier) error {
			return checkBFD(ctx, q, addrs, prof)
		}))
	}
	return errors.Join(errs...)
}

func bfdProfileFor(t topologies.Topology, router string) (topologies.BFDProfile, bool) {
	for _, p := range t.MetalLB.Peers {
		if p.Router != router || p.BFDProfile == "" {
			continue
		}
		for _, b := range t.MetalLB.BFDProfiles {
			if b.Name == p.BFDProfile {
				return b, true
			}
		}
	}
	return topologies.BFDProfile{}, false
}

// checkBFD asserts the peers are up and run the profile's timers.
func checkBFD(ctx context.Context, q *routers.Querier, addrs []netip.Addr, prof topologies.BFDProfile) error {
	if err := routers.BFDPeersUp(addrs...)(ctx, q); err != nil {
		return err
	}
	peers, err := q.BFDPeers(ctx)
	if err != nil {
		return err
	}
	rx := time.Duration(prof.ReceiveInterval) * time.Millisecond
	tx := time.Duration(prof.TransmitInterval) * time.Millisecond
	var errs []error
	for _, a := range addrs {
		for _, p := range peers {
			if p.Peer != a {
				continue
			}
			if p.ReceiveInterval != rx || p.TransmitInterval != tx || p.DetectMultiplier != int(prof.DetectMultiplier) {
				errs = append(errs, fmt.Errorf("BFD peer %s: timers rx %s tx %s x%d, want rx %s tx %s x%d (profile %s)",
					a, p.ReceiveInterval, p.TransmitInterval, p.DetectMultiplier, rx, tx, prof.DetectMultiplier, prof.Name))
			}
		}
	}
	return errors.Join(errs...)
}

// ECMPNextHops: on every router doing ECMP (in multi-hop, the transit router
// where the paths fan out), each service IP's route has exactly one next hop
// per announcing node, in FRR's RIB and in the kernel's FIB.
func ECMPNextHops(ctx context.Context, lab *harness.Lab) error {
	nodes, err := lab.Nodes(ctx)
	if err != nil {
		return err
	}
	ips, err := lab.ServiceIPs(ctx)
	if err != nil {
		return err
	}
	if len(ips) == 0 {
		return fmt.Errorf("the backend service has no LoadBalancer IP")
	}
	want := announcingNodeAddrs(ctx, lab, nodes)
	return onRouters(ctx, lab, func(r topologies.Router) bool { return r.ECMP }, func(r topologies.Router, q *routers.Querier) error {
		var errs []error
		for _, ip := range ips {
			var hops []netip.Addr
			for _, a := range want {
				if a.Is4() == ip.Is4() {
					hops = append(hops, a)
				}
			}
			prefix := netip.PrefixFrom(ip, ip.BitLen())
			if err := routers.RouteNextHops(prefix, hops...)(ctx, q); err != nil {
				errs = append(errs, fmt.Errorf("RIB: %w", err))
			}
			if err := routers.KernelRouteNextHops(prefix, hops...)(ctx, q); err != nil {
				errs = append(errs, fmt.Errorf("kernel: %w", err))
			}
		}
		return errors.Join(errs...)
	})
}

// announcingNodeAddrs are the addresses of the nodes that should announce
// the service: nodes without the exclusion label (and, with
// externalTrafficPolicy Local, only those running a backend).
func announcingNodeAddrs(ctx context.Context, lab *harness.Lab, nodes []harness.Node) []netip.Addr {
	t := lab.Topology()
	if t.Workload.ExternalTrafficPolicy == topologies.ETPLocal {
		withPods, err := lab.BackendNodes(ctx)
		if err == nil {
			var keep []harness.Node
			for _, n := range nodes {
				if withPods[n.Name] {
					keep = append(keep, n)
				}
			}
			nodes = keep
		}
	}
	return nodeAddrs(nodes, t, true)
}

// Spread is what a series of requests to the service saw.
type Spread struct {
	Requests, OK int
	ByNode       map[string]int
	ByPod        map[string]int
	Failures     []string // first few failure messages
}

func (s Spread) String() string {
	var parts []string
	for _, n := range sortedKeys(s.ByNode) {
		parts = append(parts, fmt.Sprintf("%s=%d", n, s.ByNode[n]))
	}
	return fmt.Sprintf("%d/%d answered; by node: %s", s.OK, s.Requests, strings.Join(parts, " "))
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
