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
	"sync"
	"time"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/internal/wait"
	"github.com/peerlab/peerlab/routers"
	"github.com/peerlab/peerlab/topologies"
)

// Check is one question about a lab.
type Check func(ctx context.Context, lab *harness.Lab) error

// Eventually runs check every interval until it passes or timeout passes;
// the error then holds the check's last failure and the lab's pods that
// are not ready (Lab.PodTrouble). A round that takes longer
// than the interval is followed by a pause as long as the round
// (wait.Paced): lab checks run vtysh in every speaker, and polled back to
// back on two cores they starved the speakers' own FRR reloads (a catalog
// step stayed stale for 90 s with reloads taking 10-45 s).
func Eventually(ctx context.Context, lab *harness.Lab, timeout, every time.Duration, check Check) error {
	err := wait.Paced(ctx, timeout, every, func(ctx context.Context) error { return check(ctx, lab) })
	if err != nil {
		if trouble := lab.PodTrouble(ctx); trouble != "" {
			err = fmt.Errorf("%w\npods not ready at the deadline:\n%s", err, trouble)
		}
	}
	return err
}

// All runs every check once, all at once (each is mostly waiting on docker
// exec in other containers, and one round of the catalog's checks took 4 s
// in a row against a single-hop lab), and joins their failures in the order
// given.
func All(checks ...Check) Check {
	return func(ctx context.Context, lab *harness.Lab) error {
		errs := make([]error, len(checks))
		var wg sync.WaitGroup
		for i, c := range checks {
			wg.Go(func() { errs[i] = c(ctx, lab) })
		}
		wg.Wait()
		return errors.Join(errs...)
	}
}

