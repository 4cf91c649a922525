package scenarios

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
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

// BackendNodeStates: the backend's per-node FRR status (frr-k8s's
// FRRNodeState) says every node's last configuration converted and
// reloaded, and the configuration it runs since has exactly the plan's
// neighbors for that node, each with its peer's AS and BFD profile. A
// backend that publishes no node status passes.
func BackendNodeStates(ctx context.Context, lab *harness.Lab) error {
	states, ok, err := lab.NodeStates(ctx)
	if !ok || err != nil {
		return err
	}
	p, err := lab.Plan(ctx)
	if err != nil {
		return err
	}
	return errors.Join(nodeStateProblems(p, states)...)
}

// nodeStateProblems compares the nodes' reported FRR state with the plan.
func nodeStateProblems(p *harness.Plan, states []harness.NodeState) []error {
	byNode := map[string]harness.NodeState{}
	for _, s := range states {
		byNode[s.Node] = s
	}
	var errs []error
	for _, n := range p.Nodes {
		s, ok := byNode[n.Name]
		if !ok {
			errs = append(errs, fmt.Errorf("node %s: no FRRNodeState", n.Short()))
			continue
		}
		if s.Conversion != "success" || s.Reload != "success" {
			errs = append(errs, fmt.Errorf("node %s: FRRNodeState says conversion %q, reload %q; want success for both", n.Short(), s.Conversion, s.Reload))
		}
		running := RunningNeighbors(s.RunningConfig)
		want := map[netip.Addr]bool{}
		for _, pp := range p.SpeakerPeers(n.Short()) {
			want[pp.Address] = true
			got, ok := running[pp.Address]
			wantBFD := ""
			if pp.BFD != nil {
				wantBFD = pp.BFD.Name
			}
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("node %s, peer %s (%s): not a neighbor in FRRNodeState's running configuration", n.Short(), pp.Address, pp.Router))
			case got.ASN != pp.ASN || got.BFDProfile != wantBFD:
				errs = append(errs, fmt.Errorf("node %s, peer %s (%s): FRRNodeState's running configuration has remote-as %d, BFD profile %q; want %d, %q", n.Short(), pp.Address, pp.Router, got.ASN, got.BFDProfile, pp.ASN, wantBFD))
			}
		}
		for a := range running {
			if !want[a] {
				errs = append(errs, fmt.Errorf("node %s: FRRNodeState's running configuration has neighbor %s, which the plan does not have", n.Short(), a))
			}
		}
	}
	return errs
}

// RunningNeighbor is one BGP neighbor of an FRR running configuration.
type RunningNeighbor struct {
	ASN        uint32
	BFDProfile string // "" without one
}

// RunningNeighbors reads the neighbors of the `router bgp` blocks of an FRR
// running configuration (`show running-config`, as frr-k8s's FRRNodeState
// carries it), by address: their remote AS and BFD profile. Peer groups and
// interface neighbors (not addresses) are left out.
func RunningNeighbors(config string) map[netip.Addr]RunningNeighbor {
	out := map[netip.Addr]RunningNeighbor{}
	for _, line := range strings.Split(config, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[0] != "neighbor" {
			continue
		}
		a, err := netip.ParseAddr(f[1])
		if err != nil {
			continue
		}
		switch {
		case f[2] == "remote-as":
			n := out[a]
			if asn, err := strconv.ParseUint(f[3], 10, 32); err == nil {
				n.ASN = uint32(asn)
			}
			out[a] = n
		case f[2] == "bfd" && f[3] == "profile" && len(f) > 4:
			n := out[a]
			n.BFDProfile = f[4]
			out[a] = n
		}
	}
	return out
}
