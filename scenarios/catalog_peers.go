package scenarios

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/internal/wait"
	"github.com/peerlab/peerlab/routers"
	"github.com/peerlab/peerlab/topologies"
)

// peerTimersScenario: holdTime and keepaliveTime on both ends; the session
// runs the smaller hold time, as both ends report. Timers are negotiated
// when a session opens, so the routers reset their node sessions once.
func peerTimersScenario() Scenario {
	const speakerHold, speakerKeepalive, routerHold, routerKeepalive = 9 * time.Second, 3 * time.Second, 30 * time.Second, 10 * time.Second
	return one("peer-timers", "holdTime/keepaliveTime: negotiated times as both ends report them", nil, Step{
		Change: func(t *topologies.Topology) {
			for i := range t.MetalLB.Peers {
				t.MetalLB.Peers[i].HoldTime = topologies.Duration(speakerHold)
				// The native speaker takes no keepalive time; it sends one
				// third of the hold time, which is speakerKeepalive too.
				if t.MetalLB.Backend.KeepaliveTime() {
					t.MetalLB.Peers[i].KeepaliveTime = topologies.Duration(speakerKeepalive)
				}
			}
			for i := range t.Routers {
				for j := range t.Routers[i].Peers {
					if t.Routers[i].Peers[j].Nodes {
						t.Routers[i].Peers[j].HoldTime = topologies.Duration(routerHold)
						t.Routers[i].Peers[j].KeepaliveTime = topologies.Duration(routerKeepalive)
					}
				}
			}
		},
		// The speakers' FRR takes the new timers one reload after the
		// apply (with frr-k8s, after its own controller's too); a reset
		// before that renegotiates the old ones for good (seen once on
		// frr-k8s: three sessions kept hold 30 s for 90 s).
		Action: func(ctx context.Context, lab *harness.Lab) error {
			if err := Eventually(ctx, lab, 90*time.Second, time.Second, SpeakersConfiguredTimers(speakerHold, speakerKeepalive)); err != nil {
				return fmt.Errorf("before resetting the sessions: %w", err)
			}
			return ResetNodeSessions(ctx, lab)
		},
		Checks: []Check{NegotiatedTimers(speakerHold, speakerKeepalive)},
	})
}

// SpeakersConfiguredTimers: every speaker's FRR has the hold and keepalive
// times configured for each of its planned peers (what it will offer when
// the session next opens). Backends without FRR on the nodes pass.
func SpeakersConfiguredTimers(hold, keepalive time.Duration) Check {
	return func(ctx context.Context, lab *harness.Lab) error {
		p, err := lab.Plan(ctx)
		if err != nil {
			return err
		}
		return onSpeakers(ctx, lab, p, func(n harness.Node, q *routers.Querier) error {
			ns, err := q.Neighbors(ctx)
			if err != nil {
				return err
			}
			want := map[string]bool{}
			for _, pp := range p.SpeakerPeers(n.Short()) {
				want[pp.Address.String()] = true
			}
			var errs []error
			for _, nb := range ns {
				a := nb.Address.String()
				if !want[a] {
					continue
				}
				delete(want, a)
				if nb.ConfiguredHoldTime != hold || nb.ConfiguredKeepaliveTime != keepalive {
					errs = append(errs, fmt.Errorf("neighbor %s: configured hold %s keepalive %s, want %s and %s", nb.Address, nb.ConfiguredHoldTime, nb.ConfiguredKeepaliveTime, hold, keepalive))
				}
			}
			for _, a := range slices.Sorted(maps.Keys(want)) {
				errs = append(errs, fmt.Errorf("neighbor %s: not configured", a))
			}
			return errors.Join(errs...)
		})
	}
}

// ResetNodeSessions hard-resets every router's sessions with the nodes
// (timers and capabilities are negotiated only when a session opens).
func ResetNodeSessions(ctx context.Context, lab *harness.Lab) error {
	p, err := lab.Plan(ctx)
	if err != nil {
		return err
	}
	return onRouters(ctx, lab, p, func(rp harness.RouterPlan) bool { return len(rp.NodeSessions) > 0 }, func(rp harness.RouterPlan, q *routers.Querier) error {
		e, _ := lab.Exec(rp.Router.Name)
		_, stderr, err := e.Exec(ctx, []string{"vtysh", "-c", "clear bgp peer-group nodes"})
		if err != nil {
			return fmt.Errorf("clear bgp: %w: %s", err, stderr)
		}
		return nil
	})
}

// NegotiatedTimers: every node session runs the given hold and keepalive
// times, seen from the router and from the speaker.
func NegotiatedTimers(hold, keepalive time.Duration) Check {
	return func(ctx context.Context, lab *harness.Lab) error {
		p, err := lab.Plan(ctx)
		if err != nil {
			return err
		}
		check := func(q *routers.Querier, peers map[string]bool) error {
			ns, err := q.Neighbors(ctx)
			if err != nil {
				return err
			}
			var errs []error
			for _, n := range ns {
				if !peers[n.Address.String()] {
					continue
				}
				if n.HoldTime != hold || n.KeepaliveTime != keepalive {
					errs = append(errs, fmt.Errorf("session with %s: hold %s keepalive %s, want %s and %s", n.Address, n.HoldTime, n.KeepaliveTime, hold, keepalive))
				}
			}
			return errors.Join(errs...)
		}
		errR := onRouters(ctx, lab, p, func(rp harness.RouterPlan) bool { return len(rp.NodeSessions) > 0 }, func(rp harness.RouterPlan, q *routers.Querier) error {
			want := map[string]bool{}
			for _, a := range rp.NodeAddrs() {
				want[a.String()] = true
			}
			return check(q, want)
		})
		errS := onSpeakers(ctx, lab, p, func(n harness.Node, q *routers.Querier) error {
			want := map[string]bool{}
			for _, pp := range p.SpeakerPeers(n.Short()) {
				want[pp.Address.String()] = true
			}
			return check(q, want)
		})
		return errors.Join(errR, errS)
	}
}

