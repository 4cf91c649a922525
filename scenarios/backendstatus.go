package scenarios

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/peerlab/peerlab/harness"
)

// BackendSessions: the backend's own status resources (frr-k8s's
// BGPSessionState) report every session the plan expects, Established, with
// BFD up where the peer has a BFD profile and "N/A" where it has none, and
// no session the plan does not expect. A backend that publishes no status
// passes: it has nothing that could disagree with FRR.
func BackendSessions(ctx context.Context, lab *harness.Lab) error {
	states, ok, err := lab.SessionStates(ctx)
	if !ok || err != nil {
		return err
	}
	p, err := lab.Plan(ctx)
	if err != nil {
		return err
	}
	type key struct {
		node string
		peer netip.Addr
	}
	seen := map[key]harness.SessionState{}
	var errs []error
	for _, s := range states {
		a, err := netip.ParseAddr(strings.ReplaceAll(s.Peer, "-", ":"))
		if err != nil {
			errs = append(errs, fmt.Errorf("BGPSessionState of node %s: peer %q is not an address", s.Node, s.Peer))
			continue
		}
		seen[key{s.Node, a}] = s
	}
	want := map[key]bool{}
	for _, n := range p.Nodes {
		for _, pp := range p.SpeakerPeers(n.Short()) {
			k := key{n.Name, pp.Address}
			want[k] = true
			s, ok := seen[k]
			if !ok {
				errs = append(errs, fmt.Errorf("node %s, peer %s (%s): no BGPSessionState", n.Short(), pp.Address, pp.Router))
				continue
			}
			wantBFD := "N/A"
			if pp.BFD != nil {
				wantBFD = "up"
			}
			if s.BGP != "Established" || !strings.EqualFold(s.BFD, wantBFD) {
				errs = append(errs, fmt.Errorf("node %s, peer %s (%s): BGPSessionState says BGP %q, BFD %q; want Established, %s", n.Short(), pp.Address, pp.Router, s.BGP, s.BFD, wantBFD))
			}
		}
	}
	for k, s := range seen {
		if !want[k] {
			errs = append(errs, fmt.Errorf("node %s: BGPSessionState for peer %s (BGP %q), which the topology does not have", k.node, k.peer, s.BGP))
		}
	}
	return errors.Join(errs...)
}
