package scenarios

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/routers"
	"github.com/peerlab/peerlab/topologies"
)

// bfdProfilesScenario: BFD profiles with their own intervals and
// multiplier, echo mode and passive mode on single-hop sessions and a
// minimum TTL on multi-hop ones, checked as the routers see the speakers'
// side (their remote timers) and as the speakers run them.
func bfdProfilesScenario() Scenario {
	single := topologies.BFDProfile{Name: "single", ReceiveInterval: 200, TransmitInterval: 250, DetectMultiplier: 4, PassiveMode: true}
	multi := topologies.BFDProfile{Name: "multi", ReceiveInterval: 400, TransmitInterval: 350, DetectMultiplier: 5, MinimumTTL: 250}
	return one("bfd-profiles", "BFD intervals, multiplier, echo, passive and minimum TTL as the routers see the speakers", []Requirement{needsBFD}, Step{
		Change: func(t *topologies.Topology) {
			s := single
			// Echo is single-hop and IPv4 only; MetalLB refuses it with IPv6.
			// The speaker declares echo lost after the router's multiplier
			// (3) times the echo interval: at 100 ms that was 300 ms, and
			// on 2 busy cores bfdd ran up to 143 ms late ("CPU starvation"
			// in the speaker's FRR log), so the session went down after
			// the step was green (a CI failure). 300 ms gives the 900 ms
			// that the stock 300 ms x 3 sessions run with.
			if !t.Cluster.IPFamily.HasIPv6() {
				s.EchoMode, s.EchoInterval = true, 300
			}
			t.MetalLB.BFDProfiles = []topologies.BFDProfile{s, multi}
			for i := range t.MetalLB.Peers {
				p := &t.MetalLB.Peers[i]
				if p.BFDProfile == "" {
					continue
				}
				if p.Network == t.Cluster.Network {
					p.BFDProfile = "single"
				} else {
					p.BFDProfile = "multi"
				}
			}
		},
		Checks: []Check{BFDAsProfiled},
	})
}

// bgpDrivenMinimumTTL is the minimum TTL FRR 10.7 puts in effect on a BFD
// session that bgpd creates for a multi-hop neighbor: bgpd asks for its hop
// count (255 for ebgp-multihop and for iBGP), which overrides the minimum-ttl
// of the session's BFD profile (measured: the speakers' sessions with the
// multi-hop routers show 1 with a profile of minimumTtl 250). So a MetalLB
// BFDProfile's minimumTtl is rendered but does not tighten BGP's sessions.
const bgpDrivenMinimumTTL = 1

// profileHas: does the running configuration's BFD profile block contain
// the line?
func profileHas(running, profile, line string) bool {
	in := false
	for _, l := range strings.Split(running, "\n") {
		t := strings.TrimSpace(l)
		switch {
		case t == "profile "+profile:
			in = true
		case in && (t == "exit" || strings.HasPrefix(t, "profile ")):
			in = false
		case in && t == line:
			return true
		}
	}
	return false
}

// BFDAsProfiled: each router's BFD peer for a node reports the speaker's
// profile as its remote timers (receive, transmit, multiplier, echo
// receive), and each speaker runs its profile's passive mode and has its
// minimum TTL configured (see bgpDrivenMinimumTTL for what is in effect).
func BFDAsProfiled(ctx context.Context, lab *harness.Lab) error {
	p, err := lab.Plan(ctx)
	if err != nil {
		return err
	}
	ms := func(v uint32) time.Duration { return time.Duration(v) * time.Millisecond }
	errR := onRouters(ctx, lab, p, func(rp harness.RouterPlan) bool { return rp.BFD != nil && len(rp.NodeSessions) > 0 }, func(rp harness.RouterPlan, q *routers.Querier) error {
		peers, err := q.BFDPeers(ctx)
		if err != nil {
			return err
		}
		b := *rp.BFD
		var errs []error
		for _, a := range rp.NodeAddrs() {
			found := false
			for _, bp := range peers {
				if bp.Peer != a {
					continue
				}
				found = true
				if bp.RemoteReceiveInterval != ms(b.ReceiveInterval) || bp.RemoteTransmitInterval != ms(b.TransmitInterval) || bp.RemoteDetectMultiplier != int(b.DetectMultiplier) {
					errs = append(errs, fmt.Errorf("BFD peer %s: remote rx %s tx %s x%d, want the speaker's profile %s: rx %s tx %s x%d",
						a, bp.RemoteReceiveInterval, bp.RemoteTransmitInterval, bp.RemoteDetectMultiplier, b.Name, ms(b.ReceiveInterval), ms(b.TransmitInterval), b.DetectMultiplier))
				}
				if b.EchoMode && bp.RemoteEchoReceiveInterval != ms(b.EchoInterval) {
					errs = append(errs, fmt.Errorf("BFD peer %s: remote echo receive interval %s, want %s (profile %s, echo mode)", a, bp.RemoteEchoReceiveInterval, ms(b.EchoInterval), b.Name))
				}
			}
			if !found {
				errs = append(errs, fmt.Errorf("no BFD peer %s", a))
			}
		}
		return errors.Join(errs...)
	})
	errS := onSpeakers(ctx, lab, p, func(n harness.Node, q *routers.Querier) error {
		peers, err := q.BFDPeers(ctx)
		if err != nil {
			return err
		}
		running, err := q.RunningConfig(ctx)
		if err != nil {
			return err
		}
		var errs []error
		for _, pp := range p.SpeakerPeers(n.Short()) {
			if pp.BFD == nil {
				continue
			}
			if ttl := pp.BFD.MinimumTTL; ttl != 0 && !profileHas(running, pp.BFD.Name, fmt.Sprintf("minimum-ttl %d", ttl)) {
				errs = append(errs, fmt.Errorf("BFD profile %s: no \"minimum-ttl %d\" in the speaker's running configuration", pp.BFD.Name, ttl))
			}
			for _, bp := range peers {
				if bp.Peer != pp.Address {
					continue
				}
				if bp.Passive != pp.BFD.PassiveMode {
					errs = append(errs, fmt.Errorf("BFD peer %s: passive %v, want %v (profile %s)", bp.Peer, bp.Passive, pp.BFD.PassiveMode, pp.BFD.Name))
				}
				if pp.BFD.MinimumTTL != 0 && bp.Multihop && bp.MinimumTTL != bgpDrivenMinimumTTL {
					errs = append(errs, fmt.Errorf("BFD peer %s: minimum TTL %d in effect, want %d: bgpd's hop count for a multi-hop session (255) used to override profile %s's minimumTtl %d; if this changed, the profile may now take effect",
						bp.Peer, bp.MinimumTTL, bgpDrivenMinimumTTL, pp.BFD.Name, pp.BFD.MinimumTTL))
				}
			}
		}
		return errors.Join(errs...)
	})
	return errors.Join(errR, errS)
}