// onRouters runs fn for each router of the plan that matches keep, all at
// once (each is its own container), and labels each failure with the
// router's name, in topology order.
func onRouters(ctx context.Context, lab *harness.Lab, p *harness.Plan, keep func(harness.RouterPlan) bool, fn func(rp harness.RouterPlan, q *routers.Querier) error) error {
	rs := p.Topology.Routers
	errs := make([]error, len(rs))
	var wg sync.WaitGroup
	for i, r := range rs {
		rp := p.Routers[r.Name]
		if !keep(rp) {
			continue
		}
		e, err := lab.Exec(r.Name)
		if err != nil {
			errs[i] = err
			continue
		}
		wg.Go(func() {
			if err := fn(rp, routers.NewQuerier(e)); err != nil {
				errs[i] = fmt.Errorf("router %s: %w", r.Name, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// onSpeakers runs fn on the FRR of every MetalLB speaker, all at once,
// expecting one per node. With a backend that runs no FRR on the nodes
// (native) there is nothing to ask: the routers' side of each check stands
// for both ends.
func onSpeakers(ctx context.Context, lab *harness.Lab, p *harness.Plan, fn func(n harness.Node, q *routers.Querier) error) error {
	if !lab.Backend().SpeakerFRR() {
		return nil
	}
	execs, err := lab.SpeakerExecutors(ctx)
	if err != nil {
		return err
	}
	errs := make([]error, len(p.Nodes))
	var wg sync.WaitGroup
	for i, n := range p.Nodes {
		e, ok := execs[n.Name]
		if !ok {
			errs[i] = fmt.Errorf("node %s: no running MetalLB speaker pod", n.Name)
			continue
		}
		wg.Go(func() {
			if err := fn(n, routers.NewQuerier(e)); err != nil {
				errs[i] = fmt.Errorf("speaker on %s: %w", n.Short(), err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func addrsOf(peers []harness.PlannedPeer) []netip.Addr {
	var out []netip.Addr
	for _, p := range peers {
		out = append(out, p.Address)
	}
	return out
}

// SessionsEstablished: every BGP session of the lab is Established, seen
// from both ends: each router with every node a MetalLB peer of it selects
// and with its router peers, each speaker with every peer that selects its
// node.
func SessionsEstablished(ctx context.Context, lab *harness.Lab) error {
	p, err := lab.Plan(ctx)
	if err != nil {
		return err
	}
	errRouters := onRouters(ctx, lab, p, func(harness.RouterPlan) bool { return true }, func(rp harness.RouterPlan, q *routers.Querier) error {
		want := append(rp.NodeAddrs(), rp.RouterSessions...)
		if len(want) == 0 {
			return nil
		}
		return routers.NeighborsEstablished(want...)(ctx, q)
	})
	errSpeakers := onSpeakers(ctx, lab, p, func(n harness.Node, q *routers.Querier) error {
		want := addrsOf(p.SpeakerPeers(n.Short()))
		if len(want) == 0 {
			return nil
		}
		return routers.NeighborsEstablished(want...)(ctx, q)
	})
	return errors.Join(errRouters, errSpeakers)
}

// BFDUp: every BFD session between a router and the nodes is up on both
// ends, and each end runs the timers of the MetalLB BFD profile.
func BFDUp(ctx context.Context, lab *harness.Lab) error {
	p, err := lab.Plan(ctx)
	if err != nil {
		return err
	}
	errRouters := onRouters(ctx, lab, p, func(rp harness.RouterPlan) bool {
		np, ok := rp.Router.NodesPeer()
		return ok && np.BFD && rp.BFD != nil && len(rp.NodeSessions) > 0
	}, func(rp harness.RouterPlan, q *routers.Querier) error {
		return checkBFD(ctx, q, rp.NodeAddrs(), *rp.BFD)
	})
	errSpeakers := onSpeakers(ctx, lab, p, func(n harness.Node, q *routers.Querier) error {
		var peers []routers.BFDPeer
		var errs []error
		for _, pp := range p.SpeakerPeers(n.Short()) {
			if pp.BFD == nil {
				continue
			}
			if peers == nil {
				// One read of bfdd per speaker, whatever its peer count:
				// each vtysh is a docker exec, the most of a check's time.
				var err error
				if peers, err = q.BFDPeers(ctx); err != nil {
					return err
				}
			}
			errs = append(errs, bfdPeersMatch(peers, []netip.Addr{pp.Address}, *pp.BFD))
		}
		return errors.Join(errs...)
	})
	return errors.Join(errRouters, errSpeakers)
}

// checkBFD asserts the peers are up and run the profile's timers.
func checkBFD(ctx context.Context, q *routers.Querier, addrs []netip.Addr, prof topologies.BFDProfile) error {
	peers, err := q.BFDPeers(ctx)
	if err != nil {
		return err
	}
	return bfdPeersMatch(peers, addrs, prof)
}

// bfdPeersMatch: in peers read from one bfdd, the sessions to addrs are up
// and run the profile's timers.
func bfdPeersMatch(peers []routers.BFDPeer, addrs []netip.Addr, prof topologies.BFDProfile) error {
	if err := routers.BFDStatusIn(peers, "up", addrs...); err != nil {
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

// ECMPNextHops: on every router doing ECMP, each service IP's route has
// exactly the next hops the oracle expects (one per announcing node), in
// FRR's RIB and in the kernel's FIB.
func ECMPNextHops(ctx context.Context, lab *harness.Lab) error {
	want, err := Expect(ctx, lab)
	if err != nil {
		return err
	}
	if err := want.assigned(); err != nil {
		return err
	}
	return onRouters(ctx, lab, want.Plan, func(rp harness.RouterPlan) bool { return rp.Router.ECMP }, func(rp harness.RouterPlan, q *routers.Querier) error {
		var errs []error
		for _, r := range want.Routers[rp.Router.Name].Routes {
			if err := routers.RouteNextHops(r.Prefix, r.NextHops...)(ctx, q); err != nil {
				errs = append(errs, fmt.Errorf("RIB: %w", err))
			}
			if err := routers.KernelRouteNextHops(r.Prefix, r.KernelNextHops...)(ctx, q); err != nil {
				errs = append(errs, fmt.Errorf("kernel: %w", err))
			}
		}
		return errors.Join(errs...)
	})
}

// Spread is what a series of requests to the service saw.
type Spread struct {
	Requests, OK int
	ByNode       map[string]int
	ByPod        map[string]int
	// Sources are the client addresses the backends saw.
	Sources  map[string]int
	Failures []string // first few failure messages
}

func (s *Spread) add(o Spread) {
	s.Requests += o.Requests
	s.OK += o.OK
	for k, v := range o.ByNode {
		s.ByNode[k] += v
	}
	for k, v := range o.ByPod {
		s.ByPod[k] += v
	}
	for k, v := range o.Sources {
		s.Sources[k] += v
	}
	s.Failures = append(s.Failures, o.Failures...)
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