// peerNodesScenario: a BGPPeer's node selector: sessions only from the
// selected node, and only it is a next hop.
func peerNodesScenario() Scenario {
	return one("peer-nodes", "peer nodeSelectors: sessions only from the selected node", []Requirement{needsTwoAnnouncingNodes}, Step{
		Change: func(t *topologies.Topology) {
			for i := range t.MetalLB.Peers {
				t.MetalLB.Peers[i].Nodes = t.Cluster.AnnouncingNodeNames()[:1]
			}
		},
		Checks: []Check{NoUnplannedSessions},
	})
}

// NoUnplannedSessions: no speaker has a BGP neighbor the plan does not
// give its node.
func NoUnplannedSessions(ctx context.Context, lab *harness.Lab) error {
	p, err := lab.Plan(ctx)
	if err != nil {
		return err
	}
	return onSpeakers(ctx, lab, p, func(n harness.Node, q *routers.Querier) error {
		want := map[string]bool{}
		for _, pp := range p.SpeakerPeers(n.Short()) {
			want[pp.Address.String()] = true
		}
		ns, err := q.Neighbors(ctx)
		if err != nil {
			return err
		}
		var extra []string
		for _, nb := range ns {
			if !want[nb.Address.String()] {
				extra = append(extra, fmt.Sprintf("%s (%s)", nb.Address, nb.State))
			}
		}
		if len(extra) > 0 {
			return fmt.Errorf("neighbors %v, which no peer selecting this node names", extra)
		}
		return nil
	})
}

// md5MismatchScenario: with TCP MD5 on both ends the sessions are
// Established (the base); a router given another password live never
// reaches Established and the check says so; the right password brings the
// sessions back.
func md5MismatchScenario() Scenario {
	var victim string
	return Scenario{
		Name:     "md5-mismatch",
		Summary:  "TCP MD5: a wrong password on one router is never Established and is reported; repaired, it comes back",
		Requires: []Requirement{needsPassword},
		Steps: []Step{
			{Name: "wrong password on one router", Disruptive: true, NoCurl: true,
				Action: func(ctx context.Context, lab *harness.Lab) error {
					t := lab.Topology()
					for _, mp := range t.MetalLB.Peers {
						if mp.Password != "" {
							victim = mp.Router
							break
						}
					}
					return lab.ReconfigureRouter(ctx, victim, func(s *routers.Spec) {
						for i := range s.PeerGroups {
							s.PeerGroups[i].Password = "wrong-" + s.PeerGroups[i].Password
						}
					})
				},
				Checks: []Check{func(ctx context.Context, lab *harness.Lab) error {
					return neverEstablished(ctx, lab, victim, 15*time.Second)
				}},
			},
			{Name: "password repaired"},
		},
	}
}

// neverEstablished: for the whole window, none of the router's node
// sessions is Established, and the sessions check reports each of them.
func neverEstablished(ctx context.Context, lab *harness.Lab, router string, window time.Duration) error {
	p, err := lab.Plan(ctx)
	if err != nil {
		return err
	}
	rp := p.Routers[router]
	e, err := lab.Exec(router)
	if err != nil {
		return err
	}
	q := routers.NewQuerier(e)
	// Sessions that were up drop at the next hold-timer or on the TCP
	// reset; wait for all to leave Established first.
	if err := wait.Until(ctx, 2*time.Minute, time.Second, func(ctx context.Context) error {
		if err := routers.NeighborsEstablished(rp.NodeAddrs()...)(ctx, q); err == nil {
			return fmt.Errorf("router %s: sessions still Established", router)
		}
		ns, err := q.Neighbors(ctx)
		if err != nil {
			return err
		}
		for _, n := range ns {
			if n.State == routers.BGPEstablished {
				return fmt.Errorf("router %s: session with %s still Established", router, n.Address)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	end := time.Now().Add(window)
	for time.Now().Before(end) {
		ns, err := q.Neighbors(ctx)
		if err != nil {
			return err
		}
		for _, n := range ns {
			if n.State == routers.BGPEstablished {
				return fmt.Errorf("router %s: session with %s became Established with a mismatched password", router, n.Address)
			}
		}
		if err := sleepCtx(ctx, time.Second); err != nil {
			return err
		}
	}
	msg := SessionsEstablished(ctx, lab)
	if msg == nil {
		return fmt.Errorf("the sessions check passed with a mismatched password on router %s", router)
	}
	for _, a := range rp.NodeAddrs() {
		if !containsText(msg.Error(), a.String()) || !containsText(msg.Error(), "router "+router) {
			return fmt.Errorf("the sessions check does not name router %s's session with %s: %v", router, a, msg)
		}
	}
	return nil
}
